/* hwkey-fido2sim: one client connection (one "HID device open"). */
#ifndef HK_FIDO2SIM_CTAPHID_H
#define HK_FIDO2SIM_CTAPHID_H

#include "sim.h"

struct sim_conn {
	int fd;
	struct sim *sim;
	uint32_t cids[16];	/* channels INIT allocated on this connection */
	size_t n_cids;
	uint32_t cur_cid;	/* channel of the CBOR request being served */
	bool dead;
	struct sim_session sess;	/* swapped into the sim while served */
};

/* Serves one message when the socket is readable: 0 to keep the connection,
 * -1 when it closed or broke. */
int sim_conn_serve_one(struct sim_conn *c);

#endif
