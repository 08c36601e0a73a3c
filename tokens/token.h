/* The token layer: one table of operations per token backend (PKCS#11 now,
 * FIDO2 later) and the hk_token_* API the CLI uses. Never prompts: secrets
 * arrive through hk_secret_cb callbacks the caller registers. */
#ifndef HK_TOKEN_H
#define HK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "secret.h"

/* Key types hwkey can ask a token to generate. */
enum hk_token_ktype {
	HK_TKT_RSA2048 = 0,
	HK_TKT_RSA3072,
	HK_TKT_RSA4096,
	HK_TKT_ECDSA_P256,
	HK_TKT_ECDSA_P384,
	HK_TKT_ECDSA_P521,
	HK_TKT_ED25519,
	HK_TKT_COUNT
};
const char *hk_token_ktype_name(enum hk_token_ktype type);	/* "rsa2048" */
int hk_token_ktype_from_name(const char *name, enum hk_token_ktype *typep);

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

struct hk_token_info {
	const char *backend;	/* "pkcs11" */
	char *module;		/* p11-kit module name ("softhsm2") or the --module path */
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
	unsigned int gen_types;	/* bit (1u << HK_TKT_*) per type it can generate */
	unsigned long rsa_min_bits, rsa_max_bits;	/* 0 when no RSA keygen */
	unsigned long ec_min_bits, ec_max_bits;		/* 0 when no EC keygen */
};

/* On-token key flags (struct hk_token_key.flags; valid where .known has the bit). */
#define HK_TKEY_F_LOCAL			0x01
#define HK_TKEY_F_NEVER_EXTRACTABLE	0x02
#define HK_TKEY_F_ALWAYS_SENSITIVE	0x04
#define HK_TKEY_F_SENSITIVE		0x08
#define HK_TKEY_F_EXTRACTABLE		0x10
#define HK_TKEY_F_PRIVATE		0x20
const char *hk_token_key_flag_name(unsigned int flag);	/* "never-extractable" */

/* A key pair on a token. */
struct hk_token_key {
	uint8_t *id;
	size_t idlen;
	char *id_hex;		/* lowercase hex of id ("" when empty) */
	char *label;		/* "" when none */
	struct hk_key *key;	/* public key, comment = label; NULL when undecodable */
	int has_private;	/* the private half was found (it may need a login) */
	int has_public;
	unsigned int flags;	/* HK_TKEY_F_* of the private key */
	unsigned int known;	/* which HK_TKEY_F_* bits the token reported */
	const char *error;	/* why key is NULL (static text), else NULL */
	void *impl;		/* backend handles (one malloc block, free()d) */
};
void hk_token_key_free(struct hk_token_key *key);	/* accepts NULL */
void hk_token_keys_free(struct hk_token_key **keys, size_t n);
/*
 * 1 when the flags prove the private key was made on the token and cannot
 * leave it: LOCAL, NEVER_EXTRACTABLE, ALWAYS_SENSITIVE, SENSITIVE set and
 * EXTRACTABLE clear, all reported by the token.
 */
int hk_token_key_proven(const struct hk_token_key *key);

/* Which secret a callback supplies. */
enum hk_token_secret {
	HK_TOKEN_SECRET_PIN = 0,	/* user PIN (current) */
	HK_TOKEN_SECRET_SO_PIN,		/* SO PIN (YKCS11: the management key) */
	HK_TOKEN_SECRET_NEW_PIN,	/* new PIN for init/change/unblock */
	HK_TOKEN_SECRET_COUNT
};
/* Who logs in. */
enum hk_token_user {
	HK_TOKEN_USER = 0,
	HK_TOKEN_SO,
};

struct hk_tokens;	/* loaded modules / backends */
struct hk_token;	/* one selected token */

struct hk_keygen_req {
	enum hk_token_ktype type;
	const char *label;
	const uint8_t *id;	/* NULL: a fresh id */
	size_t idlen;
	int force;		/* replace a key pair with the same id or label */
	/*
	 * More keygens follow on this token handle (hwkey keygen --count): the
	 * backend may check labels against an index it reads once, instead of
	 * searching the token for each key.
	 */
	int batch;
};

/*
 * Load the backends. module NULL: every module registered with p11-kit
 * (trust-policy modules skipped); else exactly that PKCS#11 module file.
 */
int hk_tokens_open(const char *module, struct hk_tokens **tsp);
void hk_tokens_free(struct hk_tokens *ts);	/* accepts NULL; free tokens first */
/* Every token present (borrowed array, valid until hk_tokens_free). */
int hk_tokens_list(struct hk_tokens *ts, struct hk_token_info *const **infosp,
    size_t *np);
/*
 * Select one token by URI (RFC 7512 "pkcs11:..."). No match:
 * HK_ERR_TOKEN_NOT_FOUND, several: HK_ERR_TOKEN_AMBIGUOUS; both list the
 * candidates' URIs in the detail. Does not log in.
 */
int hk_token_select(struct hk_tokens *ts, const char *uri, struct hk_token **tokp);
void hk_token_free(struct hk_token *tok);	/* accepts NULL; logs out */
const struct hk_token_info *hk_token_get_info(const struct hk_token *tok);
/* Where a secret comes from; the token asks only when an operation needs it. */
void hk_token_set_secret_cb(struct hk_token *tok, enum hk_token_secret which,
    hk_secret_cb *cb, void *arg);
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
/* C_InitToken: erases the token; SO PIN from the SO PIN callback. */
int hk_token_init(struct hk_token *tok, const char *label);
/* Set or unblock the user PIN as SO (C_InitPIN). */
int hk_token_pin_init(struct hk_token *tok);
/* Change the PIN of who from the current (PIN or SO PIN) to the new one. */
int hk_token_pin_change(struct hk_token *tok, enum hk_token_user who);

#endif /* HK_TOKEN_H */
