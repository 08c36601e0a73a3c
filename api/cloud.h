/* hk_cloud: cloud key-pair providers behind one table of operations, their
 * capability tables, and the engine the CLI calls (import, list, delete,
 * attach, detach over many regions and keys at once). */
#ifndef HK_CLOUD_H
#define HK_CLOUD_H

#include <stddef.h>

#include "key.h"

struct hk_cloud;

/* ---- capabilities (cloud_caps.c): data, checked before any request ---- */

struct hk_cloud_keycap {
	enum hk_key_type type;
	enum hk_curve curve;		/* HK_CURVE_NONE: any / not applicable */
	const unsigned int *rsa_bits;	/* accepted RSA sizes, 0-terminated; NULL: any */
	const char *label;		/* "rsa-2048/3072/4096" for messages */
};

struct hk_cloud_namerule {
	size_t min, max;		/* length in bytes */
	const char *first;		/* characters allowed first ("" = any allowed one) */
	const char *allowed;		/* ASCII characters allowed anywhere */
	int allow_utf8;			/* bytes >= 0x80 (CJK names) allowed */
	const char *const *forbidden_prefixes;	/* NULL-terminated, case-insensitive */
	const char *text;		/* the rule in words for messages */
};

struct hk_cloud_caps {
	const char *provider;		/* "aliyun", "huawei" */
	const char *title;		/* "Alibaba Cloud ECS" */
	const struct hk_cloud_keycap *keys;	/* accepted key types, ends with HK_KEY_UNSPEC */
	const char *suggest;		/* what to use instead of a refused type */
	struct hk_cloud_namerule name;
	enum hk_fp fp;			/* the provider's fingerprint formula */
	unsigned int list_page_max;	/* DescribeKeyPairs PageSize / KPS limit */
	unsigned int delete_batch_max;	/* names per delete call */
	unsigned int attach_batch_max;	/* instance ids per attach/detach call */
	unsigned int quota_per_region;
	const char *const *regions;	/* known regions (fallback for "all"), NULL-terminated */
};

const struct hk_cloud_caps *hk_cloud_caps_find(const char *provider);
/* NULL-terminated list of every provider's caps. */
const struct hk_cloud_caps *const *hk_cloud_caps_all(void);
/*
 * 0 if the provider accepts this key type/size, else HK_ERR_CLOUD_UNSUPPORTED
 * with a detail saying why and what to use instead.
 */
int hk_cloud_caps_check_type(const struct hk_cloud_caps *caps, enum hk_key_type type,
    enum hk_curve curve, unsigned int bits);
int hk_cloud_caps_check_key(const struct hk_cloud_caps *caps, const struct hk_key *key);
/* 0 or HK_ERR_CLOUD_NAME with the rule in the detail. */
int hk_cloud_caps_check_name(const struct hk_cloud_caps *caps, const char *name);

/* ---- provider errors and replies ---- */

struct hk_cloud_error {
	int err;			/* 0 or HK_ERR_* */
	long http_status;		/* 0 when no response arrived */
	char code[96];			/* the provider's code: "KeyPair.AlreadyExist", "KPS.0002" */
	char message[384];		/* the provider's message (or the transport error) */
	char request_id[96];		/* RequestId / request_id, for support tickets */
};

struct hk_cloud_keypair {
	char *name;
	char *fingerprint;		/* as the cloud returned it */
	char *public_key;		/* OpenSSH line when the cloud returned it, else NULL */
	char *created;			/* creation time when known, else NULL */
};

struct hk_cloud_instance_result {
	char *instance_id;
	int ok;
	char *code;			/* provider code for this instance */
	char *message;
};

/* What one provider operation produced; passed to the completion callback. */
struct hk_cloud_reply {
	struct hk_cloud_error error;		/* error.err == 0: success */
	char *fingerprint;			/* import: returned fingerprint */
	struct hk_cloud_keypair *pairs;		/* describe: every page */
	size_t npairs;
	char **regions;				/* list_regions */
	size_t nregions;
	struct hk_cloud_instance_result *instances;	/* attach/detach */
	size_t ninstances;
};
typedef void hk_cloud_cb(void *arg, const struct hk_cloud_reply *reply);

/*
 * A provider. Every operation is asynchronous: it queues requests on the
 * session's HTTP engine and calls cb exactly once (from hk_cloud_run) with the
 * reply, which is valid only during the call. A non-zero return means nothing
 * was queued and cb will not be called. NULL = not supported by the provider.
 */
