/* The token layer: one table of operations per token backend (PKCS#11 now,
 * FIDO2 next) and the hk_token_* API front ends use. Never prompts: secrets,
 * touch prompts and progress go through the caller's struct hk_ui. */
#ifndef HK_TOKEN_H
#define HK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "secret.h"
#include "ui.h"

/* Token flags (struct hk_token_info.flags). */
#define HK_TOKEN_F_INITIALIZED		0x0001
#define HK_TOKEN_F_LOGIN_REQUIRED	0x0002
#define HK_TOKEN_F_USER_PIN_INITIALIZED	0x0004
#define HK_TOKEN_F_PIN_COUNT_LOW	0x0008
#define HK_TOKEN_F_PIN_FINAL_TRY	0x0010
#define HK_TOKEN_F_PIN_LOCKED		0x0020
#define HK_TOKEN_F_PIN_TO_BE_CHANGED	0x0040
#define HK_TOKEN_F_SO_PIN_COUNT_LOW	0x0080
#define HK_TOKEN_F_SO_PIN_FINAL_TRY	0x0100
#define HK_TOKEN_F_SO_PIN_LOCKED	0x0200
#define HK_TOKEN_F_WRITE_PROTECTED	0x0400
#define HK_TOKEN_F_PROTECTED_AUTH_PATH	0x0800
/* Name of a single flag bit ("pin-count-low"), NULL for an unknown bit. */
const char *hk_token_flag_name(unsigned int flag);

/* What a FIDO2 authenticator says of itself (authenticatorGetInfo). */
struct hk_token_fido2_info {
	char aaguid[33];	/* lowercase hex, "" when none */
	char **versions;	/* "FIDO_2_0", "FIDO_2_1", "U2F_V2"; NULL-terminated */
	char **extensions;	/* "credProtect", "hmac-secret"; NULL-terminated */
	/* options: name and value ("rk", 1); NULL-terminated names */
	char **option_names;
	int *option_values;
	int *algorithms;	/* COSE algorithms (-7 ES256, -8 EdDSA); nalgorithms */
	size_t nalgorithms;
	unsigned int pin_protocols;	/* bit n: PIN/UV auth protocol n */
	int pin_retries;	/* -1: unknown or no PIN set */
	int has_pin;		/* clientPin option true */
	int64_t rk_remaining;	/* -1: unknown */
	uint64_t max_msg_size;
	uint64_t fw_version;
};
/* The value of a FIDO2 option: 1, 0, or -1 when the device does not report it. */
int hk_token_fido2_option(const struct hk_token_fido2_info *f, const char *name);

struct hk_token_info {
	const char *backend;	/* the backend's name ("pkcs11"), from its table */
	char *module;		/* p11-kit module name ("softhsm2") or the --module path */
	char *module_path;	/* the module's real file (realpath), NULL when unknown */
	char *library;		/* library description */
	unsigned long slot;
	char *label;
	char *manufacturer;
	char *model;
	char *serial;
	char *firmware;		/* "2.6" */
	char *hardware;
	char *uri;		/* selects exactly this token */
	const char *quirk;	/* quirk family ("softhsm", "ykcs11", "opensc") or NULL */
	unsigned int flags;	/* HK_TOKEN_F_* */
	unsigned int gen_kinds;	/* HK_KIND_BIT(kind) per key kind it can make */
	unsigned long rsa_min_bits, rsa_max_bits;	/* 0 when no RSA keygen */
	unsigned long ec_min_bits, ec_max_bits;		/* 0 when no EC keygen */
	/* PIN length range the token accepts (ulMinPinLen/ulMaxPinLen); 0: unknown. */
	unsigned long pin_min_len, pin_max_len;
	/* FIDO2 devices: what the authenticator reports; NULL for other backends. */
	struct hk_token_fido2_info *fido2;
	char *error;		/* why the token could not be read fully, else NULL */
};
/*
 * HK_ERR_PIN_LEN_RANGE ("PIN must be 4 to 255 characters") when len is
 * outside the token's PIN length range, else 0. For a new PIN, before any
 * call that would use it.
 */
int hk_token_info_pin_len_check(const struct hk_token_info *info, size_t len);
/* 1 when the token can make keys of this kind. */
int hk_token_info_can_make(const struct hk_token_info *info, enum hk_kind kind);

