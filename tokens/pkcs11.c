/* PKCS#11 backend through p11-kit: loading modules (the registry or one
 * file), finding tokens, selecting one by RFC 7512 URI, sessions and login,
 * and the token/PIN administration calls. Keys: pkcs11_keys.c, pkcs11_keygen.c. */
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

static char *
p11_str(const CK_UTF8CHAR *field, size_t size)
{
	return p11_kit_space_strdup(field, size);
}

static char *
p11_version(CK_VERSION v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u", v.major, v.minor);
	return strdup(buf);
}

static int
p11_is_trust_module(CK_FUNCTION_LIST *mod)
{
	char *v, *name;
	int yes = 0;

	if ((v = p11_kit_config_option(mod, "trust-policy")) != NULL) {
		yes = strcmp(v, "yes") == 0 || strcmp(v, "true") == 0;
		free(v);
	}
	if ((name = p11_kit_module_get_name(mod)) != NULL) {
		if (strcmp(name, "p11-kit-trust") == 0)
			yes = 1;
		free(name);
	}
	return yes;
}

static void
p11_slot_free(struct hk_p11_slot *s)
{
	if (s == NULL)
		return;
	hk_token_info_free(s->info);
	free(s->modname);
	free(s->modpath);
	free(s);
}

static void
p11_slots_free(struct hk_p11_slot **slots, size_t n)
{
	size_t i;

	for (i = 0; slots != NULL && i < n; i++)
		p11_slot_free(slots[i]);
	free(slots);
}

