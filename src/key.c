/* hk_key: the public-key model. Parses and validates SSH wire blobs
 * (RFC 4253, 5656, 8709, OpenSSH PROTOCOL.u2f) and builds canonical ones. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "buf.h"
#include "err.h"
#include "key.h"

#define RSA_MIN_BITS	1024
#define RSA_MAX_BITS	16384
#define DSA_MAX_BITS	16384
#define ED25519_PK_LEN	32
#define SK_APP_MAX	1024	/* generous; OpenSSH has no limit, FIDO rpId is short */

/* A byte range inside the key's blob. */
struct part {
	size_t off;
	size_t len;
};

struct hk_key {
	enum hk_key_type type;
	enum hk_curve curve;
	unsigned int bits;
	struct part p[4];	/* RSA: e, n; DSA: p, q, g, y; EC/Ed25519: point/pk */
	char *application;	/* sk keys: points into the same allocation */
	char *comment;
	size_t bloblen;
	uint8_t blob[];		/* canonical wire blob, then the application + NUL */
};

/* Indices into p[] per type. */
enum { P_RSA_E = 0, P_RSA_N = 1 };
enum { P_DSA_P = 0, P_DSA_Q, P_DSA_G, P_DSA_Y };
enum { P_PK = 0 };

/* Key types as a table, searched by wire name or by type and curve. */
static const struct key_impl {
	const char *name;	/* wire name */
	const char *label;	/* ssh-keygen -l suffix */
	const char *shortname;	/* ssh-keygen -t name */
	enum hk_key_type type;
	enum hk_curve curve;
} key_impls[] = {
	{ "ssh-rsa", "RSA", "rsa", HK_KEY_RSA, HK_CURVE_NONE },
	{ "ssh-dss", "DSA", "dsa", HK_KEY_DSA, HK_CURVE_NONE },
	{ "ecdsa-sha2-nistp256", "ECDSA", "ecdsa", HK_KEY_ECDSA, HK_CURVE_P256 },
	{ "ecdsa-sha2-nistp384", "ECDSA", NULL, HK_KEY_ECDSA, HK_CURVE_P384 },
	{ "ecdsa-sha2-nistp521", "ECDSA", NULL, HK_KEY_ECDSA, HK_CURVE_P521 },
	{ "ssh-ed25519", "ED25519", "ed25519", HK_KEY_ED25519, HK_CURVE_NONE },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", "ecdsa-sk",
	    HK_KEY_ECDSA_SK, HK_CURVE_P256 },
	{ "sk-ssh-ed25519@openssh.com", "ED25519-SK", "ed25519-sk",
	    HK_KEY_ED25519_SK, HK_CURVE_NONE },
};
#define N_IMPLS (sizeof(key_impls) / sizeof(key_impls[0]))

static const struct curve_info {
	enum hk_curve curve;
	const char *name;
	unsigned int bits;
	int nid;
	size_t point_len;	/* uncompressed SEC1 */
} curves[] = {
	{ HK_CURVE_P256, "nistp256", 256, NID_X9_62_prime256v1, 65 },
	{ HK_CURVE_P384, "nistp384", 384, NID_secp384r1, 97 },
	{ HK_CURVE_P521, "nistp521", 521, NID_secp521r1, 133 },
};
#define N_CURVES (sizeof(curves) / sizeof(curves[0]))

static const struct key_impl *
impl_by_name(const uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_IMPLS; i++) {
		if (strlen(key_impls[i].name) == len &&
		    memcmp(key_impls[i].name, name, len) == 0)
			return &key_impls[i];
	}
	return NULL;
}

static const struct key_impl *
impl_by_type(enum hk_key_type type, enum hk_curve curve)
{
	size_t i;

	for (i = 0; i < N_IMPLS; i++) {
		if (key_impls[i].type == type &&
		    (key_impls[i].curve == curve || type != HK_KEY_ECDSA))
			return &key_impls[i];
	}
	return NULL;
}

static const struct curve_info *
curve_info(enum hk_curve curve)
{
	size_t i;

	for (i = 0; i < N_CURVES; i++) {
		if (curves[i].curve == curve)
			return &curves[i];
	}
	return NULL;
}

/*
 * The curve groups are built once: EC_GROUP_new_by_curve_name costs more than
 * checking a point, and a fleet file holds many thousands of keys.
 */
