/* hk_key: the public-key model. One opaque type for every SSH public key hwkey
 * handles, kept as its canonical wire blob plus the parsed parts. */
#ifndef HK_KEY_H
#define HK_KEY_H

#include <stddef.h>
#include <stdint.h>


enum hk_key_type {
	HK_KEY_UNSPEC = 0,
	HK_KEY_RSA,		/* ssh-rsa */
	HK_KEY_DSA,		/* ssh-dss (read and fingerprint only) */
	HK_KEY_ECDSA,		/* ecdsa-sha2-nistp256/384/521 */
	HK_KEY_ED25519,		/* ssh-ed25519 */
	HK_KEY_ECDSA_SK,	/* sk-ecdsa-sha2-nistp256@openssh.com */
	HK_KEY_ED25519_SK,	/* sk-ssh-ed25519@openssh.com */
};

enum hk_curve {
	HK_CURVE_NONE = 0,
	HK_CURVE_P256,
	HK_CURVE_P384,
	HK_CURVE_P521,
};

struct hk_key;

/*
 * Construction. Every constructor validates (distinct HK_ERR_* per rejection:
 * RSA modulus < 1024 bits or bad exponent, EC point off its curve, curve name
 * not matching the type, Ed25519 length, trailing bytes in a blob) and builds
 * the canonical blob. *keyp is NULL on entry and set only on success.
 */
int hk_key_from_blob(const uint8_t *blob, size_t len, struct hk_key **keyp);
/* n and e are unsigned big-endian magnitudes (leading zeros allowed). */
int hk_key_from_rsa(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    struct hk_key **keyp);
/* point: SEC1 uncompressed 04||X||Y. */
int hk_key_from_ec(enum hk_curve curve, const uint8_t *point, size_t len,
    struct hk_key **keyp);
int hk_key_from_ed25519(const uint8_t *pk, size_t len, struct hk_key **keyp);
/* Security-key variants: type HK_KEY_ECDSA_SK (P-256 point) or HK_KEY_ED25519_SK. */
int hk_key_from_sk(enum hk_key_type type, const uint8_t *pk, size_t pklen,
    const char *application, struct hk_key **keyp);
/* The crypto library in use, for --version: "OpenSSL 3.0.19 ...". */
const char *hk_key_crypto_version(void);
int hk_key_dup(const struct hk_key *key, struct hk_key **keyp);
void hk_key_free(struct hk_key *key);	/* accepts NULL */

/* Accessors: borrowed pointers valid until the key is freed or changed. */
enum hk_key_type hk_key_type(const struct hk_key *key);
/* Wire name: "ssh-rsa", "ecdsa-sha2-nistp384", "sk-ssh-ed25519@openssh.com". */
const char *hk_key_type_name(const struct hk_key *key);
/* ssh-keygen's -l suffix without brackets: "RSA", "DSA", "ECDSA", "ED25519", "ECDSA-SK", "ED25519-SK". */
const char *hk_key_type_label(const struct hk_key *key);
/* Bits as ssh-keygen -l prints them (RSA modulus, DSA p, curve size, 256 for Ed25519). */
unsigned int hk_key_bits(const struct hk_key *key);
enum hk_curve hk_key_curve(const struct hk_key *key);
const uint8_t *hk_key_blob_ptr(const struct hk_key *key);
size_t hk_key_blob_len(const struct hk_key *key);
/* sk keys: the application ("ssh:"), else NULL. */
const char *hk_key_sk_application(const struct hk_key *key);
/* RSA: modulus and exponent magnitudes; EC/sk-ECDSA: point; Ed25519: 32-byte pk. */
int hk_key_rsa_parts(const struct hk_key *key, const uint8_t **n, size_t *nlen,
    const uint8_t **e, size_t *elen);
int hk_key_ec_point(const struct hk_key *key, const uint8_t **point, size_t *len);
int hk_key_ed25519_pk(const struct hk_key *key, const uint8_t **pk, size_t *len);
/* 1 when both keys have the same blob (comments are ignored). */
int hk_key_equal(const struct hk_key *a, const struct hk_key *b);
/* DSA: p, q, g, y magnitudes in that order. */
int hk_key_dsa_parts(const struct hk_key *key, const uint8_t *parts[4], size_t lens[4]);

/* Comment (NULL when none); set copies, NULL clears. */
const char *hk_key_comment(const struct hk_key *key);
int hk_key_set_comment(struct hk_key *key, const char *comment);
/* As set, from len bytes (no NUL needed). */
int hk_key_set_comment_len(struct hk_key *key, const char *comment, size_t len);

/*
 * Key kinds: the keys hwkey asks a token to make, by the names the command
 * line takes ("hwkey keygen --type"). One table in key.c; enum hk_kind
 * indexes it, so a set of kinds is a bit mask (HK_KIND_BIT).
 */
