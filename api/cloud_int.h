/* Internals shared by the cloud engine (cloud.c, import.c), the request layer
 * (http.c) and the providers (cloud_<provider>.c, one file each: its
 * registry row, operations, capabilities, credential chain). Not for the CLI. */
#ifndef HK_CLOUD_INT_H
#define HK_CLOUD_INT_H

#include <jansson.h>

#include "cloud.h"
#include "creds.h"

struct hk_http;
struct hk_http_response;

struct hk_cloud_instance_result {
	char *instance_id;
	int ok;
	int not_attached;		/* detach: the pair was not bound to it (nothing to do) */
	char *code;			/* provider code for this instance */
	char *message;
};

/* What one provider operation produced; passed to the completion callback. */
struct hk_cloud_reply {
	struct hk_error error;			/* error.code == 0: success */
	int sent;				/* the last attempt may have reached the server */
	char *fingerprint;			/* import: returned fingerprint */
	struct hk_cloud_keypair *pairs;		/* describe: every page */
	size_t npairs;
	char **regions;				/* list_regions */
	size_t nregions;
	struct hk_cloud_instance_result *instances;	/* attach/detach */
	size_t ninstances;
	char *password;				/* server_password: base64 as returned */
};

/* A call's progress as the request layer reports it. */
enum hk_cloud_event_kind {
	HK_CLOUD_EV_SENDING,
	HK_CLOUD_EV_SENT,
	HK_CLOUD_EV_RETRYING,
};
struct hk_cloud_event {
	enum hk_cloud_event_kind kind;
	unsigned int attempt;
	long retry_ms;				/* RETRYING */
	const struct hk_error *error;		/* RETRYING: why the attempt failed */
};

/* Who hears about one call: done exactly once (from hk_cloud_run), events before. */
struct hk_cloud_cb {
	void (*done)(void *arg, const struct hk_cloud_reply *reply);
	void (*event)(void *arg, const struct hk_cloud_event *ev);	/* may be NULL */
	void *arg;
};

/*
 * A provider's operations. Every one is asynchronous: it queues requests on
 * the session's HTTP engine and calls cb->done exactly once (from
 * hk_cloud_run) with the reply, which is valid only during the call. A
 * non-zero return means nothing was queued and done will not be called.
 * NULL = not supported by the provider.
 */
struct hk_cloud_impl {
	int (*open)(struct hk_cloud *c, void **ctxp);
	void (*close)(void *ctx);
	int (*import_keypair)(struct hk_cloud *c, const char *region, const char *name,
	    const char *public_key, const struct hk_cloud_cb *cb);
	/* name NULL: every pair (all pages); else the pair of that exact name (0 or 1). */
	int (*describe_keypairs)(struct hk_cloud *c, const char *region, const char *name,
	    const struct hk_cloud_cb *cb);
	/*
	 * At most caps->delete_batch_max names. An absent pair succeeds or fails
	 * with HK_ERR_CLOUD_NOT_FOUND, by provider: hk_cloud_delete describes first.
	 */
	int (*delete_keypairs)(struct hk_cloud *c, const char *region,
	    const char *const *names, size_t nnames, const struct hk_cloud_cb *cb);
	/* At most caps->attach_batch_max instance ids. */
	int (*attach_keypair)(struct hk_cloud *c, const char *region, const char *name,
	    const char *const *ids, size_t nids, const struct hk_cloud_cb *cb);
	int (*detach_keypair)(struct hk_cloud *c, const char *region, const char *name,
	    const char *const *ids, size_t nids, const struct hk_cloud_cb *cb);
	int (*list_regions)(struct hk_cloud *c, const struct hk_cloud_cb *cb);
	/* 1 if a delete's error says the pair is bound to instances; may be NULL. */
	int (*in_use)(const struct hk_error *e);
	/* A Windows instance's encrypted password (reply->password, base64; "": none). */
	int (*server_password)(struct hk_cloud *c, const char *region, const char *instance,
	    const struct hk_cloud_cb *cb);
};

/* A setting a provider takes (or names, to refuse it with a reason). */
struct hk_cloud_setting_def {
	const char *name;		/* NULL ends the table */
	const char *const *values;	/* accepted values, NULL-terminated; NULL: any text */
	const char *values_text;	/* "v1 or v3" */
	const char *refusal;		/* non-NULL: not taken; the whole message */
};