/* On-token key flags (struct hk_token_key.flags; valid where .known has the bit). */
#define HK_TKEY_F_LOCAL			0x01
#define HK_TKEY_F_NEVER_EXTRACTABLE	0x02
#define HK_TKEY_F_ALWAYS_SENSITIVE	0x04
#define HK_TKEY_F_SENSITIVE		0x08
#define HK_TKEY_F_EXTRACTABLE		0x10
#define HK_TKEY_F_PRIVATE		0x20
#define HK_TKEY_F_DECRYPT		0x40	/* CKA_DECRYPT: may decrypt (hwkey windows-password) */
#define HK_TKEY_F_LAST			HK_TKEY_F_DECRYPT
const char *hk_token_key_flag_name(unsigned int flag);	/* "never-extractable" */

/*
 * What proves that a key was made on its token and cannot leave it, as the
 * backend found and checked it. Owned by the key (struct hk_token_key.proof).
 */
enum hk_proof_kind {
	HK_PROOF_NONE = 0,		/* nothing proves it */
	HK_PROOF_PKCS11_FLAGS,		/* CKA_LOCAL and the rest, read back */
	HK_PROOF_FIDO2_ATTESTATION,	/* the authenticator's attestation of the credential */
	HK_PROOF_PIV_ATTESTATION,	/* a PIV attestation certificate for the slot */
};
const char *hk_proof_kind_name(enum hk_proof_kind kind);	/* "pkcs11-flags" */

/* A byte string owned by the proof. */
struct hk_proof_blob {
	uint8_t *ptr;
	size_t len;
};

struct hk_token_proof {
	enum hk_proof_kind kind;
	int verified;		/* 1: the backend checked the proof and it holds */
	char *reason;		/* when not verified: why ("CKA_LOCAL=FALSE"); else NULL */
	union {
		/* HK_PROOF_PKCS11_FLAGS: HK_TKEY_F_* of the private key. */
		struct {
			unsigned int flags;
			unsigned int known;	/* which bits the token reported */
		} pkcs11;
		/* HK_PROOF_FIDO2_ATTESTATION, as the authenticator returned it. */
		struct {
			char *format;			/* "packed", "fido-u2f", "none" */
			struct hk_proof_blob attestation;	/* the attestation object */
			struct hk_proof_blob authdata;
			struct hk_proof_blob signature;
			struct hk_proof_blob *certs;	/* x5c, leaf first */
			size_t ncerts;
			uint8_t aaguid[16];
			char *subject, *issuer;		/* of certs[0] (RFC 2253), NULL: none */
			int chain_verified;		/* 1: certs[0] validated to a trusted root */
		} fido2;
		/* HK_PROOF_PIV_ATTESTATION: attestation, then intermediate certificate. */
		struct {
			struct hk_proof_blob *certs;
			size_t ncerts;
		} piv;
	} u;
};

/* A key pair on a token. */
struct hk_token_key {
	uint8_t *id;
	size_t idlen;
	char *id_hex;		/* lowercase hex of id ("" when empty) */
	char *label;		/* "" when none */
	struct hk_key *key;	/* public key, comment = label; NULL when undecodable */
	int has_private;	/* the private half was found (it may need a login) */
	int has_public;
	unsigned int flags;	/* HK_TKEY_F_* of the private key, for display */
	unsigned int known;	/* which HK_TKEY_F_* bits the token reported */
	struct hk_token_proof proof;
	const char *error;	/* why key is NULL (static text), else NULL */
	/* sk keys (FIDO2): OpenSSH key flags (HK_SK_* in skfile.h); id is the
	 * key handle (credential id) the key-handle file holds. */
	uint8_t sk_flags;
	const struct hk_token_impl *impl;	/* the backend that made it */
	void *be;		/* backend handles, released by the backend */
};
void hk_token_key_free(struct hk_token_key *key);	/* accepts NULL */
void hk_token_keys_free(struct hk_token_key **keys, size_t n);
/*
 * 1 when the key's proof was verified by its backend: for PKCS#11, LOCAL,
 * NEVER_EXTRACTABLE, ALWAYS_SENSITIVE, SENSITIVE set and EXTRACTABLE clear,
 * all reported by the token; for FIDO2, a verified attestation.
 */
int hk_token_key_proven(const struct hk_token_key *key);

/* Who logs in. */
enum hk_token_user {
	HK_TOKEN_USER = 0,
	HK_TOKEN_SO,
};

struct hk_tokens;	/* loaded modules / backends */
struct hk_token;	/* one selected token */