static void
p11_unload(void *arg)
{
	struct hk_p11_ctx *ctx = arg;

	if (ctx == NULL)
		return;
	p11_slots_free(ctx->slots, ctx->nslots);
	p11_slots_free(ctx->gone, ctx->ngone);
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

/*
 * C_GetMechanismInfo, remembering the first failure that is not "no such
 * mechanism": keygen must report a sick token, not "cannot generate".
 */
static CK_RV
p11_mech(struct hk_p11_slot *s, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *mi)
{
	CK_RV rv = s->mod->C_GetMechanismInfo(s->slot, type, mi);

	if (rv != CKR_OK && rv != CKR_MECHANISM_INVALID && s->mech_rv == CKR_OK)
		s->mech_rv = rv;
	return rv;
}

/* Which key kinds the mechanism list allows, and the size ranges. */
static void
p11_scan_mechs(struct hk_p11_slot *s, struct hk_token_info *info)
{
	CK_MECHANISM_INFO mi;
	unsigned int g = 0;

	if (p11_mech(s, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi) == CKR_OK &&
	    (mi.flags & CKF_GENERATE_KEY_PAIR) != 0) {
		info->rsa_min_bits = mi.ulMinKeySize;
		info->rsa_max_bits = mi.ulMaxKeySize;
		if (mi.ulMinKeySize <= 2048 && mi.ulMaxKeySize >= 2048)
			g |= HK_KIND_BIT(HK_KIND_RSA2048);
		if (mi.ulMinKeySize <= 3072 && mi.ulMaxKeySize >= 3072)
			g |= HK_KIND_BIT(HK_KIND_RSA3072);
		if (mi.ulMinKeySize <= 4096 && mi.ulMaxKeySize >= 4096)
			g |= HK_KIND_BIT(HK_KIND_RSA4096);
	}
	if (p11_mech(s, CKM_EC_KEY_PAIR_GEN, &mi) == CKR_OK &&
	    (mi.flags & CKF_GENERATE_KEY_PAIR) != 0) {
		info->ec_min_bits = mi.ulMinKeySize;
		info->ec_max_bits = mi.ulMaxKeySize;
		/* Some modules leave the sizes 0: then trust the mechanism alone. */
		if (mi.ulMaxKeySize == 0 || (mi.ulMinKeySize <= 256 && mi.ulMaxKeySize >= 256))
			g |= HK_KIND_BIT(HK_KIND_ECDSA_P256);
		if (mi.ulMaxKeySize == 0 || (mi.ulMinKeySize <= 384 && mi.ulMaxKeySize >= 384))
			g |= HK_KIND_BIT(HK_KIND_ECDSA_P384);
		if (mi.ulMaxKeySize == 0 || (mi.ulMinKeySize <= 521 && mi.ulMaxKeySize >= 521))
			g |= HK_KIND_BIT(HK_KIND_ECDSA_P521);
	}
	if (p11_mech(s, CKM_EC_EDWARDS_KEY_PAIR_GEN, &mi) == CKR_OK &&
	    (mi.flags & CKF_GENERATE_KEY_PAIR) != 0)
		g |= HK_KIND_BIT(HK_KIND_ED25519);
	if (s->quirk != NULL && (s->quirk->flags & HK_P11Q_NO_KEYGEN) != 0)
		g = 0;
	if (s->quirk != NULL && s->quirk->gen_mask != 0)
		g &= s->quirk->gen_mask;
	info->gen_kinds = g;
}

static unsigned int
p11_flags(CK_FLAGS f)
{
	static const struct { CK_FLAGS ck; unsigned int hk; } map[] = {
		{ CKF_TOKEN_INITIALIZED, HK_TOKEN_F_INITIALIZED },
		{ CKF_LOGIN_REQUIRED, HK_TOKEN_F_LOGIN_REQUIRED },
		{ CKF_USER_PIN_INITIALIZED, HK_TOKEN_F_USER_PIN_INITIALIZED },
		{ CKF_USER_PIN_COUNT_LOW, HK_TOKEN_F_PIN_COUNT_LOW },
		{ CKF_USER_PIN_FINAL_TRY, HK_TOKEN_F_PIN_FINAL_TRY },
		{ CKF_USER_PIN_LOCKED, HK_TOKEN_F_PIN_LOCKED },
		{ CKF_USER_PIN_TO_BE_CHANGED, HK_TOKEN_F_PIN_TO_BE_CHANGED },
		{ CKF_SO_PIN_COUNT_LOW, HK_TOKEN_F_SO_PIN_COUNT_LOW },
		{ CKF_SO_PIN_FINAL_TRY, HK_TOKEN_F_SO_PIN_FINAL_TRY },
		{ CKF_SO_PIN_LOCKED, HK_TOKEN_F_SO_PIN_LOCKED },
		{ CKF_WRITE_PROTECTED, HK_TOKEN_F_WRITE_PROTECTED },
		{ CKF_PROTECTED_AUTHENTICATION_PATH, HK_TOKEN_F_PROTECTED_AUTH_PATH },
	};
	unsigned int out = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((f & map[i].ck) != 0)
			out |= map[i].hk;
	return out;
}

/* The URI that selects exactly this token; uninitialized ones by slot-id. */
static char *
p11_token_uri(const struct hk_p11_slot *s)
{
	P11KitUri *u;
	char *out = NULL;
	int type = P11_KIT_URI_FOR_TOKEN;

	if ((u = p11_kit_uri_new()) == NULL)
		return NULL;
	memcpy(p11_kit_uri_get_token_info(u), &s->ti, sizeof(s->ti));
	if ((s->ti.flags & CKF_TOKEN_INITIALIZED) == 0 ||
	    p11_kit_space_strlen(s->ti.serialNumber, sizeof(s->ti.serialNumber)) == 0) {
		p11_kit_uri_set_slot_id(u, s->slot);
		type |= P11_KIT_URI_FOR_SLOT;
	}
	if (p11_kit_uri_format(u, type, &out) != P11_KIT_URI_OK)
		out = NULL;
	p11_kit_uri_free(u);
	return out;
}

static int
p11_fill_info(struct hk_p11_slot *s)
{
	struct hk_token_info *info;

	if ((info = calloc(1, sizeof(*info))) == NULL)
		return HK_ERR_ALLOC;
	s->info = info;
	info->backend = hk_token_pkcs11.name;
	info->module = s->modname;
	s->modname = NULL;
	info->slot = s->slot;
	info->quirk = s->quirk != NULL ? s->quirk->family : NULL;
	info->flags = p11_flags(s->ti.flags);
	/* CK_UNAVAILABLE_INFORMATION (~0) and nonsense ranges mean "unknown". */
	if (s->ti.ulMaxPinLen != 0 && s->ti.ulMaxPinLen != (CK_ULONG)-1 &&
	    s->ti.ulMinPinLen <= s->ti.ulMaxPinLen) {
		info->pin_min_len = s->ti.ulMinPinLen;
		info->pin_max_len = s->ti.ulMaxPinLen;
	}
	if (info->module == NULL ||
	    (info->library = p11_str(s->lib.libraryDescription,
	    sizeof(s->lib.libraryDescription))) == NULL ||
	    (info->label = p11_str(s->ti.label, sizeof(s->ti.label))) == NULL ||
	    (info->manufacturer = p11_str(s->ti.manufacturerID,
	    sizeof(s->ti.manufacturerID))) == NULL ||
	    (info->model = p11_str(s->ti.model, sizeof(s->ti.model))) == NULL ||
	    (info->serial = p11_str(s->ti.serialNumber,
	    sizeof(s->ti.serialNumber))) == NULL ||
	    (info->firmware = p11_version(s->ti.firmwareVersion)) == NULL ||
	    (info->hardware = p11_version(s->ti.hardwareVersion)) == NULL ||
	    (info->uri = p11_token_uri(s)) == NULL)
		return HK_ERR_ALLOC;
	/* What ssh's PKCS11Provider and ssh-agent -P need: the real file. */
	if (s->modpath != NULL && (info->module_path = realpath(s->modpath, NULL)) == NULL &&
	    errno == ENOMEM)
		return HK_ERR_ALLOC;
	p11_scan_mechs(s, info);
	return 0;
}

/*
 * A module or slot that fails while enumerating hides its tokens but not the
 * others'; the first such failure is kept so that "no token matches" can
 * name it instead of pretending the token is not there.
 */
static void
p11_scan_fail(struct hk_p11_ctx *ctx, CK_RV rv, const char *call, CK_SLOT_ID slot)
{
	if (ctx->scan_rv != CKR_OK)
		return;
	ctx->scan_rv = rv;
	snprintf(ctx->scan_what, sizeof(ctx->scan_what), "%s (slot %lu): %s", call,
	    (unsigned long)slot, hk_p11_rv_name(rv));
}

static int
p11_scan_module(struct hk_p11_ctx *ctx, CK_FUNCTION_LIST *mod, const char *path)
{
	struct hk_p11_slot *s = NULL, **ns;
	CK_SLOT_ID *ids = NULL;
	CK_ULONG n = 0, i;
	CK_INFO lib;
	char *name;
	CK_RV rv;
	int r = 0;

	if ((rv = mod->C_GetInfo(&lib)) != CKR_OK) {
		p11_scan_fail(ctx, rv, "C_GetInfo", 0);
		return 0;
	}
	if ((rv = mod->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK || n == 0) {
		if (rv != CKR_OK)
			p11_scan_fail(ctx, rv, "C_GetSlotList", 0);
		return 0;
	}
	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return HK_ERR_ALLOC;
	if ((rv = mod->C_GetSlotList(CK_TRUE, ids, &n)) != CKR_OK) {
		p11_scan_fail(ctx, rv, "C_GetSlotList", 0);
		goto out;
	}
	if ((ns = reallocarray(ctx->slots, ctx->nslots + n, sizeof(*ns))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	ctx->slots = ns;
	for (i = 0; i < n; i++) {
		if (s == NULL && (s = calloc(1, sizeof(*s))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		memset(s, 0, sizeof(*s));
		s->mod = mod;
		s->lib = lib;
		s->slot = ids[i];
		if ((rv = mod->C_GetSlotInfo(ids[i], &s->si)) != CKR_OK) {
			p11_scan_fail(ctx, rv, "C_GetSlotInfo", ids[i]);
			continue;
		}
		if ((rv = mod->C_GetTokenInfo(ids[i], &s->ti)) != CKR_OK) {
			p11_scan_fail(ctx, rv, "C_GetTokenInfo", ids[i]);
			continue;
		}
		s->quirk = hk_p11_quirk_find(&lib, &s->ti);
		name = path != NULL ? strdup(path) : p11_kit_module_get_name(mod);
		if (name == NULL)
			name = strdup("(unnamed module)");
		s->modname = name;
		s->modpath = path != NULL ? strdup(path) : p11_kit_module_get_filename(mod);
		ctx->slots[ctx->nslots++] = s;
		s = NULL;
		if ((r = p11_fill_info(ctx->slots[ctx->nslots - 1])) != 0)
			goto out;
	}
 out:
	free(s);
	free(ids);
	return r;
}

static int
p11_scan(struct hk_p11_ctx *ctx)
{
	size_t i;
	int r;

	if (ctx->scanned)
		return 0;
	/* A scan that failed half way left slots that no token holds. */
	p11_slots_free(ctx->slots, ctx->nslots);
	ctx->slots = NULL;
	ctx->nslots = 0;
	free(ctx->infos);
	ctx->infos = NULL;
	if (ctx->single != NULL) {
		if ((r = p11_scan_module(ctx, ctx->single, ctx->path)) != 0)
			return r;
	} else {
		for (i = 0; ctx->mods[i] != NULL; i++) {
			if (p11_is_trust_module(ctx->mods[i]))
				continue;
			if ((r = p11_scan_module(ctx, ctx->mods[i], NULL)) != 0)
				return r;
		}
	}
	if ((ctx->infos = calloc(ctx->nslots + 1, sizeof(*ctx->infos))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < ctx->nslots; i++)
		ctx->infos[i] = ctx->slots[i]->info;
	ctx->scanned = 1;
	return 0;
}

static int
p11_enumerate(void *arg, struct hk_token_info *const **infosp, size_t *np)
{
	struct hk_p11_ctx *ctx = arg;
	int r;

	if ((r = p11_scan(ctx)) != 0)
		return r;
	*infosp = ctx->infos;
	*np = ctx->nslots;
	return 0;
}

/* Whether any open token (listed or parked) uses module mod. */
static int
p11_mod_busy(const struct hk_p11_ctx *ctx, const CK_FUNCTION_LIST *mod)
{
	size_t i;

	for (i = 0; i < ctx->nslots; i++)
		if (ctx->slots[i]->mod == mod && ctx->slots[i]->refs > 0)
			return 1;
	for (i = 0; i < ctx->ngone; i++)
		if (ctx->gone[i]->mod == mod)
			return 1;
	return 0;
}

static int
p11_mod_wants_reinit(const struct hk_p11_ctx *ctx, const CK_FUNCTION_LIST *mod)
{
	size_t i;

	for (i = 0; i < ctx->nslots; i++)
		if (ctx->slots[i]->mod == mod && ctx->slots[i]->quirk != NULL &&
		    (ctx->slots[i]->quirk->flags & HK_P11Q_RESCAN_REINIT) != 0)
			return 1;
	return 0;
}

/* C_Finalize + C_Initialize, the way the module was loaded. */
static int
p11_mod_reinit(struct hk_p11_ctx *ctx, CK_FUNCTION_LIST *mod)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	const char *what = ctx->path != NULL ? ctx->path : "p11-kit module";
	char *name = NULL;
	CK_RV rv;
	int r = 0;

	if (mod == ctx->single && ctx->dl != NULL) {
		(void)mod->C_Finalize(NULL);
		rv = mod->C_Initialize(&init);
	} else {
		(void)p11_kit_module_finalize(mod);
		rv = p11_kit_module_initialize(mod);
	}
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		if (ctx->path == NULL)
			name = p11_kit_module_get_name(mod);
		r = hk_errf(HK_ERR_MODULE_LOAD, "%s: C_Initialize again to rescan: %s",
		    name != NULL ? name : what, hk_p11_rv_name(rv));
		free(name);
	}
	return r;
}

/* The same token in the same module, by what its URI says of it. */
static int
p11_slot_same(const struct hk_p11_slot *a, const struct hk_p11_slot *b)
{
	return a->mod == b->mod && strcmp(a->info->uri, b->info->uri) == 0;
}

static int
p11_slots_differ(struct hk_p11_slot **a, size_t na, struct hk_p11_slot **b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return 1;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && !p11_slot_same(a[i], b[j]); j++)
			;
		if (j == nb)
			return 1;
	}
	return 0;
}

/*
 * Scan every module again. Slots no open token holds are freed with the
 * previous scan (and with them the infos hk_tokens_list handed out); a slot
 * an open token holds is parked until that token closes, so its info and
 * handles stay valid even when the token was pulled.
 */
static int
p11_rescan(void *arg, int *changedp)
{
	struct hk_p11_ctx *ctx = arg;
	struct hk_p11_slot **old, **ng;
	size_t nold, i, k;
	int r = 0, rr;

	*changedp = 0;
	if ((r = p11_scan(ctx)) != 0)
		return r;
	old = ctx->slots;
	nold = ctx->nslots;
	/* Room to park the slots open tokens hold, before anything changes. */
	for (i = 0, k = 0; i < nold; i++)
		if (old[i]->refs > 0)
			k++;
	if (k > 0) {
		if ((ng = reallocarray(ctx->gone, ctx->ngone + k, sizeof(*ng))) == NULL)
			return HK_ERR_ALLOC;
		ctx->gone = ng;
	}
	if (ctx->single != NULL) {
		if (p11_mod_wants_reinit(ctx, ctx->single) && !p11_mod_busy(ctx, ctx->single))
			r = p11_mod_reinit(ctx, ctx->single);
	} else {
		for (i = 0; ctx->mods[i] != NULL; i++)
			if (p11_mod_wants_reinit(ctx, ctx->mods[i]) &&
			    !p11_mod_busy(ctx, ctx->mods[i]) &&
			    (rr = p11_mod_reinit(ctx, ctx->mods[i])) != 0 && r == 0)
				r = rr;
	}
	/* A module that failed to come back shows as scan failures below. */
	ctx->slots = NULL;
	ctx->nslots = 0;
	free(ctx->infos);
	ctx->infos = NULL;
	ctx->scanned = 0;
	ctx->scan_rv = CKR_OK;
	ctx->scan_what[0] = '\0';
	rr = p11_scan(ctx);
	*changedp = p11_slots_differ(old, nold, ctx->slots, ctx->nslots);
	for (i = 0; i < nold; i++) {
		if (old[i]->refs > 0)
			ctx->gone[ctx->ngone++] = old[i];
		else
			p11_slot_free(old[i]);
	}
	free(old);
	return rr != 0 ? rr : r;
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

	if ((r = p11_scan(ctx)) != 0)
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
	t->s->info->flags = p11_flags(t->s->ti.flags);
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
			p11_slot_free(s);
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
	.flags = HK_TOKEN_IMPL_TAKES_MODULE,
	.load = p11_load,
	.unload = p11_unload,
	.enumerate = p11_enumerate,
	.rescan = p11_rescan,
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
};