/* The settings a session was opened with (copies). */
struct hk_cloud_settings {
	struct hk_cloud_setting *v;
	size_t n;
};
/* The value of setting name, or NULL when it was not given. */
const char *hk_cloud_settings_get(const struct hk_cloud_settings *s, const char *name);

/* A row of the provider registry: everything that makes a provider. */
struct hk_cloud_provider {
	const char *name;		/* "aliyun": --cloud NAME */
	const char *title;		/* "Alibaba Cloud ECS" */
	const struct hk_cloud_impl *impl;
	const struct hk_cloud_caps *caps;
	/* The cloud's own credential chain (environment, its CLI's files). */
	int (*creds_load)(const struct hk_cloud_settings *s, struct hk_creds **credsp);
	const struct hk_cloud_setting_def *settings;	/* NULL: takes none */
};

/* The registry (cloud.c): each provider file's row, listed there. */
const struct hk_cloud_provider *hk_cloud_provider_find(const char *name);
const struct hk_cloud_provider *hk_cloud_provider_at(size_t i);
/*
 * Open a session on the provider of row, registered or not (hk_cloud_open
 * looks the row up by opts->provider, which is otherwise ignored): the hook
 * tests use to drive the engine through a provider of their own.
 */
int hk_cloud_open_impl(const struct hk_cloud_provider *row, const struct hk_cloud_opts *opts,
    struct hk_cloud **cp);
/* 0, or HK_ERR_USAGE: row does not take name=value (the reason in the detail). */
int hk_cloud_setting_check_row(const struct hk_cloud_provider *row, const char *name,
    const char *value);

struct hk_cloud {
	const struct hk_cloud_provider *row;
	const struct hk_cloud_impl *impl;
	const struct hk_cloud_caps *caps;
	struct hk_cloud_opts opts;	/* strings below are copies */
	char *endpoint, *cacert;
	struct hk_cloud_settings settings;
	struct hk_creds *creds;
	struct hk_http *http;
	void *ctx;			/* the provider's */
};

/* 1 once the session is cancelled: start nothing new. */
int hk_cloud_cancelling(const struct hk_cloud *c);
/* HK_ERR_INTERNAL (with a detail) if called from inside hk_cloud_run. */
int hk_cloud_not_running(const struct hk_cloud *c, const char *what);

/* Free everything a reply owns (not the struct itself) and zero it. */
void hk_cloud_reply_clear(struct hk_cloud_reply *reply);
void hk_cloud_keypair_clear(struct hk_cloud_keypair *kp);

/*
 * Transport failure or non-2xx: fill e. For HTTP errors the provider parses
 * its envelope and passes code/message/request id (any may be NULL).
 */
void hk_cloud_error_transport(struct hk_error *e, const struct hk_http_response *resp);
void hk_cloud_error_provider(struct hk_error *e, int err, long status,
    const char *code, const char *message, const char *request_id);

/* A random 128-bit nonce as 32 hex characters (UUID form with dashes if uuid). */
int hk_cloud_nonce(char *buf, size_t size, int uuid);
/* UTC now as ISO 8601: "2026-12-01T07:43:45Z", or basic "20261201T074345Z". */
enum hk_cloud_utc_form { HK_UTC_EXTENDED, HK_UTC_BASIC };
void hk_cloud_utc(char *buf, size_t size, enum hk_cloud_utc_form form);
/* Host part of a URL ("https://h:1/x" -> "h:1"); malloc'd. */
char *hk_cloud_url_host(const char *url);

/* For the JSON providers: parse a body; NULL when it is not JSON. */
json_t *hk_cloud_json(const struct hk_http_response *resp);
const char *hk_cloud_jstr(json_t *obj, const char *key);
/* strdup of a string member, or NULL. */
char *hk_cloud_jdup(json_t *obj, const char *key);

/*
 * The providers' response parsers on their own, for the fuzz targets: op
 * selects the operation (taken modulo the provider's count), reply is filled
 * as the completion callback would see it; clear it with hk_cloud_reply_clear.
 */
int hk_cloud_aliyun_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply);
int hk_cloud_huawei_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply);
/* The aliyun CLI's config.json at path (exposed for tests). */
int hk_cloud_aliyun_config(const char *path, const char *profile, struct hk_creds **credsp);

/* strdup that tolerates NULL. */
char *hk_cloud_strdup(const char *s);

#endif /* HK_CLOUD_INT_H */
