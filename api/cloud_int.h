/* Internals shared by the cloud engine (cloud.c, import.c) and the providers
 * (cloud_aliyun.c, cloud_huawei.c). Not for the CLI. */
#ifndef HK_CLOUD_INT_H
#define HK_CLOUD_INT_H

#include <jansson.h>

#include "cloud.h"
#include "creds.h"
#include "http.h"

struct hk_cloud {
	const struct hk_cloud_impl *impl;
	const struct hk_cloud_caps *caps;
	struct hk_cloud_opts opts;	/* strings below are copies */
	char *endpoint, *cacert, *profile;
	struct hk_creds *creds;
	struct hk_http *http;
	void *ctx;			/* the provider's */
};

extern const struct hk_cloud_impl hk_cloud_aliyun;
extern const struct hk_cloud_impl hk_cloud_huawei;

/* Free everything a reply owns (not the struct itself) and zero it. */
void hk_cloud_reply_clear(struct hk_cloud_reply *reply);
void hk_cloud_keypair_clear(struct hk_cloud_keypair *kp);

/*
 * Transport failure or non-2xx: fill e. For HTTP errors the provider parses
 * its envelope and passes code/message/request id (any may be NULL).
 */
void hk_cloud_error_transport(struct hk_cloud_error *e, const struct hk_http_response *resp);
void hk_cloud_error_provider(struct hk_cloud_error *e, int err, long status,
    const char *code, const char *message, const char *request_id);

/* A random 128-bit nonce as 32 hex characters (UUID form with dashes if uuid). */
int hk_cloud_nonce(char *buf, size_t size, int uuid);
/* UTC now as ISO 8601: "2026-12-01T07:43:45Z", or basic "20261201T074345Z". */
enum hk_cloud_utc_form { HK_UTC_EXTENDED, HK_UTC_BASIC };
void hk_cloud_utc(char *buf, size_t size, enum hk_cloud_utc_form form);
/* Host part of a URL ("https://h:1/x" -> "h:1"); malloc'd. */
char *hk_cloud_url_host(const char *url);
/* Parse a JSON body; NULL when it is not JSON. */
json_t *hk_cloud_json(const struct hk_http_response *resp);
const char *hk_cloud_jstr(json_t *obj, const char *key);
/*
 * The providers' response parsers on their own, for the fuzz targets: op
 * selects the operation (taken modulo the provider's count), reply is filled
 * as the completion callback would see it; clear it with hk_cloud_reply_clear.
 */
int hk_cloud_aliyun_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply);
int hk_cloud_huawei_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply);

/* strdup that tolerates NULL. */
char *hk_cloud_strdup(const char *s);

#endif /* HK_CLOUD_INT_H */
