/* The backend-independent token API: dispatches hk_token_* to the backend
 * table that owns the URI scheme, and holds the shared helpers. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "token_impl.h"

/*
 * The backends, tried in this order. A new token family is one table in its
 * own file plus one line here (the FIDO2 backend: &hk_token_fido2 under
 * WITH_FIDO2).
 */
static const struct hk_token_impl *const backends[] = {
#ifdef WITH_PKCS11
	&hk_token_pkcs11,
#endif
	NULL,
};
#define HK_TOKEN_NBACKENDS (sizeof(backends) / sizeof(backends[0]))

struct hk_tokens {
	const struct hk_token_impl *impl[HK_TOKEN_NBACKENDS];
	void *ctx[HK_TOKEN_NBACKENDS];
	size_t n;
	struct hk_token_info **infos;	/* every backend's, concatenated */
};

static const char *const ktype_names[HK_TKT_COUNT] = {
	"rsa2048", "rsa3072", "rsa4096", "ecdsa-p256", "ecdsa-p384",
	"ecdsa-p521", "ed25519",
};

const char *
hk_token_ktype_name(enum hk_token_ktype type)
{
	if ((unsigned int)type >= HK_TKT_COUNT)
		return "unknown";
	return ktype_names[type];
}

int
hk_token_ktype_from_name(const char *name, enum hk_token_ktype *typep)
{
	size_t i;

	for (i = 0; i < HK_TKT_COUNT; i++) {
		if (strcmp(name, ktype_names[i]) == 0) {
			*typep = (enum hk_token_ktype)i;
			return 0;
		}
	}
	return hk_errf(HK_ERR_INVALID_ARGUMENT, "unknown key type \"%s\" (rsa2048, "
	    "rsa3072, rsa4096, ecdsa-p256, ecdsa-p384, ecdsa-p521, ed25519)", name);
}

const char *
hk_token_flag_name(unsigned int flag)
{
	switch (flag) {
	case HK_TOKEN_F_INITIALIZED:		return "initialized";
	case HK_TOKEN_F_LOGIN_REQUIRED:		return "login-required";
	case HK_TOKEN_F_USER_PIN_INITIALIZED:	return "user-pin-initialized";
	case HK_TOKEN_F_PIN_COUNT_LOW:		return "pin-count-low";
	case HK_TOKEN_F_PIN_FINAL_TRY:		return "pin-final-try";
	case HK_TOKEN_F_PIN_LOCKED:		return "pin-locked";
	case HK_TOKEN_F_PIN_TO_BE_CHANGED:	return "pin-to-be-changed";
	case HK_TOKEN_F_SO_PIN_COUNT_LOW:	return "so-pin-count-low";
	case HK_TOKEN_F_SO_PIN_FINAL_TRY:	return "so-pin-final-try";
	case HK_TOKEN_F_SO_PIN_LOCKED:		return "so-pin-locked";
	case HK_TOKEN_F_WRITE_PROTECTED:	return "write-protected";
	case HK_TOKEN_F_PROTECTED_AUTH_PATH:	return "protected-auth-path";
	}
	return NULL;
}

const char *
hk_token_key_flag_name(unsigned int flag)
{
	switch (flag) {
	case HK_TKEY_F_LOCAL:			return "local";
	case HK_TKEY_F_NEVER_EXTRACTABLE:	return "never-extractable";
	case HK_TKEY_F_ALWAYS_SENSITIVE:	return "always-sensitive";
	case HK_TKEY_F_SENSITIVE:		return "sensitive";
	case HK_TKEY_F_EXTRACTABLE:		return "extractable";
	case HK_TKEY_F_PRIVATE:			return "private";
	}
	return NULL;
}

int
hk_token_key_proven(const struct hk_token_key *key)
{
	const unsigned int need = HK_TKEY_F_LOCAL | HK_TKEY_F_NEVER_EXTRACTABLE |
	    HK_TKEY_F_ALWAYS_SENSITIVE | HK_TKEY_F_SENSITIVE;

	if (key == NULL || !key->has_private)
		return 0;
	if ((key->known & (need | HK_TKEY_F_EXTRACTABLE)) != (need | HK_TKEY_F_EXTRACTABLE))
		return 0;
	return (key->flags & need) == need && (key->flags & HK_TKEY_F_EXTRACTABLE) == 0;
}

char *
hk_token_hex(const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *s;
	size_t i;

	if ((s = malloc(2 * len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 0x0f];
	}
	s[2 * len] = '\0';
	return s;
}

void
hk_token_key_free(struct hk_token_key *key)
{
	if (key == NULL)
		return;
	free(key->id);
	free(key->id_hex);
	free(key->label);
	hk_key_free(key->key);
	free(key->impl);
	free(key);
}

void
hk_token_keys_free(struct hk_token_key **keys, size_t n)
{
	size_t i;

	if (keys == NULL)
		return;
	for (i = 0; i < n; i++)
		hk_token_key_free(keys[i]);
	free(keys);
}

void
hk_token_info_free(struct hk_token_info *info)
{
	if (info == NULL)
		return;
	free(info->module);
	free(info->library);
	free(info->label);
	free(info->manufacturer);
	free(info->model);
	free(info->serial);
	free(info->firmware);
	free(info->hardware);
	free(info->uri);
	free(info);
}

int
hk_tokens_open(const char *module, struct hk_tokens **tsp)
{
	struct hk_tokens *ts;
	size_t i;
	int r;

	*tsp = NULL;
	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; backends[i] != NULL; i++) {
		/* --module names a PKCS#11 module: the other backends stay out. */
		if (module != NULL && strcmp(backends[i]->name, "pkcs11") != 0)
			continue;
		if ((r = backends[i]->load(module, &ts->ctx[ts->n])) != 0) {
			hk_tokens_free(ts);
			return r;
		}
		ts->impl[ts->n++] = backends[i];
	}
	if (ts->n == 0) {
		hk_tokens_free(ts);
		return hk_errf(HK_ERR_NOT_SUPPORTED, "built without any token backend");
	}
	*tsp = ts;
	return 0;
}

