/* PKCS#11 backend through p11-kit: loading modules (the registry or one
 * file), selecting a token by RFC 7512 URI, sessions and login, and the
 * backend's table. Finding tokens: pkcs11_scan.c; keys: pkcs11_keys.c,
 * pkcs11_keygen.c; administration: pkcs11_admin.c. */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "pkcs11_int.h"

static void
p11_unload(void *arg)
{
	struct hk_p11_ctx *ctx = arg;

	if (ctx == NULL)
		return;
	hk_p11_slots_free(ctx->slots, ctx->nslots);
	hk_p11_slots_free(ctx->gone, ctx->ngone);
	free(ctx->infos);
	free(ctx->path);
	if (ctx->single != NULL && ctx->dl != NULL) {
		ctx->single->C_Finalize(NULL);
		dlclose(ctx->dl);
	} else if (ctx->single != NULL) {
		p11_kit_module_finalize(ctx->single);
		p11_kit_module_release(ctx->single);
	}
	if (ctx->mods != NULL)
		p11_kit_modules_finalize_and_release(ctx->mods);
	free(ctx);
}

/*
 * p11-kit refuses to load p11-kit-proxy.so as a module of its own; the proxy
 * is still a plain PKCS#11 module, so load it (or any module p11-kit turns
 * down) the way every other consumer does.
 */
static int
p11_load_direct(struct hk_p11_ctx *ctx, const char *module, const char *why)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList getf;
	CK_RV rv;

	if ((ctx->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return hk_errf(HK_ERR_MODULE_LOAD, "%s: %s", module, why);
	*(void **)&getf = dlsym(ctx->dl, "C_GetFunctionList");
	rv = getf != NULL ? getf(&ctx->single) : CKR_OK;
	if (getf == NULL || rv != CKR_OK || ctx->single == NULL) {
		dlclose(ctx->dl);
		ctx->dl = NULL;
		ctx->single = NULL;
		if (getf != NULL && rv != CKR_OK)
			return hk_errf(HK_ERR_MODULE_LOAD, "%s: C_GetFunctionList: %s",
			    module, hk_p11_rv_name(rv));
		return hk_errf(HK_ERR_MODULE_LOAD, "%s: not a PKCS#11 module (%s)", module, why);
	}
	if ((rv = ctx->single->C_Initialize(&init)) != CKR_OK &&
	    rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		dlclose(ctx->dl);
		ctx->dl = NULL;
		ctx->single = NULL;
		return hk_errf(HK_ERR_MODULE_LOAD, "%s: C_Initialize: %s", module,
		    hk_p11_rv_name(rv));
	}
	return 0;
}

static int
p11_load(const char *module, void **ctxp)
{
	struct hk_p11_ctx *ctx;
	struct stat st;
	const char *msg;
	CK_RV rv;
	int r;

	*ctxp = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return HK_ERR_ALLOC;
	if (module != NULL) {
		if ((ctx->path = strdup(module)) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		if (stat(module, &st) == -1) {
			r = hk_errf(HK_ERR_MODULE_LOAD, "%s: %s", module, strerror(errno));
			goto out;
		}
		if ((ctx->single = p11_kit_module_load(module, 0)) == NULL) {
			msg = p11_kit_message();
			if ((r = p11_load_direct(ctx, module, msg != NULL ? msg :
			    "p11-kit cannot load it")) != 0)
				goto out;
			*ctxp = ctx;
			return 0;
		}
		if ((rv = p11_kit_module_initialize(ctx->single)) != CKR_OK) {
			p11_kit_module_release(ctx->single);
			ctx->single = NULL;
			r = hk_errf(HK_ERR_MODULE_LOAD, "%s: C_Initialize: %s", module,
			    hk_p11_rv_name(rv));
			goto out;
		}
	} else if ((ctx->mods = p11_kit_modules_load_and_initialize(0)) == NULL) {
		msg = p11_kit_message();
		r = hk_errf(HK_ERR_MODULE_LOAD, "p11-kit registry: %s",
		    msg != NULL ? msg : "cannot load the registered modules");
		goto out;
	}
	*ctxp = ctx;
	ctx = NULL;
	r = 0;
 out:
	p11_unload(ctx);
	return r;
}

/* "pkcs11:...; pkcs11:..." of the given slots, for error details. */
static void
p11_list_uris(struct hk_p11_ctx *ctx, const size_t *idx, size_t n, char *buf,
    size_t size)
{
	size_t i, len;

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, size, "none");
		return;
	}
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s (%s, slot %lu)", i > 0 ? "; " : "",
		    ctx->slots[idx[i]]->info->uri, ctx->slots[idx[i]]->info->module,
		    ctx->slots[idx[i]]->info->slot);
	}
}