/*
 * What to generate, filled with setters (libfido2's fido_cred_set_* style);
 * the backend reads what applies to it. Setters copy their arguments and
 * return 0 or HK_ERR_INVALID_ARGUMENT / HK_ERR_ALLOC.
 */
struct hk_keygen_req;
struct hk_keygen_req *hk_keygen_req_new(void);	/* NULL on allocation failure */
void hk_keygen_req_free(struct hk_keygen_req *req);	/* accepts NULL */
int hk_keygen_req_set_kind(struct hk_keygen_req *req, enum hk_kind kind);
int hk_keygen_req_set_label(struct hk_keygen_req *req, const char *label);
/* NULL: a fresh id (the default). At most HK_KEYGEN_ID_MAX bytes. */
#define HK_KEYGEN_ID_MAX	64
int hk_keygen_req_set_id(struct hk_keygen_req *req, const uint8_t *id, size_t len);
/* Replace a key pair with the same id or label (after the new one is proven). */
int hk_keygen_req_set_force(struct hk_keygen_req *req, int force);
/*
 * More keygens follow on this token handle (hwkey keygen --count): the
 * backend may check labels against an index it reads once, instead of
 * searching the token for each key.
 */
int hk_keygen_req_set_batch(struct hk_keygen_req *req, int batch);
/* Security keys (ecdsa-sk, ed25519-sk): a resident (discoverable) credential. */
int hk_keygen_req_set_resident(struct hk_keygen_req *req, int resident);
/* Security keys: signatures require user verification (PIN or biometrics). */
int hk_keygen_req_set_user_verification(struct hk_keygen_req *req, int required);
/* Security keys: signatures require a touch (default on, as ssh-keygen). */
int hk_keygen_req_set_touch_required(struct hk_keygen_req *req, int required);
/* Security keys: the application (FIDO rpId); default "ssh:", must start "ssh:". */
int hk_keygen_req_set_application(struct hk_keygen_req *req, const char *application);
/* Security keys: the user id of a resident credential (default: none). */
#define HK_KEYGEN_USER_ID_MAX	64
int hk_keygen_req_set_user_id(struct hk_keygen_req *req, const uint8_t *uid, size_t len);
/* Security keys: the challenge the attestation signs (default: random). */
#define HK_KEYGEN_CHALLENGE_MAX	256
int hk_keygen_req_set_challenge(struct hk_keygen_req *req, const uint8_t *c, size_t len);
/*
 * What the key is for (HK_KEY_USAGE_* bits; 0 is HK_KEY_USAGE_SSH, the
 * default). HK_KEY_USAGE_WINDOWS_PASSWORD also lets the private key decrypt
 * (PKCS#11: CKA_DECRYPT true), for hk_token_decrypt; only RSA keys take it
 * (hk_token_keygen refuses another kind with HK_ERR_KEY_USAGE).
 */
#define HK_KEY_USAGE_SSH		0x01	/* sign: SSH authentication */
#define HK_KEY_USAGE_WINDOWS_PASSWORD	0x02	/* decrypt: cloud Windows passwords */
#define HK_KEY_USAGE_ALL		0x03
int hk_keygen_req_set_usage(struct hk_keygen_req *req, unsigned int usage);
/*
 * "ssh,windows-password" into HK_KEY_USAGE_* bits; HK_ERR_USAGE naming the
 * unknown word otherwise. hk_key_usage_names writes the bits back ("ssh").
 */
int hk_key_usage_parse(const char *list, unsigned int *usagep);
const char *hk_key_usage_names(unsigned int usage, char *buf, size_t size);

/*
 * Security keys: also validate the attestation certificate chain to a root
 * in this directory (every PEM certificate in its files), with the leaf's
 * FIDO requirements (v3, OU "Authenticator Attestation", CA false, AAGUID
 * extension equal to authData's). NULL: the statement is verified, the
 * chain is not (proof.u.fido2.chain_verified 0).
 */
int hk_keygen_req_set_attestation_roots(struct hk_keygen_req *req, const char *dir);
/*
 * Security keys: accept self attestation (no certificate: the credential
 * key signs its own attestation, which proves possession, not hardware) or
 * none. Default 0: such a keygen fails with HK_ERR_ATTESTATION. Accepted,
 * the key's proof has verified 0 and the reason.
 */
int hk_keygen_req_set_allow_self_attestation(struct hk_keygen_req *req, int allow);

/* "pkcs11 (p11-kit 0.24.1)": the backends built in, for --version. */
const char *hk_tokens_backends(char *buf, size_t size);