static EC_GROUP *ec_groups[N_CURVES];
static pthread_once_t ec_groups_once = PTHREAD_ONCE_INIT;

static void
ec_groups_init(void)
{
	size_t i;

	for (i = 0; i < N_CURVES; i++)
		ec_groups[i] = EC_GROUP_new_by_curve_name(curves[i].nid);
}

/* Bit length of a big-endian magnitude. */
static unsigned int
mag_bits(const uint8_t *p, size_t len)
{
	unsigned int bits;
	uint8_t top;

	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (unsigned int)(len - 1) * 8;
	for (top = p[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* SEC1 uncompressed point on its curve and not the point at infinity. */
static int
ec_point_check(enum hk_curve curve, const uint8_t *pt, size_t len)
{
	const struct curve_info *ci = curve_info(curve);
	EC_POINT *point = NULL;
	BN_CTX *bnctx = NULL;
	int r = HK_ERR_EC_POINT;

	if (ci == NULL)
		return HK_ERR_EC_CURVE_UNKNOWN;
	/* OpenSSH only ever writes and accepts the uncompressed form. */
	if (len != ci->point_len || pt[0] != 0x04)
		return HK_ERR_EC_POINT;
	pthread_once(&ec_groups_once, ec_groups_init);
	if (ec_groups[ci - curves] == NULL)
		return HK_ERR_CRYPTO;
	/* One context for both calls: each would otherwise make its own. */
	if ((bnctx = BN_CTX_new()) == NULL ||
	    (point = EC_POINT_new(ec_groups[ci - curves])) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (EC_POINT_oct2point(ec_groups[ci - curves], point, pt, len, bnctx) != 1)
		goto out;
	if (EC_POINT_is_at_infinity(ec_groups[ci - curves], point) ||
	    EC_POINT_is_on_curve(ec_groups[ci - curves], point, bnctx) != 1)
		goto out;
	/*
	 * OpenSSH (sshkey_ec_validate_public) also wants each coordinate longer
	 * than half the group order; the order has as many bits as the curve.
	 */
	if (mag_bits(pt + 1, (len - 1) / 2) <= ci->bits / 2 ||
	    mag_bits(pt + 1 + (len - 1) / 2, (len - 1) / 2) <= ci->bits / 2)
		goto out;
	r = 0;
 out:
	EC_POINT_free(point);
	BN_CTX_free(bnctx);
	return r;
}

/* A minimal cursor over the blob: parsing must not allocate per field. */
struct rd {
	const uint8_t *d;
	size_t len;
	size_t off;
	int noncanonical;	/* an mpint had needless leading zeros */
};

static int
rd_string(struct rd *rd, struct part *pt)
{
	uint32_t n;
	const uint8_t *p;

	if (rd->len - rd->off < 4)
		return HK_ERR_BUF_TOO_SHORT;
	p = rd->d + rd->off;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n > HK_BUF_SIZE_MAX)
		return HK_ERR_BUF_LENGTH;
	if (rd->len - rd->off - 4 < n)
		return HK_ERR_BUF_TOO_SHORT;
	pt->off = rd->off + 4;
	pt->len = n;
	rd->off += 4 + (size_t)n;
	return 0;
}

/*
 * mpint that must not be negative; the part is narrowed to the magnitude.
 * Needless leading zeros are accepted as OpenSSH accepts them (some older
 * tools write them); the caller then re-encodes the blob minimally, which is
 * also what ssh-keygen fingerprints.
 */
static int
rd_mpint(struct rd *rd, struct part *pt)
{
	const uint8_t *p;
	int r;

	if ((r = rd_string(rd, pt)) != 0)
		return r;
	p = rd->d + pt->off;
	if (pt->len > 0 && (p[0] & 0x80) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "negative mpint");
	if ((pt->len > 1 && p[0] == 0 && (p[1] & 0x80) == 0) ||
	    (pt->len == 1 && p[0] == 0))
		rd->noncanonical = 1;
	while (pt->len > 0 && rd->d[pt->off] == 0) {
		pt->off++;
		pt->len--;
	}
	return 0;
}

static int
rsa_check(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    unsigned int *bitsp)
{
	unsigned int nbits = mag_bits(n, nlen), ebits = mag_bits(e, elen);

	*bitsp = 0;
	if (nbits < RSA_MIN_BITS)
		return hk_errf(HK_ERR_RSA_TOO_SMALL, "RSA modulus has %u bits", nbits);
	if (nbits > RSA_MAX_BITS)
		return hk_errf(HK_ERR_RSA_TOO_LARGE, "RSA modulus has %u bits", nbits);
	/*
	 * e must be odd and at least 3: e = 1 makes every signature equal its
	 * message and an even e shares the factor 2 with phi(n), so no private
	 * exponent exists. Nothing more is asked: ssh-keygen fingerprints any
	 * other odd e (even beyond 64 bits, which some tokens refuse), and hwkey
	 * must list every key ssh-keygen does.
	 */
	if (ebits < 2 || (e[elen - 1] & 1) == 0)
		return hk_errf(HK_ERR_RSA_EXPONENT, "RSA public exponent is even "
		    "or below 3");
	*bitsp = nbits;
	return 0;
}

static int
sk_app_check(const uint8_t *app, size_t len)
{
	size_t i;

	if (len == 0 || len > SK_APP_MAX)
		return hk_errf(HK_ERR_SK_APPLICATION, "security-key application "
		    "is empty or too long");
	/* Printable ASCII only: it is shown to users and sent to the device. */
	for (i = 0; i < len; i++) {
		if (app[i] < 0x20 || app[i] > 0x7e)
			return hk_errf(HK_ERR_SK_APPLICATION, "security-key "
			    "application contains a control or non-ASCII byte");
	}
	return 0;
}

/*
 * Parse and validate the blob in key->blob, filling the parts; *noncanonp
 * says the blob must be re-encoded (see rd_mpint).
 */
static int
key_parse(struct hk_key *k, int *noncanonp)
{
	struct rd rd = { k->blob, k->bloblen, 0, 0 };
	const struct key_impl *impl;
	const struct curve_info *ci;
	struct part name, curve, app;
	const uint8_t *b = k->blob;
	size_t i;
	int r;

	if ((r = rd_string(&rd, &name)) != 0)
		return r;
	if ((impl = impl_by_name(b + name.off, name.len)) == NULL)
		return hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "unknown key type \"%.*s\"",
		    (int)(name.len > 64 ? 64 : name.len), (const char *)b + name.off);
	k->type = impl->type;
	k->curve = impl->curve;
	switch (impl->type) {
	case HK_KEY_RSA:
		if ((r = rd_mpint(&rd, &k->p[P_RSA_E])) != 0 ||
		    (r = rd_mpint(&rd, &k->p[P_RSA_N])) != 0)
			return r;
		if (k->p[P_RSA_E].len == 0 || k->p[P_RSA_N].len == 0)
			return hk_errf(HK_ERR_RSA_EXPONENT, "RSA exponent or modulus is zero");
		if ((r = rsa_check(b + k->p[P_RSA_N].off, k->p[P_RSA_N].len,
		    b + k->p[P_RSA_E].off, k->p[P_RSA_E].len, &k->bits)) != 0)
			return r;
		break;
	case HK_KEY_DSA:
		for (i = 0; i < 4; i++) {
			if ((r = rd_mpint(&rd, &k->p[i])) != 0)
				return r;
			if (k->p[i].len == 0)
				return hk_errf(HK_ERR_DSA_INVALID, "DSA parameter is zero");
		}
		k->bits = mag_bits(b + k->p[P_DSA_P].off, k->p[P_DSA_P].len);
		if (k->bits > DSA_MAX_BITS || k->p[P_DSA_Q].len > k->p[P_DSA_P].len ||
		    k->p[P_DSA_G].len > k->p[P_DSA_P].len ||
		    k->p[P_DSA_Y].len > k->p[P_DSA_P].len)
			return hk_errf(HK_ERR_DSA_INVALID, "DSA parameter sizes are inconsistent");
		break;
	case HK_KEY_ECDSA:
	case HK_KEY_ECDSA_SK:
		if ((r = rd_string(&rd, &curve)) != 0 ||
		    (r = rd_string(&rd, &k->p[P_PK])) != 0)
			return r;
		ci = curve_info(impl->curve);
		if (curve.len != strlen(ci->name) ||
		    memcmp(b + curve.off, ci->name, curve.len) != 0)
			return hk_errf(HK_ERR_EC_CURVE_MISMATCH, "curve \"%.*s\" in a %s key",
			    (int)(curve.len > 32 ? 32 : curve.len),
			    (const char *)b + curve.off, impl->name);
		if ((r = ec_point_check(impl->curve, b + k->p[P_PK].off,
		    k->p[P_PK].len)) != 0)
			return r;
		k->bits = ci->bits;
		break;
	case HK_KEY_ED25519:
	case HK_KEY_ED25519_SK:
		if ((r = rd_string(&rd, &k->p[P_PK])) != 0)
			return r;
		if (k->p[P_PK].len != ED25519_PK_LEN)
			return hk_errf(HK_ERR_ED25519_LENGTH, "Ed25519 key has %zu bytes",
			    k->p[P_PK].len);
		k->bits = 256;
		break;
	default:
		return HK_ERR_INTERNAL;
	}
	if (impl->type == HK_KEY_ECDSA_SK || impl->type == HK_KEY_ED25519_SK) {
		if ((r = rd_string(&rd, &app)) != 0)
			return r;
		if ((r = sk_app_check(b + app.off, app.len)) != 0)
			return r;
		/* The allocation has room after the blob for this copy. */
		k->application = (char *)k->blob + k->bloblen;
		memcpy(k->application, b + app.off, app.len);
		k->application[app.len] = '\0';
	}
	if (rd.off != rd.len)
		return hk_errf(HK_ERR_BUF_TRAILING, "%zu bytes after the key",
		    rd.len - rd.off);
	*noncanonp = rd.noncanonical;
	return 0;
}

/* Constructors build the canonical blob, then parse it like any other. */
static int
key_from_buf(struct hk_buf *b, struct hk_key **keyp)
{
	return hk_key_from_blob(hk_buf_ptr(b), hk_buf_len(b), keyp);
}

/* The same RSA or DSA key with every mpint minimally encoded. */
static int
key_canonical(const struct hk_key *k, struct hk_key **keyp)
{
	struct hk_buf *b;
	size_t i, nparts = k->type == HK_KEY_RSA ? 2 : 4;
	int r;

	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(b, hk_key_type_name(k))) != 0)
		goto out;
	/* The parts are kept in blob order: e, n or p, q, g, y. */
	for (i = 0; i < nparts; i++) {
		if ((r = hk_buf_put_bignum2_bytes(b, k->blob + k->p[i].off,
		    k->p[i].len)) != 0)
			goto out;
	}
	r = key_from_buf(b, keyp);
 out:
	hk_buf_free(b);
	return r;
}

