/* hwkey-cloudsim: starting the HTTP(S) daemon (server.c) for main.c. */
#ifndef HK_SIM_SERVER_H
#define HK_SIM_SERVER_H

#include <sys/socket.h>

struct MHD_Daemon;
struct sim;

/* cert/key: PEM text (NULL for plain HTTP). The port is taken from sa. */
int sim_server_start(struct sim *sim, const struct sockaddr *sa, int ipv6,
    const char *cert, const char *key, struct MHD_Daemon **dp);
unsigned int sim_server_port(struct MHD_Daemon *d);

#endif /* HK_SIM_SERVER_H */
