/* Finding tokens: every module's slots, their token and mechanism info, the
 * RFC 7512 URI of each, and rescans that see tokens come and go. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
hk_p11_slot_free(struct hk_p11_slot *s)
{
	if (s == NULL)
		return;
	hk_token_info_free(s->info);
	free(s->modname);
	free(s->modpath);
	free(s);
}

void
hk_p11_slots_free(struct hk_p11_slot **slots, size_t n)
{
	size_t i;

	for (i = 0; slots != NULL && i < n; i++)
		hk_p11_slot_free(slots[i]);
	free(slots);
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

unsigned int
hk_p11_flags(CK_FLAGS f)
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
	info->flags = hk_p11_flags(s->ti.flags);
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

int
hk_p11_scan(struct hk_p11_ctx *ctx)
{
	size_t i;
	int r;

	if (ctx->scanned)
		return 0;
	/* A scan that failed half way left slots that no token holds. */
	hk_p11_slots_free(ctx->slots, ctx->nslots);
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

int
hk_p11_enumerate(void *arg, struct hk_token_info *const **infosp, size_t *np)
{
	struct hk_p11_ctx *ctx = arg;
	int r;

	if ((r = hk_p11_scan(ctx)) != 0)
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
int
hk_p11_rescan(void *arg, int *changedp)
{
	struct hk_p11_ctx *ctx = arg;
	struct hk_p11_slot **old, **ng;
	size_t nold, i, k;
	int r = 0, rr;

	*changedp = 0;
	if ((r = hk_p11_scan(ctx)) != 0)
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
	rr = hk_p11_scan(ctx);
	*changedp = p11_slots_differ(old, nold, ctx->slots, ctx->nslots);
	for (i = 0; i < nold; i++) {
		if (old[i]->refs > 0)
			ctx->gone[ctx->ngone++] = old[i];
		else
			hk_p11_slot_free(old[i]);
	}
	free(old);
	return rr != 0 ? rr : r;
}