int
hk_key_from_blob(const uint8_t *blob, size_t len, struct hk_key **keyp)
{
	struct hk_key *k;
	int r, noncanon = 0;

	if (keyp != NULL)
		*keyp = NULL;
	if (keyp == NULL || (blob == NULL && len != 0))
		return HK_ERR_INVALID_ARGUMENT;
	if (len > HK_BUF_SIZE_MAX)
		return HK_ERR_BUF_LIMIT;
	/* Room for the blob and, for sk keys, a NUL-terminated application. */
	if ((k = calloc(1, sizeof(*k) + 2 * len + 1)) == NULL)
		return HK_ERR_ALLOC;
	if (len > 0)
		memcpy(k->blob, blob, len);
	k->bloblen = len;
	if ((r = key_parse(k, &noncanon)) == 0 && noncanon)
		r = key_canonical(k, keyp);
	else if (r == 0)
		*keyp = k;
	if (r != 0 || noncanon)
		hk_key_free(k);
	return r;
}

int
hk_key_from_rsa(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    struct hk_key **keyp)
{
	struct hk_buf *b = NULL;
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (keyp == NULL || n == NULL || e == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(b, "ssh-rsa")) != 0 ||
	    (r = hk_buf_put_bignum2_bytes(b, e, elen)) != 0 ||
	    (r = hk_buf_put_bignum2_bytes(b, n, nlen)) != 0)
		goto out;
	r = key_from_buf(b, keyp);
 out:
	hk_buf_free(b);
	return r;
}

