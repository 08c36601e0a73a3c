/* OpenSSH's security-key files: the openssh-key-v1 key-handle file ssh loads
 * for an sk key (no cipher: the secret stays on the device), and the
 * ssh-sk-attest-v01 attestation blob ssh-keygen -O write-attestation writes. */
#ifndef HK_SKFILE_H
#define HK_SKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

/* OpenSSH sk key flags (sk-api.h). */
#define HK_SK_USER_PRESENCE_REQD	0x01
#define HK_SK_USER_VERIFICATION_REQD	0x04
#define HK_SK_FORCE_OPERATION		0x10
#define HK_SK_RESIDENT_KEY		0x20

/* Largest key handle hwkey writes or reads (OpenSSH has no limit; devices use < 256). */
#define HK_SK_KEY_HANDLE_MAX	4096

/*
 * The key-handle file of an sk key (PROTOCOL.key: cipher and kdf "none",
 * one key, equal checkints, the public fields, application, flags,
 * key_handle, empty reserved, comment, padding 1,2,3... to 8; PEM armour
 * "OPENSSH PRIVATE KEY" with 70-column base64), as ssh-keygen writes it.
 * key: an HK_KEY_ECDSA_SK or HK_KEY_ED25519_SK key; comment NULL: the
 * key's comment, else "". *outp: NUL-terminated text, *lenp its length.
 */
int hk_sk_file_write(const struct hk_key *key, uint8_t flags,
    const uint8_t *key_handle, size_t key_handle_len, const char *comment,
    char **outp, size_t *lenp);

/* A parsed key-handle file. */
struct hk_sk_file {
	struct hk_key *key;		/* the sk public key, with the file's comment */
	uint8_t flags;			/* HK_SK_* */
	uint8_t *key_handle;
	size_t key_handle_len;
};
/*
 * Read a key-handle file (text with the armour; leading and trailing blank
 * lines allowed). HK_ERR_NOT_SUPPORTED for a passphrase-protected file or a
 * key that is not an sk key; HK_ERR_FORMAT_MALFORMED with what is wrong.
 */
int hk_sk_file_parse(const char *data, size_t len, struct hk_sk_file **skp);
void hk_sk_file_free(struct hk_sk_file *sk);	/* accepts NULL */

/* An attestation: ssh-sk-attest-v01 (v00 lacks authdata). */
struct hk_sk_attest {
	int version;			/* 0 or 1 */
	uint8_t *cert;			/* DER, may be empty (self attestation) */
	size_t cert_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *authdata;		/* CBOR-encoded authData; NULL in v00 */
	size_t authdata_len;
};
/* string "ssh-sk-attest-v01" | cert | signature | authdata | uint32 0 | string "". */
int hk_sk_attest_write(const uint8_t *cert, size_t cert_len, const uint8_t *sig,
    size_t sig_len, const uint8_t *authdata, size_t authdata_len, uint8_t **outp,
    size_t *lenp);
int hk_sk_attest_parse(const uint8_t *blob, size_t len, struct hk_sk_attest **atp);
void hk_sk_attest_free(struct hk_sk_attest *at);	/* accepts NULL */

#endif /* HK_SKFILE_H */
