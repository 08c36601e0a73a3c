/* Internal contract between tokens/token.c and each backend: the table of
 * operations (NULL = not supported), the generic token object, and what a
 * backend reads from a keygen request. A backend is one file with one table. */
#ifndef HK_TOKEN_IMPL_H
#define HK_TOKEN_IMPL_H

#include "token.h"

/* struct hk_token_impl.flags */
#define HK_TOKEN_IMPL_TAKES_MODULE	0x01	/* loads the --module file; others stay out */

struct hk_token_impl {
	const char *name;	/* "pkcs11": struct hk_token_info.backend, error texts */
	const char *scheme;	/* URI prefix it selects: "pkcs11:" */
	const char *library;	/* what it is built on, for --version: "p11-kit 0.24.1" */
	unsigned int flags;	/* HK_TOKEN_IMPL_* */
	/* module: NULL, or the --module path (only with HK_TOKEN_IMPL_TAKES_MODULE). */
	int (*load)(const char *module, void **ctxp);
	void (*unload)(void *ctx);
	/* Fill *infosp with every token present (the backend keeps ownership). */
	int (*enumerate)(void *ctx, struct hk_token_info *const **infosp, size_t *np);
	/*
	 * Look for tokens again. Infos enumerate gave before may be freed, but
	 * not the info of an open token (tok->info), which stays until close.
	 * *changedp: 1 when tokens came or went.
	 */
	int (*rescan)(void *ctx, int *changedp);
	/* Select by URI; set tok->be and tok->info. */
	int (*open)(void *ctx, const char *uri, struct hk_token *tok);
	void (*close)(struct hk_token *tok);
	int (*login)(struct hk_token *tok, enum hk_token_user who);
	int (*keygen)(struct hk_token *tok, const struct hk_keygen_req *req,
	    struct hk_token_key **keyp);
	int (*list_keys)(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np);
	int (*find_key)(struct hk_token *tok, const char *sel, int login,
	    struct hk_token_key **keyp);
	int (*delete_key)(struct hk_token *tok, const struct hk_token_key *key);
	int (*init_token)(struct hk_token *tok, const char *label);
	int (*init_pin)(struct hk_token *tok);
	int (*set_pin)(struct hk_token *tok, enum hk_token_user who);
	/* Release struct hk_token_key.be (NULL: nothing to release). */
	void (*key_free)(void *be);
	/* Decrypt with key's private half (hk_token_decrypt: key is this backend's). */
	int (*decrypt)(struct hk_token *tok, const struct hk_token_key *key,
	    enum hk_decrypt_mech mech, const uint8_t *in, size_t len,
	    struct hk_secret **outp);
};

struct hk_token {
	const struct hk_token_impl *impl;
	void *be;			/* backend state */
	const struct hk_token_info *info;	/* owned by the backend */
	const struct hk_ui *ui;		/* the caller's, borrowed */
	struct hk_error err;		/* the last operation's failure */
};

/*
 * Load exactly these backends (NULL-terminated) instead of the built-in
 * table: the seam unit tests use to run a fake backend through token.c.
 */
int hk_tokens_open_backends(const struct hk_token_impl *const *impls,
    const char *module, struct hk_tokens **tsp);

/* Ask for a secret through the token's ui. */
int hk_token_ask(struct hk_token *tok, enum hk_ui_secret which,
    const char *prompt, struct hk_secret **secp);
/* A new key made by impl (zeroed; be NULL); NULL on allocation failure. */
struct hk_token_key *hk_token_key_new(const struct hk_token_impl *impl);
void hk_token_proof_clear(struct hk_token_proof *proof);
/* Set proof->reason (printf style); HK_ERR_ALLOC or 0. */
int hk_token_proof_reason(struct hk_token_proof *proof, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hk_token_info_free(struct hk_token_info *info);
/* Hex of bytes (lowercase), NULL on allocation failure. */
char *hk_token_hex(const uint8_t *p, size_t len);

/* What a backend reads from a keygen request (tokens/token_keygen_req.c). */
enum hk_kind hk_keygen_req_kind(const struct hk_keygen_req *req);	/* HK_KIND_COUNT: unset */
const char *hk_keygen_req_label(const struct hk_keygen_req *req);	/* NULL: unset */
const uint8_t *hk_keygen_req_id_ptr(const struct hk_keygen_req *req);	/* NULL: fresh id */
size_t hk_keygen_req_id_len(const struct hk_keygen_req *req);
int hk_keygen_req_force(const struct hk_keygen_req *req);
int hk_keygen_req_batch(const struct hk_keygen_req *req);
int hk_keygen_req_resident(const struct hk_keygen_req *req);
int hk_keygen_req_user_verification(const struct hk_keygen_req *req);
int hk_keygen_req_touch_required(const struct hk_keygen_req *req);
const char *hk_keygen_req_application(const struct hk_keygen_req *req);	/* "ssh:" */
const uint8_t *hk_keygen_req_user_id_ptr(const struct hk_keygen_req *req);
size_t hk_keygen_req_user_id_len(const struct hk_keygen_req *req);
const uint8_t *hk_keygen_req_challenge_ptr(const struct hk_keygen_req *req);	/* NULL: random */
size_t hk_keygen_req_challenge_len(const struct hk_keygen_req *req);
const char *hk_keygen_req_attestation_roots(const struct hk_keygen_req *req);	/* NULL: none */
int hk_keygen_req_allow_self_attestation(const struct hk_keygen_req *req);
unsigned int hk_keygen_req_usage(const struct hk_keygen_req *req);	/* HK_KEY_USAGE_*, never 0 */

/* Free a NULL-terminated string vector (accepts NULL). */
void hk_strv_free(char **v);

#ifdef WITH_PKCS11
extern const struct hk_token_impl hk_token_pkcs11;
#endif
#ifdef WITH_FIDO2
extern const struct hk_token_impl hk_token_fido2;
#endif

#endif /* HK_TOKEN_IMPL_H */
