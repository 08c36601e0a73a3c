/* The FIDO2 backend: security keys through libfido2, named "fido:PATH"
 * (hidraw, libfido2's own transport) or "fido:unix:SOCKET" (CTAPHID over a
 * Unix socket, tokens/fido2_io.c). This file holds the table, discovery and
 * the device handles; keygen, credentials and PINs have files of their own. */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fido2_int.h"

#define FIDO2_MAX_HID	64

/* FIDO2 PINs are 4 to 63 bytes of UTF-8 (CTAP 2.0 6.5.5). */
#define FIDO2_PIN_MIN	4
#define FIDO2_PIN_MAX	63

struct fido2_ctx {
	struct hk_token_info **infos;
	size_t n;
	int have;
};

static pthread_once_t fido2_once = PTHREAD_ONCE_INIT;

static void
fido2_init_once(void)
{
	/* No U2F fallback: a device without CTAP2 cannot make sk keys OpenSSH verifies. */
	fido_init(getenv("HWKEY_FIDO_DEBUG") != NULL ? FIDO_DEBUG : 0);
}

void
hk_fido2_init(void)
{
	pthread_once(&fido2_once, fido2_init_once);
}

static int
is_unix(const char *name)
{
	return strncmp(name, HK_FIDO2_UNIX, strlen(HK_FIDO2_UNIX)) == 0;
}

int
hk_fido2_dev_open(const char *name, fido_dev_t **devp)
{
	const char *path;
	fido_dev_t *dev;
	int fr;

	*devp = NULL;
	hk_fido2_init();
	if (strncmp(name, HK_FIDO2_SCHEME, strlen(HK_FIDO2_SCHEME)) != 0)
		return hk_errf(HK_ERR_TOKEN_URI, "\"%s\": a FIDO2 device is named "
		    "fido:PATH or fido:unix:SOCKET", name);
	path = is_unix(name) ? name + strlen(HK_FIDO2_UNIX) :
	    name + strlen(HK_FIDO2_SCHEME);
	if (path[0] == '\0')
		return hk_errf(HK_ERR_TOKEN_URI, "\"%s\": no device path after "
		    "\"%s\"", name, is_unix(name) ? HK_FIDO2_UNIX : HK_FIDO2_SCHEME);
	/* Say why before libfido2 says only "rx error". */
	if (access(path, F_OK) != 0)
		return hk_errf(HK_ERR_TOKEN_ABSENT, "%s: no such device (%s)", name,
		    strerror(errno));
	if (access(path, R_OK | W_OK) != 0 && errno == EACCES)
		return hk_errf(HK_ERR_DEVICE_PERMISSION, "%s: no permission to open "
		    "%s; install udev/70-hwkey.rules and add yourself to its group "
		    "(see hwkey doctor)", name, path);
	if ((dev = fido_dev_new()) == NULL)
		return HK_ERR_ALLOC;
	if (is_unix(name) &&
	    (fr = fido_dev_set_io_functions(dev, &hk_fido2_unix_io)) != FIDO_OK) {
		fido_dev_free(&dev);
		return hk_fido2_err(fr, "set up the socket I/O", name, -1);
	}
	if ((fr = fido_dev_open(dev, is_unix(name) ? name : path)) != FIDO_OK) {
		fido_dev_free(&dev);
		if (is_unix(name) && (fr == FIDO_ERR_RX || fr == FIDO_ERR_TX ||
		    fr == FIDO_ERR_INTERNAL))
			return hk_errf(HK_ERR_TOKEN_ABSENT, "%s: nothing answers on "
			    "the socket", name);
		return hk_fido2_err(fr, "open", name, -1);
	}
	if (!fido_dev_is_fido2(dev)) {
		fido_dev_close(dev);
		fido_dev_free(&dev);
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: a U2F-only device; sk keys "
		    "need a FIDO2 (CTAP2) security key", name);
	}
	*devp = dev;
	return 0;
}

void
hk_fido2_dev_close(fido_dev_t **devp)
{
	if (devp == NULL || *devp == NULL)
		return;
	fido_dev_close(*devp);
	fido_dev_free(devp);
}

