/* The backend-independent token API: dispatches hk_token_* to the backend
 * table that owns the URI scheme, keeps each handle's error, and holds the
 * helpers every backend shares. Nothing here knows a backend by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "token_impl.h"

/*
 * The backends, tried in this order. A new token family is one table in its
 * own file plus one line here.
 */
static const struct hk_token_impl *const backends[] = {
#ifdef WITH_PKCS11
	&hk_token_pkcs11,
#endif
#ifdef WITH_FIDO2
	&hk_token_fido2,
#endif
	NULL,
};

struct hk_tokens {
	const struct hk_token_impl **impl;
	void **ctx;
	size_t n;
	struct hk_token_info **infos;	/* snapshot: every backend's, concatenated */
	size_t ninfos;
	int have_infos;
	struct hk_error err;
};

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
	case HK_TKEY_F_DECRYPT:			return "decrypt";
	}
	return NULL;
}

int
hk_token_info_can_make(const struct hk_token_info *info, enum hk_kind kind)
{
	return info != NULL && hk_key_kind(kind) != NULL &&
	    (info->gen_kinds & HK_KIND_BIT(kind)) != 0;
}

int
hk_token_info_pin_len_check(const struct hk_token_info *info, size_t len)
{
	if (info == NULL || info->pin_max_len == 0 ||
	    (len >= info->pin_min_len && len <= info->pin_max_len))
		return 0;
	return hk_errf(HK_ERR_PIN_LEN_RANGE, "%s: PIN must be %lu to %lu characters",
	    info->label[0] != '\0' ? info->label : "token", info->pin_min_len,
	    info->pin_max_len);
}

int
hk_token_key_proven(const struct hk_token_key *key)
{
	return key != NULL && key->proof.kind != HK_PROOF_NONE &&
	    key->proof.verified == 1;
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

struct hk_token_key *
hk_token_key_new(const struct hk_token_impl *impl)
{
	struct hk_token_key *key;

	if ((key = calloc(1, sizeof(*key))) == NULL)
		return NULL;
	key->impl = impl;
	return key;
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
	hk_token_proof_clear(&key->proof);
	if (key->be != NULL && key->impl != NULL && key->impl->key_free != NULL)
		key->impl->key_free(key->be);
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
hk_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

int
hk_token_fido2_option(const struct hk_token_fido2_info *f, const char *name)
{
	size_t i;

	for (i = 0; f != NULL && f->option_names != NULL && f->option_names[i] != NULL; i++)
		if (strcmp(f->option_names[i], name) == 0)
			return f->option_values[i] != 0;
	return -1;
}

void
hk_token_info_free(struct hk_token_info *info)
{
	if (info == NULL)
		return;
	free(info->module);
	free(info->module_path);
	free(info->library);
	free(info->label);
	free(info->manufacturer);
	free(info->model);
	free(info->serial);
	free(info->firmware);
	free(info->hardware);
	free(info->uri);
	free(info->error);
	if (info->fido2 != NULL) {
		hk_strv_free(info->fido2->versions);
		hk_strv_free(info->fido2->extensions);
		hk_strv_free(info->fido2->option_names);
		free(info->fido2->option_values);
		free(info->fido2->algorithms);
		free(info->fido2);
	}
	free(info);
}

/* Take the failure a call just returned into e; a success clears it. */
static int
tokens_take(struct hk_tokens *ts, int r)
{
	return hk_error_take(&ts->err, r);
}

int
hk_tokens_open_backends(const struct hk_token_impl *const *impls, const char *module,
    struct hk_tokens **tsp)
{
	struct hk_tokens *ts;
	size_t i, n;
	int r;

	*tsp = NULL;
	for (n = 0; impls[n] != NULL; n++)
		;
	if ((ts = calloc(1, sizeof(*ts))) == NULL ||
	    (ts->impl = calloc(n + 1, sizeof(*ts->impl))) == NULL ||
	    (ts->ctx = calloc(n + 1, sizeof(*ts->ctx))) == NULL) {
		hk_tokens_free(ts);
		return HK_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		/* --module names a module file: backends without modules stay out. */
		if (module != NULL && (impls[i]->flags & HK_TOKEN_IMPL_TAKES_MODULE) == 0)
			continue;
		if ((r = impls[i]->load(module, &ts->ctx[ts->n])) != 0) {
			hk_tokens_free(ts);
			return r;
		}
		ts->impl[ts->n++] = impls[i];
	}
	if (ts->n == 0) {
		hk_tokens_free(ts);
		return hk_errf(HK_ERR_NOT_SUPPORTED, module != NULL ?
		    "%s: no token backend takes a module" :
		    "built without any token backend", module);
	}
	*tsp = ts;
	return 0;
}

const char *
hk_tokens_backends(char *buf, size_t size)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; backends[i] != NULL; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s (%s)", i ? ", " : "",
		    backends[i]->name, backends[i]->library != NULL ?
		    backends[i]->library : "built in");
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
	return buf;
}