static int
p11_uri_matches(P11KitUri *u, struct hk_p11_slot *s)
{
	const char *mname = p11_kit_uri_get_module_name(u);
	const char *mpath = p11_kit_uri_get_module_path(u);
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(u);

	if (!p11_kit_uri_match_module_info(u, &s->lib) ||
	    !p11_kit_uri_match_slot_info(u, &s->si) ||
	    !p11_kit_uri_match_token_info(u, &s->ti))
		return 0;
	if (want != (CK_SLOT_ID)-1 && want != s->slot)
		return 0;
	if (mname != NULL && (s->info->module == NULL || strcmp(mname, s->info->module) != 0))
		return 0;
	if (mpath != NULL && (s->modpath == NULL || strcmp(mpath, s->modpath) != 0))
		return 0;
	return 1;
}

static int
p11_open(void *arg, const char *uri, struct hk_token *tok)
{
	struct hk_p11_ctx *ctx = arg;
	struct hk_p11_tok *t = NULL;
	P11KitUri *u = NULL;
	size_t *cand = NULL, *all = NULL, nc = 0, ninit = 0, i;
	char list[900];
	int r, ur;

	if ((r = hk_p11_scan(ctx)) != 0)
		return r;
	if ((u = p11_kit_uri_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((ur = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u)) != P11_KIT_URI_OK) {
		r = hk_errf(HK_ERR_TOKEN_URI, "%s: %s", uri, p11_kit_uri_message(ur));
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u)) {
		r = hk_errf(HK_ERR_TOKEN_URI, "%s: unrecognized attribute", uri);
		goto out;
	}
	/* A PIN in a URI would sit in argv and shell history. */
	if (p11_kit_uri_get_pin_value(u) != NULL || p11_kit_uri_get_pin_source(u) != NULL) {
		r = hk_errf(HK_ERR_TOKEN_URI, "PINs are not taken from URIs (pin-value/"
		    "pin-source); use --pin env:VAR, file:PATH or fd:N");
		goto out;
	}
	if ((cand = calloc(ctx->nslots + 1, sizeof(*cand))) == NULL ||
	    (all = calloc(ctx->nslots + 1, sizeof(*all))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < ctx->nslots; i++) {
		all[i] = i;
		if (!p11_uri_matches(u, ctx->slots[i]))
			continue;
		cand[nc++] = i;
		if ((ctx->slots[i]->ti.flags & CKF_TOKEN_INITIALIZED) != 0)
			ninit++;
	}
	/* An empty token matching a broad URI is not a rival for a real one. */
	if (nc > 1 && ninit > 0) {
		size_t k = 0;

		for (i = 0; i < nc; i++)
			if ((ctx->slots[cand[i]]->ti.flags & CKF_TOKEN_INITIALIZED) != 0)
				cand[k++] = cand[i];
		nc = k;
	}
	if (nc == 0) {
		p11_list_uris(ctx, all, ctx->nslots, list, sizeof(list));
		if (ctx->scan_rv != CKR_OK)
			r = hk_errf(hk_p11_rv_err(ctx->scan_rv), "%s: no token matches; "
			    "a token could not be read: %s; tokens present: %s", uri,
			    ctx->scan_what, list);
		else
			r = hk_errf(HK_ERR_TOKEN_NOT_FOUND, "%s; tokens present: %s", uri,
			    list);
		goto out;
	}
	if (nc > 1) {
		p11_list_uris(ctx, cand, nc, list, sizeof(list));
		r = hk_errf(HK_ERR_TOKEN_AMBIGUOUS, "%s matches %zu tokens: %s; add "
		    "serial= or token= to pick one", uri, nc, list);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	t->ctx = ctx;
	t->s = ctx->slots[cand[0]];
	t->s->refs++;
	t->f = t->s->mod;
	t->logged_in = -1;
	t->uri = u;
	u = NULL;
	tok->be = t;
	tok->info = t->s->info;
	r = 0;
 out:
	free(cand);
	free(all);
	if (u != NULL)
		p11_kit_uri_free(u);
	return r;
}

const char *
hk_p11_name(struct hk_token *tok)
{
	static _Thread_local char buf[96];
	const struct hk_token_info *info = tok->info;

	if (info->label[0] != '\0')
		snprintf(buf, sizeof(buf), "token %s", info->label);
	else
		snprintf(buf, sizeof(buf), "token in slot %lu", info->slot);
	return buf;
}

int
hk_p11_refresh_info(struct hk_token *tok)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_RV rv;

	if ((rv = t->f->C_GetTokenInfo(t->s->slot, &t->s->ti)) != CKR_OK)
		return hk_p11_err(rv, "%s: C_GetTokenInfo", hk_p11_name(tok));
	t->s->info->flags = hk_p11_flags(t->s->ti.flags);
	return 0;
}

int
hk_p11_session(struct hk_token *tok)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_FLAGS fl = CKF_SERIAL_SESSION | CKF_RW_SESSION;
	CK_RV rv;

	if (t->have_sess)
		return 0;
	rv = t->f->C_OpenSession(t->s->slot, fl, NULL, NULL, &t->sess);
	if (rv == CKR_TOKEN_WRITE_PROTECTED)
		rv = t->f->C_OpenSession(t->s->slot, CKF_SERIAL_SESSION, NULL, NULL,
		    &t->sess);
	if (rv != CKR_OK)
		return hk_p11_err(rv, "%s: C_OpenSession", hk_p11_name(tok));
	t->have_sess = 1;
	return 0;
}