int
hk_key_from_ec(enum hk_curve curve, const uint8_t *point, size_t len,
    struct hk_key **keyp)
{
	const struct key_impl *impl = impl_by_type(HK_KEY_ECDSA, curve);
	struct hk_buf *b = NULL;
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (keyp == NULL || point == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if (impl == NULL || curve_info(curve) == NULL)
		return HK_ERR_EC_CURVE_UNKNOWN;
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(b, impl->name)) != 0 ||
	    (r = hk_buf_put_cstring(b, curve_info(curve)->name)) != 0 ||
	    (r = hk_buf_put_string(b, point, len)) != 0)
		goto out;
	r = key_from_buf(b, keyp);
 out:
	hk_buf_free(b);
	return r;
}

int
hk_key_from_ed25519(const uint8_t *pk, size_t len, struct hk_key **keyp)
{
	struct hk_buf *b = NULL;
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (keyp == NULL || pk == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if (len != ED25519_PK_LEN)
		return hk_errf(HK_ERR_ED25519_LENGTH, "Ed25519 key has %zu bytes", len);
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(b, "ssh-ed25519")) != 0 ||
	    (r = hk_buf_put_string(b, pk, len)) != 0)
		goto out;
	r = key_from_buf(b, keyp);
 out:
	hk_buf_free(b);
	return r;
}