void
hk_tokens_free(struct hk_tokens *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->n; i++)
		ts->impl[i]->unload(ts->ctx[i]);
	free(ts->infos);
	free(ts);
}

int
hk_tokens_list(struct hk_tokens *ts, struct hk_token_info *const **infosp, size_t *np)
{
	struct hk_token_info *const *part;
	struct hk_token_info **all = NULL, **na;
	size_t i, n, total = 0;
	int r;

	*infosp = NULL;
	*np = 0;
	for (i = 0; i < ts->n; i++) {
		if (ts->impl[i]->enumerate == NULL)
			continue;
		if ((r = ts->impl[i]->enumerate(ts->ctx[i], &part, &n)) != 0) {
			free(all);
			return r;
		}
		if ((na = reallocarray(all, total + n + 1, sizeof(*all))) == NULL) {
			free(all);
			return HK_ERR_ALLOC;
		}
		all = na;
		if (n > 0)
			memcpy(all + total, part, n * sizeof(*all));
		total += n;
	}
	free(ts->infos);
	ts->infos = all;
	*infosp = all;
	*np = total;
	return 0;
}

int
hk_token_select(struct hk_tokens *ts, const char *uri, struct hk_token **tokp)
{
	const struct hk_token_impl *impl = NULL;
	struct hk_token *tok;
	size_t i;
	int r;

	*tokp = NULL;
	for (i = 0; uri != NULL && i < ts->n; i++) {
		if (strncmp(uri, ts->impl[i]->scheme, strlen(ts->impl[i]->scheme)) == 0) {
			impl = ts->impl[i];
			break;
		}
	}
	if (impl == NULL)
		return hk_errf(HK_ERR_TOKEN_URI, "\"%s\": a token is named by a "
		    "\"pkcs11:\" URI (see hwkey tokens)", uri == NULL ? "" : uri);
	if ((tok = calloc(1, sizeof(*tok))) == NULL)
		return HK_ERR_ALLOC;
	tok->impl = impl;
	if ((r = impl->open(ts->ctx[i], uri, tok)) != 0) {
		free(tok);
		return r;
	}
	*tokp = tok;
	return 0;
}

void
hk_token_free(struct hk_token *tok)
{
	if (tok == NULL)
		return;
	tok->impl->close(tok);
	free(tok);
}

const struct hk_token_info *
hk_token_get_info(const struct hk_token *tok)
{
	return tok->info;
}

void
hk_token_set_secret_cb(struct hk_token *tok, enum hk_token_secret which,
    hk_secret_cb *cb, void *arg)
{
	if ((unsigned int)which >= HK_TOKEN_SECRET_COUNT)
		return;
	tok->cb[which] = cb;
	tok->cbarg[which] = arg;
}

int
hk_token_ask(struct hk_token *tok, enum hk_token_secret which, const char *prompt,
    struct hk_secret **secp)
{
	*secp = NULL;
	if ((unsigned int)which >= HK_TOKEN_SECRET_COUNT || tok->cb[which] == NULL)
		return hk_errf(HK_ERR_PIN_REQUIRED, "%s: no way to ask for it", prompt);
	return tok->cb[which](tok->cbarg[which], prompt, secp);
}

#define HK_TOKEN_OP(op, ...) \
	((tok->impl->op == NULL) ? \
	    hk_errf(HK_ERR_NOT_SUPPORTED, "%s tokens: %s", tok->impl->name, #op) : \
	    tok->impl->op(__VA_ARGS__))

int
hk_token_login(struct hk_token *tok, enum hk_token_user who)
{
	return HK_TOKEN_OP(login, tok, who);
}

int
hk_token_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp)
{
	*keyp = NULL;
	return HK_TOKEN_OP(keygen, tok, req, keyp);
}

int
hk_token_keys(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np)
{
	*keysp = NULL;
	*np = 0;
	return HK_TOKEN_OP(list_keys, tok, keysp, np);
}

int
hk_token_key_find(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp)
{
	*keyp = NULL;
	return HK_TOKEN_OP(find_key, tok, sel, login, keyp);
}

int
hk_token_key_delete(struct hk_token *tok, const struct hk_token_key *key)
{
	return HK_TOKEN_OP(delete_key, tok, key);
}

int
hk_token_init(struct hk_token *tok, const char *label)
{
	return HK_TOKEN_OP(init_token, tok, label);
}

int
hk_token_pin_init(struct hk_token *tok)
{
	return HK_TOKEN_OP(init_pin, tok);
}

int
hk_token_pin_change(struct hk_token *tok, enum hk_token_user who)
{
	return HK_TOKEN_OP(set_pin, tok, who);
}