int
hk_tokens_open(const char *module, struct hk_tokens **tsp)
{
	return hk_tokens_open_backends(backends, module, tsp);
}

int
hk_tokens_open_scheme(const char *uri, struct hk_tokens **tsp)
{
	const struct hk_token_impl *impls[sizeof(backends) / sizeof(backends[0])];
	size_t i, n = 0;

	*tsp = NULL;
	for (i = 0; backends[i] != NULL; i++)
		if (strncmp(uri, backends[i]->scheme, strlen(backends[i]->scheme)) == 0)
			impls[n++] = backends[i];
	impls[n] = NULL;
	if (n == 0)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "\"%s\": no token backend built in "
		    "takes this URI", uri);
	return hk_tokens_open_backends(impls, NULL, tsp);
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
	free(ts->impl);
	free(ts->ctx);
	free(ts);
}

const struct hk_error *
hk_tokens_error(const struct hk_tokens *ts)
{
	return &ts->err;
}

static int
tokens_collect(struct hk_tokens *ts)
{
	struct hk_token_info *const *part;
	struct hk_token_info **all = NULL, **na;
	size_t i, n, total = 0;
	int r;

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
	ts->ninfos = total;
	ts->have_infos = 1;
	return 0;
}

int
hk_tokens_list(struct hk_tokens *ts, struct hk_token_info *const **infosp, size_t *np)
{
	int r;

	*infosp = NULL;
	*np = 0;
	hk_err_clear();
	if (!ts->have_infos && (r = tokens_collect(ts)) != 0)
		return tokens_take(ts, r);
	*infosp = ts->infos;
	*np = ts->ninfos;
	return tokens_take(ts, 0);
}

int
hk_tokens_rescan(struct hk_tokens *ts, int *changedp)
{
	size_t i;
	int r, changed = 0, c;

	if (changedp != NULL)
		*changedp = 0;
	hk_err_clear();
	/* The old snapshot points into infos a backend may now free. */
	free(ts->infos);
	ts->infos = NULL;
	ts->ninfos = 0;
	ts->have_infos = 0;
	for (i = 0; i < ts->n; i++) {
		if (ts->impl[i]->rescan == NULL)
			continue;
		c = 0;
		if ((r = ts->impl[i]->rescan(ts->ctx[i], &c)) != 0)
			return tokens_take(ts, r);
		changed |= c;
	}
	if (changedp != NULL)
		*changedp = changed;
	return tokens_take(ts, 0);
}

/* The loaded tables' schemes, quoted: "\"a:\"", "\"a:\" or \"b:\"". */
static void
tokens_schemes(const struct hk_tokens *ts, char *buf, size_t size)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; i < ts->n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s\"%s\"", i == 0 ? "" :
		    i + 1 == ts->n ? " or " : ", ", ts->impl[i]->scheme);
	}
}