int
hk_key_from_sk(enum hk_key_type type, const uint8_t *pk, size_t pklen,
    const char *application, struct hk_key **keyp)
{
	const struct key_impl *impl;
	struct hk_buf *b = NULL;
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (keyp == NULL || pk == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if (type != HK_KEY_ECDSA_SK && type != HK_KEY_ED25519_SK)
		return HK_ERR_KEY_TYPE_UNKNOWN;
	if (application == NULL || *application == '\0')
		return hk_errf(HK_ERR_SK_APPLICATION, "security-key application is empty");
	impl = impl_by_type(type, HK_CURVE_NONE);
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(b, impl->name)) != 0)
		goto out;
	if (type == HK_KEY_ECDSA_SK &&
	    (r = hk_buf_put_cstring(b, curve_info(HK_CURVE_P256)->name)) != 0)
		goto out;
	if ((r = hk_buf_put_string(b, pk, pklen)) != 0 ||
	    (r = hk_buf_put_cstring(b, application)) != 0)
		goto out;
	r = key_from_buf(b, keyp);
 out:
	hk_buf_free(b);
	return r;
}

int
hk_key_dup(const struct hk_key *key, struct hk_key **keyp)
{
	struct hk_key *k = NULL;
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (key == NULL || keyp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((r = hk_key_from_blob(key->blob, key->bloblen, &k)) != 0)
		return r;
	if ((r = hk_key_set_comment(k, key->comment)) != 0) {
		hk_key_free(k);
		return r;
	}
	*keyp = k;
	return 0;
}

void
hk_key_free(struct hk_key *key)
{
	if (key == NULL)
		return;
	free(key->comment);
	free(key);
}

enum hk_key_type
hk_key_type(const struct hk_key *key)
{
	return key == NULL ? HK_KEY_UNSPEC : key->type;
}

const char *
hk_key_type_name(const struct hk_key *key)
{
	const struct key_impl *impl;

	if (key == NULL || (impl = impl_by_type(key->type, key->curve)) == NULL)
		return NULL;
	return impl->name;
}

const char *
hk_key_type_label(const struct hk_key *key)
{
	const struct key_impl *impl;

	if (key == NULL || (impl = impl_by_type(key->type, key->curve)) == NULL)
		return NULL;
	return impl->label;
}

unsigned int
hk_key_bits(const struct hk_key *key)
{
	return key == NULL ? 0 : key->bits;
}

enum hk_curve
hk_key_curve(const struct hk_key *key)
{
	return key == NULL ? HK_CURVE_NONE : key->curve;
}

const uint8_t *
hk_key_blob_ptr(const struct hk_key *key)
{
	return key == NULL ? NULL : key->blob;
}

size_t
hk_key_blob_len(const struct hk_key *key)
{
	return key == NULL ? 0 : key->bloblen;
}

const char *
hk_key_sk_application(const struct hk_key *key)
{
	return key == NULL ? NULL : key->application;
}

/*
 * Part i of a key as a pointer into its blob, if the key's type is in the
 * mask types. Outputs are cleared first and set only on success, as every
 * accessor promises.
 */
#define KEY_TYPE_BIT(t) (1u << (t))
static int
key_part(const struct hk_key *key, unsigned int types, size_t i,
    const uint8_t **partp, size_t *lenp)
{
	if (partp != NULL)
		*partp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (key == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((types & KEY_TYPE_BIT(key->type)) == 0)
		return HK_ERR_KEY_TYPE_MISMATCH;
	if (partp != NULL)
		*partp = key->blob + key->p[i].off;
	if (lenp != NULL)
		*lenp = key->p[i].len;
	return 0;
}

int
hk_key_rsa_parts(const struct hk_key *key, const uint8_t **n, size_t *nlen,
    const uint8_t **e, size_t *elen)
{
	/* Both calls run so that both pairs of outputs are cleared on failure. */
	int rn = key_part(key, KEY_TYPE_BIT(HK_KEY_RSA), P_RSA_N, n, nlen);
	int re = key_part(key, KEY_TYPE_BIT(HK_KEY_RSA), P_RSA_E, e, elen);

	return rn != 0 ? rn : re;
}

int
hk_key_ec_point(const struct hk_key *key, const uint8_t **point, size_t *len)
{
	return key_part(key, KEY_TYPE_BIT(HK_KEY_ECDSA) | KEY_TYPE_BIT(HK_KEY_ECDSA_SK),
	    P_PK, point, len);
}

int
hk_key_ed25519_pk(const struct hk_key *key, const uint8_t **pk, size_t *len)
{
	return key_part(key, KEY_TYPE_BIT(HK_KEY_ED25519) |
	    KEY_TYPE_BIT(HK_KEY_ED25519_SK), P_PK, pk, len);
}

/* DSA parts (p, q, g, y magnitudes), for the format codecs. */
int
hk_key_dsa_parts(const struct hk_key *key, const uint8_t *parts[4], size_t lens[4])
{
	size_t i;
	int r = 0, ri;

	for (i = 0; i < 4; i++)
		if ((ri = key_part(key, KEY_TYPE_BIT(HK_KEY_DSA), P_DSA_P + i,
		    &parts[i], &lens[i])) != 0 && r == 0)
			r = ri;
	return r;
}

int
hk_key_equal(const struct hk_key *a, const struct hk_key *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return a->bloblen == b->bloblen && memcmp(a->blob, b->blob, a->bloblen) == 0;
}

const char *
hk_key_comment(const struct hk_key *key)
{
	return key == NULL ? NULL : key->comment;
}

int
hk_key_set_comment(struct hk_key *key, const char *comment)
{
	char *c = NULL;

	if (key == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if (comment != NULL && (c = strdup(comment)) == NULL)
		return HK_ERR_ALLOC;
	free(key->comment);
	key->comment = c;
	return 0;
}

/* Length-bounded variant for the parsers, which hold the comment in a line. */
int
hk_key_set_comment_len(struct hk_key *key, const char *comment, size_t len)
{
	char *c;

	if (key == NULL || comment == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((c = strndup(comment, len)) == NULL)
		return HK_ERR_ALLOC;
	free(key->comment);
	key->comment = c;
	return 0;
}

enum hk_key_type
hk_key_type_from_name(const char *name, enum hk_curve *curvep)
{
	size_t i;

	if (curvep != NULL)
		*curvep = HK_CURVE_NONE;
	if (name == NULL)
		return HK_KEY_UNSPEC;
	/* Wire names fix the curve; ssh-keygen -t names leave ECDSA's open. */
	for (i = 0; i < N_IMPLS; i++) {
		if (strcmp(key_impls[i].name, name) == 0) {
			if (curvep != NULL)
				*curvep = key_impls[i].curve;
			return key_impls[i].type;
		}
	}
	for (i = 0; i < N_IMPLS; i++) {
		if (key_impls[i].shortname != NULL &&
		    strcmp(key_impls[i].shortname, name) == 0) {
			if (curvep != NULL && key_impls[i].type == HK_KEY_ECDSA_SK)
				*curvep = HK_CURVE_P256;
			return key_impls[i].type;
		}
	}
	return HK_KEY_UNSPEC;
}

const char *
hk_curve_name(enum hk_curve curve)
{
	const struct curve_info *ci = curve_info(curve);

	return ci == NULL ? NULL : ci->name;
}

unsigned int
hk_curve_bits(enum hk_curve curve)
{
	const struct curve_info *ci = curve_info(curve);

	return ci == NULL ? 0 : ci->bits;
}