enum hk_kind {
	HK_KIND_RSA2048 = 0,
	HK_KIND_RSA3072,
	HK_KIND_RSA4096,
	HK_KIND_ECDSA_P256,
	HK_KIND_ECDSA_P384,
	HK_KIND_ECDSA_P521,
	HK_KIND_ED25519,
	HK_KIND_ECDSA_SK,
	HK_KIND_ED25519_SK,
	HK_KIND_COUNT
};
#define HK_KIND_BIT(kind)	(1u << (kind))
struct hk_key_kind {
	const char *name;	/* "rsa2048", "ecdsa-p256", "ed25519-sk" */
	enum hk_key_type type;
	enum hk_curve curve;	/* HK_CURVE_NONE but for (sk-)ECDSA */
	unsigned int bits;	/* as hk_key_bits() gives them for such a key */
};
/* The row of a kind; NULL out of range. */
const struct hk_key_kind *hk_key_kind(enum hk_kind kind);
/* "ecdsa-p256"; "unknown" out of range. */
const char *hk_key_kind_name(enum hk_kind kind);
/* By name; HK_ERR_INVALID_ARGUMENT (the detail lists every name) otherwise. */
int hk_key_kind_from_name(const char *name, enum hk_kind *kindp);
/* "rsa2048, rsa3072, ..., ed25519-sk" (static). */
const char *hk_key_kind_names(void);
/*
 * The kind of a key as text: its kind's name ("rsa3072", "ecdsa-p384",
 * "ed25519", "ecdsa-sk"), "rsa<bits>" for other RSA sizes, else its type
 * name ("ssh-dss"); "unknown" for NULL. Static text or buf.
 */
#define HK_KEY_KIND_MAX	64
const char *hk_key_kind_of(const struct hk_key *key, char *buf, size_t size);

/* Type-name helpers for the CLI and backends. */
enum hk_key_type hk_key_type_from_name(const char *name, enum hk_curve *curvep);
const char *hk_curve_name(enum hk_curve curve);	/* "nistp256" */
unsigned int hk_curve_bits(enum hk_curve curve);

/*
 * Fingerprints. SHA256 and MD5 produce exactly what ssh-keygen -l prints in its
 * fingerprint column ("SHA256:<base64 no padding>", "MD5:aa:bb:..."). The
 * cloud variants produce each provider's own form (see
 * shared/reference/cloud-apis.md): ALIYUN MD5(blob) lowercase hex, no colons;
 * HUAWEI MD5(blob) lowercase colon hex; AWS MD5(SPKI) colon hex for RSA and
 * base64 SHA-256(blob) (no prefix, no padding) for Ed25519, HK_ERR_NOT_SUPPORTED
 * for other types.
 */
enum hk_fp {
	HK_FP_SHA256 = 0,
	HK_FP_MD5,
	HK_FP_ALIYUN,
	HK_FP_HUAWEI,
	HK_FP_AWS,
};
int hk_fp_from_name(const char *name, enum hk_fp *fpp);	/* "sha256", "md5", "aliyun", "huawei", "aws" */
const char *hk_fp_name(enum hk_fp fp);
int hk_key_fingerprint(const struct hk_key *key, enum hk_fp fp, char **fpp);
/* As above into a caller buffer of HK_FP_MAX bytes: no allocation, for bulk use. */
#define HK_FP_MAX 208
int hk_key_fingerprint_buf(const struct hk_key *key, enum hk_fp fp, char *buf,
    size_t size);
/* ssh-keygen -lv randomart picture (lines joined by '\n', no trailing newline). */
int hk_key_randomart(const struct hk_key *key, enum hk_fp fp, char **artp);
/*
 * Compare a fingerprint a cloud returned with one hwkey computed: ignores
 * case, ':' separators, "MD5:"/"SHA256:" prefixes and trailing '='. 1 if equal.
 */
int hk_fp_equal(const char *a, const char *b);

/*
 * Formats. A key file may hold many keys (authorized_keys, fleet dumps) in any
 * of the supported formats, mixed. hk_keyfile_parse() calls cb once per entry
 * in file order: with a key, or with an error and the line it starts on. The
 * callback may keep the key with hk_key_dup(); a non-zero return stops parsing
 * and is returned.
 */
enum hk_fmt {
	HK_FMT_AUTO = 0,
	HK_FMT_OPENSSH,		/* one line: [options] type base64 [comment] */
	HK_FMT_RFC4716,		/* ---- BEGIN SSH2 PUBLIC KEY ---- (PuTTYgen "Save public key") */
	HK_FMT_PEM,		/* -----BEGIN PUBLIC KEY----- (SubjectPublicKeyInfo) */
	HK_FMT_PKCS1,		/* -----BEGIN RSA PUBLIC KEY----- */
	HK_FMT_PPK,		/* PuTTY-User-Key-File-2/3 (public part only) */
	HK_FMT_X509,		/* -----BEGIN CERTIFICATE----- (its public key) */
};
struct hk_key_entry {
	const struct hk_key *key;	/* NULL when err != 0 */
	int err;			/* 0 or HK_ERR_* for this entry */
	const char *reason;		/* human detail for err, or NULL */
	size_t line;			/* 1-based line where the entry starts */
	enum hk_fmt fmt;
	const char *options;		/* authorized_keys options, or NULL */
};
typedef int hk_key_entry_cb(const struct hk_key_entry *entry, void *arg);
int hk_keyfile_parse(const char *data, size_t len, hk_key_entry_cb *cb, void *arg);
/* Exactly one key (any format); more than one is HK_ERR_FORMAT_MALFORMED. */
int hk_key_parse(const char *data, size_t len, struct hk_key **keyp);
int hk_fmt_from_name(const char *name, enum hk_fmt *fmtp);	/* "openssh", "rfc4716", "pem", "pkcs1", "ppk", "x509" */
const char *hk_fmt_name(enum hk_fmt fmt);
/*
 * Write a key in a format, as a NUL-terminated text ending in '\n'. OPENSSH
 * writes "type base64[ comment]"; RFC4716 wraps at 64 columns with a quoted
 * Comment header as PuTTYgen does; PEM/PKCS1 as OpenSSL writes them.
 * HK_ERR_FORMAT_UNSUPPORTED where a format cannot hold the key type.
 */
int hk_key_write(const struct hk_key *key, enum hk_fmt fmt, char **outp);

#endif /* HK_KEY_H */