int
hk_token_select(struct hk_tokens *ts, const char *uri, struct hk_token **tokp)
{
	const struct hk_token_impl *impl = NULL;
	struct hk_token *tok;
	char schemes[128];
	size_t i;
	int r;

	*tokp = NULL;
	hk_err_clear();
	for (i = 0; uri != NULL && i < ts->n; i++) {
		if (strncmp(uri, ts->impl[i]->scheme, strlen(ts->impl[i]->scheme)) == 0) {
			impl = ts->impl[i];
			break;
		}
	}
	if (impl == NULL) {
		tokens_schemes(ts, schemes, sizeof(schemes));
		return tokens_take(ts, hk_errf(HK_ERR_TOKEN_URI, "\"%s\": a token is "
		    "named by a %s URI (see hwkey tokens)", uri == NULL ? "" : uri,
		    schemes));
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL)
		return tokens_take(ts, HK_ERR_ALLOC);
	tok->impl = impl;
	if ((r = impl->open(ts->ctx[i], uri, tok)) != 0) {
		free(tok);
		r = tokens_take(ts, r);
		snprintf(ts->err.token, sizeof(ts->err.token), "%s", uri);
		return r;
	}
	*tokp = tok;
	return tokens_take(ts, 0);
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
hk_token_set_ui(struct hk_token *tok, const struct hk_ui *ui)
{
	tok->ui = ui;
}

const struct hk_error *
hk_token_error(const struct hk_token *tok)
{
	return &tok->err;
}

int
hk_token_ask(struct hk_token *tok, enum hk_ui_secret which, const char *prompt,
    struct hk_secret **secp)
{
	return hk_ui_secret(tok->ui, which, prompt, secp);
}

/*
 * Every operation starts with a clean thread detail and ends with its
 * outcome in the handle, the token named: the caller reports from there.
 */
static int
token_take(struct hk_token *tok, int r)
{
	const struct hk_token_info *info = tok->info;

	hk_error_take(&tok->err, r);
	if (r != 0 && info != NULL)
		snprintf(tok->err.token, sizeof(tok->err.token), "%s",
		    info->label != NULL && info->label[0] != '\0' ? info->label :
		    info->uri != NULL ? info->uri : "");
	return r;
}

#define HK_TOKEN_OP(op, ...) \
	(hk_err_clear(), token_take(tok, (tok->impl->op == NULL) ? \
	    hk_errf(HK_ERR_NOT_SUPPORTED, "%s tokens: %s", tok->impl->name, #op) : \
	    tok->impl->op(__VA_ARGS__)))

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
	if (req == NULL || hk_keygen_req_kind(req) == HK_KIND_COUNT ||
	    hk_keygen_req_label(req) == NULL) {
		hk_err_clear();
		return token_take(tok, hk_errf(HK_ERR_INVALID_ARGUMENT,
		    "a keygen request needs a kind and a label"));
	}
	/* Windows passwords are RSA-encrypted (PKCS#1 v1.5): only RSA can decrypt them. */
	if ((hk_keygen_req_usage(req) & HK_KEY_USAGE_WINDOWS_PASSWORD) != 0 &&
	    hk_key_kind(hk_keygen_req_kind(req))->type != HK_KEY_RSA) {
		hk_err_clear();
		return token_take(tok, hk_errf(HK_ERR_KEY_USAGE, "--usage windows-password "
		    "needs an RSA key (rsa2048, rsa3072, rsa4096), not %s: clouds encrypt "
		    "Windows passwords with RSA PKCS#1 v1.5",
		    hk_key_kind(hk_keygen_req_kind(req))->name));
	}
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
	if (key == NULL || key->impl != tok->impl) {
		hk_err_clear();
		return token_take(tok, hk_errf(HK_ERR_INVALID_ARGUMENT,
		    "the key is not from a %s token", tok->impl->name));
	}
	return HK_TOKEN_OP(delete_key, tok, key);
}

int
hk_token_decrypt(struct hk_token *tok, const struct hk_token_key *key,
    enum hk_decrypt_mech mech, const uint8_t *in, size_t len, struct hk_secret **outp)
{
	*outp = NULL;
	if (key == NULL || key->impl != tok->impl || in == NULL || len == 0) {
		hk_err_clear();
		return token_take(tok, hk_errf(HK_ERR_INVALID_ARGUMENT, key == NULL ||
		    key->impl != tok->impl ? "the key is not from a %s token" :
		    "nothing to decrypt", tok->impl->name));
	}
	return HK_TOKEN_OP(decrypt, tok, key, mech, in, len, outp);
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