/* Token flags after a failed PIN, for the message: the user must know. */
static const char *
p11_pin_state(struct hk_token *tok, enum hk_token_user who)
{
	unsigned int f;

	if (hk_p11_refresh_info(tok) != 0)
		return "";
	f = tok->info->flags;
	if (who == HK_TOKEN_SO) {
		if (f & HK_TOKEN_F_SO_PIN_LOCKED)
			return " (SO PIN now locked)";
		if (f & HK_TOKEN_F_SO_PIN_FINAL_TRY)
			return " (final try left)";
		if (f & HK_TOKEN_F_SO_PIN_COUNT_LOW)
			return " (SO PIN count low)";
		return "";
	}
	if (f & HK_TOKEN_F_PIN_LOCKED)
		return " (PIN now locked)";
	if (f & HK_TOKEN_F_PIN_FINAL_TRY)
		return " (final try left)";
	if (f & HK_TOKEN_F_PIN_COUNT_LOW)
		return " (PIN count low)";
	return "";
}

/* "token alice: C_Login: CKR_PIN_INCORRECT (PIN count low)" */
int
hk_p11_pin_err(struct hk_token *tok, CK_RV rv, const char *call, enum hk_token_user who)
{
	char name[96];

	snprintf(name, sizeof(name), "%s", hk_p11_name(tok));
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return hk_errf(hk_p11_rv_err(rv), "%s: %s: %s%s", name, call,
		    hk_p11_rv_name(rv), p11_pin_state(tok, who));
	return hk_p11_err(rv, "%s: %s", name, call);
}