/*
 * Load the backends. module NULL: every backend, PKCS#11 with every module
 * registered with p11-kit (trust-policy modules skipped); else only the
 * backends that take a module path, with exactly that module file.
 */
int hk_tokens_open(const char *module, struct hk_tokens **tsp);
/*
 * Only the backend whose scheme starts uri ("fido:..."), without modules:
 * for a caller that holds a PKCS#11 --module and also names other devices
 * (hwkey provision). HK_ERR_NOT_SUPPORTED when none is built in.
 */
int hk_tokens_open_scheme(const char *uri, struct hk_tokens **tsp);
void hk_tokens_free(struct hk_tokens *ts);	/* accepts NULL; free tokens first */
/*
 * Every token present when the backends were loaded or last rescanned: a
 * snapshot, valid until the next hk_tokens_rescan() or hk_tokens_free().
 */
int hk_tokens_list(struct hk_tokens *ts, struct hk_token_info *const **infosp,
    size_t *np);
/*
 * Look again for tokens inserted or removed since the backends were loaded
 * (a long-running process: the station, a daemon). Invalidates the array
 * hk_tokens_list gave before and the infos of tokens that are gone; an open
 * struct hk_token keeps its own info until it is freed. *changedp (may be
 * NULL): 1 when the set of tokens changed.
 */
int hk_tokens_rescan(struct hk_tokens *ts, int *changedp);
/* The last failure of hk_tokens_list/rescan/select on this set. */
const struct hk_error *hk_tokens_error(const struct hk_tokens *ts);
/*
 * Select one token by URI ("pkcs11:..." RFC 7512; each backend its scheme).
 * No match: HK_ERR_TOKEN_NOT_FOUND, several: HK_ERR_TOKEN_AMBIGUOUS; both
 * list the candidates' URIs in the error (hk_tokens_error). Does not log in.
 */
int hk_token_select(struct hk_tokens *ts, const char *uri, struct hk_token **tokp);
void hk_token_free(struct hk_token *tok);	/* accepts NULL; logs out */
const struct hk_token_info *hk_token_get_info(const struct hk_token *tok);
/*
 * The caller's callbacks (borrowed: ui must outlive the token handle or be
 * replaced). Secrets are asked only when an operation needs them.
 */
void hk_token_set_ui(struct hk_token *tok, const struct hk_ui *ui);
/*
 * The failure of the last operation on this handle (code 0 after a
 * success), with .token naming the token. Each handle keeps its own, so
 * handles used from different threads never read each other's.
 */
const struct hk_error *hk_token_error(const struct hk_token *tok);
/* Log in now (operations that need it also log in by themselves). */
int hk_token_login(struct hk_token *tok, enum hk_token_user who);

int hk_token_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp);
int hk_token_keys(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np);
/*
 * One key by selector: lowercase/uppercase hex of its id, its label, or a
 * "pkcs11:" URI with id=/object=; NULL uses the id=/object= of the token URI.
 * login: also look at private objects (asks for the PIN when needed).
 */
int hk_token_key_find(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp);
int hk_token_key_delete(struct hk_token *tok, const struct hk_token_key *key);
/* How hk_token_decrypt unpads. */
enum hk_decrypt_mech {
	HK_DECRYPT_RSA_PKCS1 = 0,	/* RSA PKCS#1 v1.5 (CKM_RSA_PKCS): cloudbase-init, EC2 */
};
/*
 * Decrypt in[0..len) with the private half of key (logging in, the PIN
 * through the ui). The key must have been made for it (HK_TKEY_F_DECRYPT,
 * checked on the token first): else HK_ERR_KEY_USAGE, saying how to make
 * one. Data the key does not decrypt (another key's, or damaged):
 * HK_ERR_ENCRYPTED_DATA. *outp: the plaintext, a secret wiped when freed.
 */
int hk_token_decrypt(struct hk_token *tok, const struct hk_token_key *key,
    enum hk_decrypt_mech mech, const uint8_t *in, size_t len, struct hk_secret **outp);
/* C_InitToken: erases the token; SO PIN through the ui. */
int hk_token_init(struct hk_token *tok, const char *label);
/* Set or unblock the user PIN as SO (C_InitPIN). */
int hk_token_pin_init(struct hk_token *tok);
/* Change the PIN of who from the current (PIN or SO PIN) to the new one. */
int hk_token_pin_change(struct hk_token *tok, enum hk_token_user who);

#endif /* HK_TOKEN_H */