int
hk_fido2_dup_bytes(uint8_t **dp, size_t *dlenp, const unsigned char *p, size_t len)
{
	*dp = NULL;
	*dlenp = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((*dp = malloc(len)) == NULL)
		return HK_ERR_ALLOC;
	memcpy(*dp, p, len);
	*dlenp = len;
	return 0;
}

int
hk_fido2_pubkey_copy(int cose_alg, const unsigned char *pk, size_t pklen,
    uint8_t **dp, size_t *dlenp)
{
	*dp = NULL;
	*dlenp = 0;
	if (pk == NULL || pklen != (cose_alg == COSE_ES256 ? 64 : 32))
		return 1;
	if (cose_alg != COSE_ES256)
		return hk_fido2_dup_bytes(dp, dlenp, pk, pklen);
	if ((*dp = malloc(65)) == NULL)
		return HK_ERR_ALLOC;
	(*dp)[0] = 0x04;
	memcpy(*dp + 1, pk, 64);
	*dlenp = 65;
	return 0;
}

/* A NULL-terminated copy of n strings. */
static char **
strv_copy(char *const *v, size_t n)
{
	char **c;
	size_t i;

	if ((c = calloc(n + 1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((c[i] = strdup(v[i] != NULL ? v[i] : "")) == NULL) {
			hk_strv_free(c);
			return NULL;
		}
	}
	return c;
}

static int
fido2_info_fill(fido_dev_t *dev, const fido_cbor_info_t *ci, struct hk_token_info *ti)
{
	struct hk_token_fido2_info *f = ti->fido2;
	const unsigned char *aaguid;
	const uint8_t *protos;
	const bool *ov;
	char **on;
	size_t i, n;
	uint64_t fw;
	int retries;

	if ((f->versions = strv_copy(fido_cbor_info_versions_ptr(ci),
	    fido_cbor_info_versions_len(ci))) == NULL ||
	    (f->extensions = strv_copy(fido_cbor_info_extensions_ptr(ci),
	    fido_cbor_info_extensions_len(ci))) == NULL)
		return HK_ERR_ALLOC;
	n = fido_cbor_info_options_len(ci);
	on = fido_cbor_info_options_name_ptr(ci);
	ov = fido_cbor_info_options_value_ptr(ci);
	if ((f->option_names = strv_copy(on, n)) == NULL ||
	    (f->option_values = calloc(n + 1, sizeof(int))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < n; i++)
		f->option_values[i] = ov[i] ? 1 : 0;
	n = fido_cbor_info_algorithm_count(ci);
	if ((f->algorithms = calloc(n + 1, sizeof(int))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		f->algorithms[i] = fido_cbor_info_algorithm_cose(ci, i);
		if (f->algorithms[i] == COSE_ES256)
			ti->gen_kinds |= HK_KIND_BIT(HK_KIND_ECDSA_SK);
		else if (f->algorithms[i] == COSE_EDDSA)
			ti->gen_kinds |= HK_KIND_BIT(HK_KIND_ED25519_SK);
	}
	f->nalgorithms = n;
	/* CTAP 2.0 devices may not list algorithms: ES256 is mandatory. */
	if (n == 0)
		ti->gen_kinds |= HK_KIND_BIT(HK_KIND_ECDSA_SK);
	protos = fido_cbor_info_protocols_ptr(ci);
	for (i = 0; i < fido_cbor_info_protocols_len(ci); i++)
		if (protos[i] < 32)
			f->pin_protocols |= 1u << protos[i];
	if ((aaguid = fido_cbor_info_aaguid_ptr(ci)) != NULL &&
	    fido_cbor_info_aaguid_len(ci) == 16) {
		for (i = 0; i < 16; i++)
			snprintf(f->aaguid + 2 * i, 3, "%02x", aaguid[i]);
	}
	f->has_pin = hk_token_fido2_option(f, "clientPin") == 1;
	f->pin_retries = -1;
	if (f->has_pin && fido_dev_get_retry_count(dev, &retries) == FIDO_OK)
		f->pin_retries = retries;
	f->rk_remaining = fido_cbor_info_rk_remaining(ci);
	f->max_msg_size = fido_cbor_info_maxmsgsiz(ci);
	f->fw_version = fw = fido_cbor_info_fwversion(ci);
	free(ti->firmware);
	if (asprintf(&ti->firmware, "%llu", (unsigned long long)fw) < 0) {
		ti->firmware = NULL;
		return HK_ERR_ALLOC;
	}
	ti->flags |= HK_TOKEN_F_INITIALIZED;
	if (f->has_pin) {
		ti->flags |= HK_TOKEN_F_USER_PIN_INITIALIZED;
		if (f->pin_retries == 0)
			ti->flags |= HK_TOKEN_F_PIN_LOCKED;
		else if (f->pin_retries == 1)
			ti->flags |= HK_TOKEN_F_PIN_FINAL_TRY;
		else if (f->pin_retries > 0 && f->pin_retries < 4)
			ti->flags |= HK_TOKEN_F_PIN_COUNT_LOW;
	}
	if (hk_token_fido2_option(f, "alwaysUv") == 1)
		ti->flags |= HK_TOKEN_F_LOGIN_REQUIRED;
	return 0;
}

/* A new info with every string set, for a device named name. */
static struct hk_token_info *
fido2_info_new(const char *name, const char *product, const char *manufacturer)
{
	struct hk_token_info *ti;

	if ((ti = calloc(1, sizeof(*ti))) == NULL ||
	    (ti->fido2 = calloc(1, sizeof(*ti->fido2))) == NULL) {
		free(ti);
		return NULL;
	}
	ti->backend = hk_token_fido2.name;
	ti->fido2->pin_retries = -1;
	ti->fido2->rk_remaining = -1;
	if ((ti->module = strdup(is_unix(name) ? "fido-unix" : "fido-hid")) == NULL ||
	    (ti->library = strdup(hk_token_fido2.library)) == NULL ||
	    (ti->label = strdup(product != NULL ? product : "")) == NULL ||
	    (ti->manufacturer = strdup(manufacturer != NULL ? manufacturer : "")) == NULL ||
	    (ti->model = strdup(product != NULL ? product : "")) == NULL ||
	    (ti->serial = strdup("")) == NULL ||
	    (ti->firmware = strdup("")) == NULL ||
	    (ti->hardware = strdup("")) == NULL ||
	    (ti->uri = strdup(name)) == NULL) {
		hk_token_info_free(ti);
		return NULL;
	}
	ti->pin_min_len = FIDO2_PIN_MIN;
	ti->pin_max_len = FIDO2_PIN_MAX;
	return ti;
}

int
hk_fido2_info_read(fido_dev_t *dev, const char *name, const char *product,
    const char *manufacturer, struct hk_token_info **infop)
{
	struct hk_token_info *ti;
	fido_cbor_info_t *ci;
	int fr, r;

	*infop = NULL;
	if ((ti = fido2_info_new(name, product, manufacturer)) == NULL)
		return HK_ERR_ALLOC;
	if ((ci = fido_cbor_info_new()) == NULL) {
		hk_token_info_free(ti);
		return HK_ERR_ALLOC;
	}
	if ((fr = fido_dev_get_cbor_info(dev, ci)) != FIDO_OK)
		r = hk_fido2_err(fr, "read its info (authenticatorGetInfo)", name, -1);
	else
		r = fido2_info_fill(dev, ci, ti);
	fido_cbor_info_free(&ci);
	if (r != 0) {
		hk_token_info_free(ti);
		return r;
	}
	*infop = ti;
	return 0;
}

static int
strv_push(char ***vp, size_t *np, const char *s)
{
	char **v;

	if ((v = reallocarray(*vp, *np + 2, sizeof(*v))) == NULL)
		return HK_ERR_ALLOC;
	*vp = v;
	if ((v[*np] = strdup(s != NULL ? s : "")) == NULL)
		return HK_ERR_ALLOC;
	v[++*np] = NULL;
	return 0;
}

int
hk_fido2_find(char ***namesp, char ***productsp, char ***manufacturersp)
{
	fido_dev_info_t *devlist;
	const fido_dev_info_t *di;
	char **names = NULL, **products = NULL, **mfrs = NULL;
	char *socks = NULL, *tok, *save = NULL, *name = NULL;
	const char *env;
	size_t ndev = 0, i, n = 0, np = 0, nm = 0;
	int r = 0;

	*namesp = *productsp = *manufacturersp = NULL;
	hk_fido2_init();
	if ((devlist = fido_dev_info_new(FIDO2_MAX_HID)) == NULL)
		return HK_ERR_ALLOC;
	/* No hidraw devices (or no /dev) is not an error: there are none. */
	if (fido_dev_info_manifest(devlist, FIDO2_MAX_HID, &ndev) != FIDO_OK)
		ndev = 0;
	for (i = 0; i < ndev && r == 0; i++) {
		di = fido_dev_info_ptr(devlist, i);
		free(name);
		if (asprintf(&name, "%s%s", HK_FIDO2_SCHEME, fido_dev_info_path(di)) < 0) {
			name = NULL;
			r = HK_ERR_ALLOC;
			break;
		}
		if ((r = strv_push(&names, &n, name)) == 0 &&
		    (r = strv_push(&products, &np, fido_dev_info_product_string(di))) == 0)
			r = strv_push(&mfrs, &nm, fido_dev_info_manufacturer_string(di));
	}
	fido_dev_info_free(&devlist, FIDO2_MAX_HID);
	if (r == 0 && (env = getenv(HK_FIDO2_SOCKETS_ENV)) != NULL && env[0] != '\0') {
		if ((socks = strdup(env)) == NULL)
			r = HK_ERR_ALLOC;
		for (tok = socks != NULL ? strtok_r(socks, ":", &save) : NULL;
		    tok != NULL && r == 0; tok = strtok_r(NULL, ":", &save)) {
			free(name);
			if (asprintf(&name, "%s%s", HK_FIDO2_UNIX, tok) < 0) {
				name = NULL;
				r = HK_ERR_ALLOC;
				break;
			}
			if ((r = strv_push(&names, &n, name)) == 0 &&
			    (r = strv_push(&products, &np, "FIDO2 device on a socket")) == 0)
				r = strv_push(&mfrs, &nm, "");
		}
	}
	free(socks);
	free(name);
	if (r == 0 && names == NULL &&
	    ((names = calloc(1, sizeof(*names))) == NULL ||
	    (products = calloc(1, sizeof(*products))) == NULL ||
	    (mfrs = calloc(1, sizeof(*mfrs))) == NULL))
		r = HK_ERR_ALLOC;
	if (r != 0) {
		hk_strv_free(names);
		hk_strv_free(products);
		hk_strv_free(mfrs);
		return r;
	}
	*namesp = names;
	*productsp = products;
	*manufacturersp = mfrs;
	return 0;
}

static int
fido2_load(const char *module, void **ctxp)
{
	(void)module;
	hk_fido2_init();
	if ((*ctxp = calloc(1, sizeof(struct fido2_ctx))) == NULL)
		return HK_ERR_ALLOC;
	return 0;
}

static void
fido2_infos_free(struct fido2_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		hk_token_info_free(c->infos[i]);
	free(c->infos);
	c->infos = NULL;
	c->n = 0;
	c->have = 0;
}

static void
fido2_unload(void *ctx)
{
	struct fido2_ctx *c = ctx;

	if (c == NULL)
		return;
	fido2_infos_free(c);
	free(c);
}

/*
 * Every device, each opened once for its info. A device that does not answer
 * is still listed, with the reason in info->error, so the user sees it.
 */
static int
fido2_enumerate(void *ctx, struct hk_token_info *const **infosp, size_t *np)
{
	struct fido2_ctx *c = ctx;
	struct hk_token_info *ti, **infos = NULL;
	char **names, **products, **mfrs;
	struct hk_error e;
	fido_dev_t *dev;
	size_t i, n;
	int r;

	if (!c->have) {
		if ((r = hk_fido2_find(&names, &products, &mfrs)) != 0)
			return r;
		for (n = 0; names[n] != NULL; n++)
			;
		if ((infos = calloc(n + 1, sizeof(*infos))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		for (i = 0, r = 0; i < n; i++) {
			ti = NULL;
			if ((r = hk_fido2_dev_open(names[i], &dev)) == 0) {
				r = hk_fido2_info_read(dev, names[i], products[i],
				    mfrs[i], &ti);
				hk_fido2_dev_close(&dev);
			}
			if (r == HK_ERR_ALLOC)
				break;
			if (ti == NULL) {
				hk_error_take(&e, r);
				if ((ti = fido2_info_new(names[i], products[i],
				    mfrs[i])) == NULL ||
				    (ti->error = strdup(e.message)) == NULL) {
					hk_token_info_free(ti);
					r = HK_ERR_ALLOC;
					break;
				}
			}
			infos[i] = ti;
			r = 0;
		}
		if (r != 0) {
			for (i = 0; i < n; i++)
				hk_token_info_free(infos[i]);
			free(infos);
			goto out;
		}
		c->infos = infos;
		c->n = n;
		c->have = 1;
 out:
		hk_strv_free(names);
		hk_strv_free(products);
		hk_strv_free(mfrs);
		if (r != 0)
			return r;
	}
	*infosp = c->infos;
	*np = c->n;
	return 0;
}

static int
fido2_rescan(void *ctx, int *changedp)
{
	struct fido2_ctx *c = ctx;
	char **names, **products, **mfrs;
	size_t i;
	int r, changed = 0;

	if ((r = hk_fido2_find(&names, &products, &mfrs)) != 0)
		return r;
	for (i = 0; names[i] != NULL && !changed; i++)
		changed = i >= c->n || strcmp(names[i], c->infos[i]->uri) != 0;
	if (names[i] == NULL && i != c->n)
		changed = 1;
	hk_strv_free(names);
	hk_strv_free(products);
	hk_strv_free(mfrs);
	/* Open tokens own their info; the snapshot can always go. */
	fido2_infos_free(c);
	*changedp = changed;
	return 0;
}

static int
fido2_open(void *ctx, const char *uri, struct hk_token *tok)
{
	struct hk_fido2_tok *ft;
	struct fido2_ctx *c = ctx;
	const char *product = NULL, *mfr = NULL;
	size_t i;
	int r;

	if ((ft = calloc(1, sizeof(*ft))) == NULL)
		return HK_ERR_ALLOC;
	if ((ft->name = strdup(uri)) == NULL) {
		free(ft);
		return HK_ERR_ALLOC;
	}
	for (i = 0; c->have && i < c->n; i++) {
		if (strcmp(c->infos[i]->uri, uri) == 0) {
			product = c->infos[i]->model;
			mfr = c->infos[i]->manufacturer;
		}
	}
	if ((r = hk_fido2_dev_open(uri, &ft->dev)) != 0 ||
	    (r = hk_fido2_info_read(ft->dev, uri, product, mfr, &ft->info)) != 0) {
		hk_fido2_dev_close(&ft->dev);
		free(ft->name);
		free(ft);
		return r;
	}
	tok->be = ft;
	tok->info = ft->info;
	return 0;
}

static void
fido2_close(struct hk_token *tok)
{
	struct hk_fido2_tok *ft = tok->be;

	if (ft == NULL)
		return;
	hk_fido2_dev_close(&ft->dev);
	hk_secret_free(ft->pin);
	hk_token_info_free(ft->info);
	free(ft->name);
	free(ft);
	tok->be = NULL;
	tok->info = NULL;
}

const struct hk_token_impl hk_token_fido2 = {
	.name = "fido2",
	.scheme = HK_FIDO2_SCHEME,
#ifdef HK_FIDO2_VERSION
	.library = "libfido2 " HK_FIDO2_VERSION,
#else
	.library = "libfido2",
#endif
	.flags = 0,
	.load = fido2_load,
	.unload = fido2_unload,
	.enumerate = fido2_enumerate,
	.rescan = fido2_rescan,
	.open = fido2_open,
	.close = fido2_close,
	.keygen = hk_fido2_keygen,		/* tokens/fido2_keygen.c */
	.list_keys = hk_fido2_op_list_keys,	/* tokens/fido2_cred.c */
	.find_key = hk_fido2_op_find_key,
	.delete_key = hk_fido2_op_delete_key,
	.login = hk_fido2_op_login,		/* tokens/fido2_pin.c */
	.init_token = hk_fido2_op_reset,
	.set_pin = hk_fido2_op_set_pin,
	.init_pin = hk_fido2_op_init_pin,
};
