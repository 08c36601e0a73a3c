/* Internal contract between tokens/token.c and each backend: the table of
 * operations (NULL = not supported) and the generic token object. */
#ifndef HK_TOKEN_IMPL_H
#define HK_TOKEN_IMPL_H

#include "token.h"

struct hk_token_impl {
	const char *name;	/* "pkcs11" */
	const char *scheme;	/* URI prefix it selects: "pkcs11:" */
	int (*load)(const char *module, void **ctxp);
	void (*unload)(void *ctx);
	/* Fill *infosp with every token present (the backend keeps ownership). */
	int (*enumerate)(void *ctx, struct hk_token_info *const **infosp, size_t *np);
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
};

struct hk_token {
	const struct hk_token_impl *impl;
	void *be;			/* backend state */
	const struct hk_token_info *info;	/* owned by the backend */
	hk_secret_cb *cb[HK_TOKEN_SECRET_COUNT];
	void *cbarg[HK_TOKEN_SECRET_COUNT];
};

/* Ask for a secret through the registered callback. */
int hk_token_ask(struct hk_token *tok, enum hk_token_secret which,
    const char *prompt, struct hk_secret **secp);
void hk_token_info_free(struct hk_token_info *info);
/* Hex of bytes (lowercase), NULL on allocation failure. */
char *hk_token_hex(const uint8_t *p, size_t len);

#ifdef WITH_PKCS11
extern const struct hk_token_impl hk_token_pkcs11;
#endif

#endif /* HK_TOKEN_IMPL_H */