struct hk_cloud_impl {
	const char *name;
	int (*open)(struct hk_cloud *c, void **ctxp);
	void (*close)(void *ctx);
	int (*import_keypair)(struct hk_cloud *c, const char *region, const char *name,
	    const char *public_key, hk_cloud_cb *cb, void *arg);
	/* name NULL: every pair (all pages); else the pair of that exact name (0 or 1). */
	int (*describe_keypairs)(struct hk_cloud *c, const char *region, const char *name,
	    hk_cloud_cb *cb, void *arg);
	/* At most caps->delete_batch_max names. Deleting an absent pair succeeds. */
	int (*delete_keypairs)(struct hk_cloud *c, const char *region,
	    const char *const *names, size_t nnames, hk_cloud_cb *cb, void *arg);
	/* At most caps->attach_batch_max instance ids. */
	int (*attach_keypair)(struct hk_cloud *c, const char *region, const char *name,
	    const char *const *ids, size_t nids, hk_cloud_cb *cb, void *arg);
	int (*detach_keypair)(struct hk_cloud *c, const char *region, const char *name,
	    const char *const *ids, size_t nids, hk_cloud_cb *cb, void *arg);
	int (*list_regions)(struct hk_cloud *c, hk_cloud_cb *cb, void *arg);
};

/* ---- the engine (cloud.c, import.c) ---- */

struct hk_cloud_opts {
	const char *provider;		/* "aliyun" or "huawei" */
	const char *endpoint;		/* URL used for every region instead of the real one */
	const char *cacert;		/* extra CA file (added to the system bundle) */
	const char *profile;		/* aliyun CLI profile name */
	unsigned int jobs;		/* concurrent requests (0: 8) */
	unsigned int max_attempts;	/* per request (0: 8) */
	double rate;			/* requests per second (0: the provider's default) */
	long timeout_ms;		/* per request (0: 30 s) */
	int signature;			/* aliyun: 1 = RPC v1 HMAC-SHA1 (default), 3 = ACS3 */
	size_t nregions_hint;		/* regions the caller will use (Huawei project id rule) */
};

int hk_cloud_open(const struct hk_cloud_opts *opts, struct hk_cloud **cp);
void hk_cloud_free(struct hk_cloud *c);	/* accepts NULL */
const struct hk_cloud_caps *hk_cloud_get_caps(const struct hk_cloud *c);
/* Run queued operations to completion. */
int hk_cloud_run(struct hk_cloud *c);

/*
 * "cn-hangzhou,cn-shanghai" or "all" (the provider's region list) into a
 * NULL-terminated array; free with hk_cloud_strv_free.
 */
int hk_cloud_regions(struct hk_cloud *c, const char *spec, char ***regionsp, size_t *np);
void hk_cloud_strv_free(char **v);
/* Fill error from an HK_ERR_* and the current detail. */
void hk_cloud_error_set(struct hk_cloud_error *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Import: every key into every region, concurrently. */
enum hk_import_status {
	HK_IMPORT_FAILED = 0,
	HK_IMPORT_IMPORTED,
	HK_IMPORT_PRESENT,		/* same name, same key: nothing to do */
	HK_IMPORT_REPLACED,		/* same name, other key, --replace */
};
const char *hk_import_status_name(enum hk_import_status s);

struct hk_import_key {
	const struct hk_key *key;
	const char *name;
};
struct hk_import_result {
	const char *region;		/* borrowed from the regions array */
	const char *name;		/* borrowed from the keys array */
	size_t key_index;
	enum hk_import_status status;
	char *fingerprint;		/* hwkey's, by the provider's formula */
	char *cloud_fingerprint;	/* what the cloud returned (NULL if none) */
	struct hk_cloud_error error;	/* when status == HK_IMPORT_FAILED */
};
#define HK_IMPORT_REPLACE	0x01	/* delete a same-name pair holding another key */
/*
 * Checks every key and name against the capability table first and queues
 * nothing if one is refused (returns that error). Otherwise returns 0 and a
 * result per (key, region), key-major; each result says how it went.
 */
int hk_cloud_import(struct hk_cloud *c, const struct hk_import_key *keys, size_t nkeys,
    char *const *regions, size_t nregions, int flags,
    struct hk_import_result **resultsp, size_t *nresultsp);
void hk_import_results_free(struct hk_import_result *res, size_t n);

/* One result per region (list) or per region × target (delete/attach/detach). */
struct hk_cloud_listing {
	const char *region;
	struct hk_cloud_error error;
	struct hk_cloud_keypair *pairs;
	size_t npairs;
};
int hk_cloud_list(struct hk_cloud *c, char *const *regions, size_t nregions,
    const char *name, struct hk_cloud_listing **listp, size_t *np);
void hk_cloud_listings_free(struct hk_cloud_listing *l, size_t n);

struct hk_cloud_op_result {
	const char *region;
	char *target;			/* key pair name (delete) or instance id (attach/detach) */
	struct hk_cloud_error error;
};
int hk_cloud_delete(struct hk_cloud *c, char *const *regions, size_t nregions,
    char *const *names, size_t nnames, struct hk_cloud_op_result **resp, size_t *np);
/* detach = 0: attach. Batches ids by caps->attach_batch_max. */
int hk_cloud_attach(struct hk_cloud *c, const char *region, const char *name,
    char *const *ids, size_t nids, int detach, struct hk_cloud_op_result **resp, size_t *np);
void hk_cloud_op_results_free(struct hk_cloud_op_result *r, size_t n);

/* Request counters of the session (bench, tests). */
void hk_cloud_counters(const struct hk_cloud *c, unsigned long *requests,
    unsigned long *attempts, unsigned long *connects);

#endif /* HK_CLOUD_H */