/* Ask for a PIN and run one PKCS#11 call with it (C_Login). Never retries. */
int
hk_p11_login(struct hk_token *tok, enum hk_token_user who)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_USER_TYPE ut = who == HK_TOKEN_SO ? CKU_SO : CKU_USER;
	struct hk_secret *pin = NULL;
	const char *what;
	char prompt[192];
	CK_FLAGS fl;
	CK_RV rv;
	int r;

	if (t->logged_in == (int)ut)
		return 0;
	if ((r = hk_p11_session(tok)) != 0)
		return r;
	if (ut == CKU_USER && (t->s->ti.flags & CKF_LOGIN_REQUIRED) == 0)
		return 0;
	if (t->logged_in != -1) {
		t->f->C_Logout(t->sess);
		t->logged_in = -1;
	}
	/* A locked PIN: say so without asking for a PIN that cannot work. */
	if ((ut == CKU_USER && (t->s->ti.flags & CKF_USER_PIN_LOCKED) != 0) ||
	    (ut == CKU_SO && (t->s->ti.flags & CKF_SO_PIN_LOCKED) != 0))
		return hk_errf(HK_ERR_PIN_LOCKED, "%s: the %s is locked%s",
		    hk_p11_name(tok), ut == CKU_SO ? "SO PIN" : "user PIN",
		    ut == CKU_SO ? "" : "; unblock it with hwkey pin unblock");
	if ((t->s->ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0) {
		rv = t->f->C_Login(t->sess, ut, NULL, 0);
	} else {
		what = ut == CKU_SO ? (t->s->quirk != NULL ? t->s->quirk->so_prompt :
		    "SO PIN") : "User PIN";
		fl = t->s->ti.flags;
		/* Warn in the prompt when a wrong entry would lock the PIN. */
		snprintf(prompt, sizeof(prompt), "%s for %s%s", what, hk_p11_name(tok),
		    (fl & (ut == CKU_SO ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY)) ?
		    " (final try before it locks)" :
		    (fl & (ut == CKU_SO ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW)) ?
		    " (few tries left)" : "");
		if ((r = hk_token_ask(tok, ut == CKU_SO ? HK_UI_SECRET_SO_PIN :
		    HK_UI_SECRET_PIN, prompt, &pin)) != 0)
			return r;
		rv = t->f->C_Login(t->sess, ut, (CK_UTF8CHAR_PTR)hk_secret_str(pin),
		    hk_secret_len(pin));
		hk_secret_free(pin);
	}
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		rv = CKR_OK;
	if (rv != CKR_OK) {
		return hk_p11_pin_err(tok, rv, "C_Login", who);
	}
	t->logged_in = (int)ut;
	return 0;
}

static int
p11_login(struct hk_token *tok, enum hk_token_user who)
{
	return hk_p11_login(tok, who);
}

/* An open token lets go of its slot; a parked one goes with its last holder. */
static void
p11_slot_release(struct hk_p11_ctx *ctx, struct hk_p11_slot *s)
{
	size_t i;

	if (--s->refs > 0)
		return;
	for (i = 0; i < ctx->ngone; i++) {
		if (ctx->gone[i] == s) {
			ctx->gone[i] = ctx->gone[--ctx->ngone];
			hk_p11_slot_free(s);
			return;
		}
	}
}

static void
p11_close(struct hk_token *tok)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);

	if (t == NULL)
		return;
	if (t->have_sess) {
		if (t->logged_in != -1)
			t->f->C_Logout(t->sess);
		t->f->C_CloseSession(t->sess);
	}
	if (t->uri != NULL)
		p11_kit_uri_free(t->uri);
	hk_p11_labels_free(t);
	p11_slot_release(t->ctx, t->s);
	free(t);
	tok->be = NULL;
}

/* Every key handed out carries its proof. */
static int
p11_list_keys(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np)
{
	size_t i;
	int r;

	if ((r = hk_p11_list_keys(tok, keysp, np)) != 0)
		return r;
	for (i = 0; i < *np; i++) {
		if ((r = hk_p11_key_prove((*keysp)[i])) != 0) {
			hk_token_keys_free(*keysp, *np);
			*keysp = NULL;
			*np = 0;
			return r;
		}
	}
	return 0;
}

static int
p11_find_key(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp)
{
	int r;

	if ((r = hk_p11_find_key(tok, sel, login, keyp)) != 0)
		return r;
	if ((r = hk_p11_key_prove(*keyp)) != 0) {
		hk_token_key_free(*keyp);
		*keyp = NULL;
	}
	return r;
}

static void
p11_key_free(void *be)
{
	free(be);
}

const struct hk_token_impl hk_token_pkcs11 = {
	.name = "pkcs11",
	.scheme = "pkcs11:",
	.library = "p11-kit " HK_P11KIT_VERSION,
	.flags = HK_TOKEN_IMPL_TAKES_MODULE,
	.load = p11_load,
	.unload = p11_unload,
	.enumerate = hk_p11_enumerate,
	.rescan = hk_p11_rescan,
	.open = p11_open,
	.close = p11_close,
	.login = p11_login,
	.keygen = hk_p11_keygen,
	.list_keys = p11_list_keys,
	.find_key = p11_find_key,
	.delete_key = hk_p11_delete_key,
	.init_token = hk_p11_init_token,
	.init_pin = hk_p11_init_pin,
	.set_pin = hk_p11_set_pin,
	.key_free = p11_key_free,
	.decrypt = hk_p11_decrypt,
};
