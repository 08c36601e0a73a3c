/* The OpenSSH key-handle file of a security key (ssh-keygen -t ecdsa-sk,
 * hwkey keygen --type ecdsa-sk): an openssh-key-v1 file holding one sk-*
 * key, not encrypted. Its private section is the credential's key handle,
 * not a private key: the key itself stays on the device. */
#ifndef HK_OPS_SKFILE_H
#define HK_OPS_SKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

/* Flags byte of an sk key (OpenSSH sk-api.h). */
#define HK_SKFILE_F_USER_PRESENCE	0x01
#define HK_SKFILE_F_USER_VERIFICATION	0x04
#define HK_SKFILE_F_RESIDENT		0x20

struct hk_skfile {
	struct hk_key *key;		/* the public key, comment set; owned */
	uint8_t flags;			/* HK_SKFILE_F_* */
	size_t key_handle_len;		/* bytes of the credential id */
};
/*
 * Parse the text of a key-handle file: HK_ERR_FORMAT_UNKNOWN when it is not
 * an OpenSSH private key file, HK_ERR_FORMAT_UNSUPPORTED when it is
 * encrypted or holds more than one key, HK_ERR_KEY_TYPE_MISMATCH when the key
 * is not an sk-* key (a software private key), HK_ERR_FORMAT_MALFORMED
 * (with the field) when the structure is broken.
 */
int hk_skfile_parse(const char *data, size_t len, struct hk_skfile *sk);
/* The same from a file; the detail names the file. */
int hk_skfile_read(const char *path, struct hk_skfile *sk);
void hk_skfile_clear(struct hk_skfile *sk);	/* frees the key; accepts a cleared one */

#endif /* HK_OPS_SKFILE_H */
