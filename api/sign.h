/* Request signing for the cloud APIs: RFC 3986 percent-encoding, canonical
 * query strings, Alibaba RPC v1 (HMAC-SHA1) and ACS3, Huawei SDK-HMAC-SHA256. */
#ifndef HK_SIGN_H
#define HK_SIGN_H

#include <stddef.h>

struct hk_buf;

/* A query/form parameter or a request header; both strings are unencoded. */
struct hk_param {
	const char *name;
	const char *value;
};
struct hk_header {
	const char *name;
	const char *value;
};

/*
 * RFC 3986 encoding appended to out: A-Z a-z 0-9 - _ . ~ are kept, every
 * other byte becomes %XX (uppercase). A space is %20, never '+'.
 */
int hk_urlenc(struct hk_buf *out, const char *s, size_t len);
/*
 * Decoding into a new NUL-terminated string. '+' stays '+' (RFC 3986) unless
 * HK_URLDEC_FORM is given (application/x-www-form-urlencoded: '+' is a space).
 * A malformed escape or an encoded NUL is HK_ERR_INVALID_ARGUMENT.
 */
#define HK_URLDEC_FORM 0x01
int hk_urldec(const char *s, size_t len, int flags, char **outp);

/*
 * "a=1&b=2": names and values encoded, pairs sorted by encoded name then
 * encoded value (Alibaba v1/ACS3 and Huawei canonical query). An empty value
 * gives "name=". n == 0 gives "".
 */
int hk_sign_canonical_query(const struct hk_param *p, size_t n, char **outp);

/* Lowercase hex SHA-256 of data into hex[65]. */
int hk_sign_sha256_hex(const void *data, size_t len, char hex[65]);

/*
 * Alibaba RPC v1. p holds every parameter that is sent except Signature.
 * _string gives the StringToSign ("GET&%2F&..."), which the server quotes in
 * SignatureDoesNotMatch; hk_sign_aliyun_v1 gives the base64 signature (not yet
 * percent-encoded) computed with the key secret + "&".
 */
int hk_sign_aliyun_v1_string(const char *method, const struct hk_param *p, size_t n,
    char **stsp);
int hk_sign_aliyun_v1(const char *method, const struct hk_param *p, size_t n,
    const char *secret, char **sigp);

/*
 * Alibaba ACS3-HMAC-SHA256. query: the parameters in the URL (the form body,
 * if any, is only hashed); h: exactly the headers to sign (host, content-type
 * if sent, every x-acs-*); names in any case, values trimmed. The canonical
 * URI is path ("/" for RPC). hk_sign_acs3 returns the Authorization value
 * "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex".
 */
int hk_sign_acs3_canonical(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, char **crp);
int hk_sign_acs3(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, const char *ak, const char *secret,
    char **authp);

/*
 * Huawei SDK-HMAC-SHA256. path is unencoded ("/v3/PROJECT/keypairs"); each
 * segment is encoded and a trailing '/' added for the canonical URI. h:
 * exactly the headers to sign, which must include host and X-Sdk-Date (its
 * value goes into the StringToSign); if X-Sdk-Content-Sha256 is among them
 * its value replaces the body hash. hk_sign_huawei returns the Authorization
 * value "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex".
 */
int hk_sign_huawei_canonical(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, char **crp);
int hk_sign_huawei(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, const char *ak, const char *sk,
    char **authp);

/* Constant-time comparison of two NUL-terminated strings: 1 when equal. */
int hk_sign_equal(const char *a, const char *b);

#endif /* HK_SIGN_H */
