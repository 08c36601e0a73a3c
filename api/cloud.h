/* hk_cloud: cloud key-pair providers behind one registry (one row and one
 * file per provider), their capability tables, and the operations front ends
 * call: import (a request in, an event per step, a result per key and
 * region), list, delete, attach, detach over many regions at once. */
#ifndef HK_CLOUD_H
#define HK_CLOUD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "ui.h"

struct hk_cloud;

/* ---- capabilities: data in each provider's row, checked before any request ---- */

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
	/*
	 * Windows instance passwords (hwkey windows-password): NULL when the
	 * provider returns them encrypted to the instance's key pair, else why
	 * it does not and what to do instead (the whole refusal).
	 */
	const char *no_server_password;
};

/* The caps of a registered provider ("aliyun"), or NULL. */
const struct hk_cloud_caps *hk_cloud_caps_find(const char *provider);
/* The i-th registered provider's caps (registry order); NULL past the last. */
const struct hk_cloud_caps *hk_cloud_caps_at(size_t i);
/* "aliyun or huawei": every registered provider's name, for messages. */
const char *hk_cloud_provider_names(char *buf, size_t size);
/* "libcurl/7.88.1 OpenSSL/3.0.19 ...": the HTTP stack, for --version. */
const char *hk_cloud_transport_version(void);
/*
 * 0 if the provider accepts this key type/size, else HK_ERR_CLOUD_UNSUPPORTED
 * with a detail saying why and what to use instead.
 */
int hk_cloud_caps_check_type(const struct hk_cloud_caps *caps, enum hk_key_type type,
    enum hk_curve curve, unsigned int bits);
int hk_cloud_caps_check_key(const struct hk_cloud_caps *caps, const struct hk_key *key);
/* 0 or HK_ERR_CLOUD_NAME with the rule in the detail. */
int hk_cloud_caps_check_name(const struct hk_cloud_caps *caps, const char *name);

/*
 * Provider-specific settings, passed through the generic options as
 * name=value and checked by the provider's row: "signature" (Alibaba: v1 or
 * v3), "profile" (Alibaba: the aliyun CLI profile). A setting named N is
 * given on the command line as --N.
 */
struct hk_cloud_setting {
	const char *name;
	const char *value;
};
/* 1 if some registered provider takes a setting of this name. */
int hk_cloud_setting_known(const char *name);
/*
 * 0 if provider takes name=value (provider NULL: the provider that takes the
 * setting), else HK_ERR_USAGE with the reason in the detail ("--signature
 * v2: v1 or v3", or which cloud the setting belongs to).
 */
int hk_cloud_setting_check(const char *provider, const char *name, const char *value);

/* ---- sessions ---- */

struct hk_cloud_opts {
	const char *provider;		/* a registered name: "aliyun", "huawei" */
	const char *endpoint;		/* URL used for every region instead of the real one */
	const char *cacert;		/* extra CA file (added to the system bundle) */
	const struct hk_cloud_setting *settings;	/* provider-specific; copied */
	size_t nsettings;
	unsigned int jobs;		/* concurrent requests (0: 8) */
	unsigned int max_attempts;	/* per request (0: 8) */
	double rate;			/* requests per second (0: the provider's default) */
	long timeout_ms;		/* per request (0: 30 s) */
	long cancel_grace_ms;		/* after a cancel, how long calls in flight may settle (0: 5 s) */
	size_t nregions_hint;		/* regions the caller will use (Huawei project id rule) */
	const struct hk_ui *ui;		/* its cancelled() is polled while the session runs */
};

/* Credentials are loaded here, by the provider's own chain. */
int hk_cloud_open(const struct hk_cloud_opts *opts, struct hk_cloud **cp);
void hk_cloud_free(struct hk_cloud *c);	/* accepts NULL */
const struct hk_cloud_caps *hk_cloud_get_caps(const struct hk_cloud *c);
/*
 * The region the credentials' source names (Alibaba: ALIBABA_CLOUD_REGION_ID,
 * else the aliyun profile's region_id), for a command without --region; or NULL.
 */
const char *hk_cloud_default_region(const struct hk_cloud *c);
/*
 * Run queued operations until none is left (after a cancel, what was not
 * sent completes as cancelled). 0, or an error of the engine itself (called
 * from inside a callback; libcurl failed), after which every operation has
 * still completed.
 */
int hk_cloud_run(struct hk_cloud *c);
/*
 * Stop the session: nothing new is sent; calls in flight settle until
 * opts.cancel_grace_ms, then are abandoned ("may have landed"). Thread-safe.
 */
void hk_cloud_cancel(struct hk_cloud *c);

/*
 * Feeding a running session from other threads (thread-safe, the rest of the
 * session is not): hk_cloud_post runs fn(arg, cancelled) on the thread in
 * hk_cloud_run(), in order, where it may start imports (hk_import_start
 * with explicit regions) and read their results. A hold keeps
 * hk_cloud_run() waiting for posts after its work runs out; each hold is
 * released once (after the holder's last post). cancelled = 1: the session
 * is cancelling, what fn starts completes as cancelled.
 */
typedef void hk_cloud_post_fn(void *arg, int cancelled);
int hk_cloud_post(struct hk_cloud *c, hk_cloud_post_fn *fn, void *arg);
void hk_cloud_hold(struct hk_cloud *c);
void hk_cloud_release(struct hk_cloud *c);

/*
 * "cn-hangzhou,cn-shanghai" or "all" (the provider's region list) into a
 * NULL-terminated array; free with hk_cloud_strv_free.
 */
int hk_cloud_regions(struct hk_cloud *c, const char *spec, char ***regionsp, size_t *np);
void hk_cloud_strv_free(char **v);

/* What a batch amounts to, for hk_op_batch_outcome() (ops.h). */
struct hk_cloud_summary {
	size_t nitems;
	size_t nfailed;
	size_t ncancelled;		/* never sent, or abandoned in flight by a cancel */
	const struct hk_error *first;	/* the first failure in result order, NULL if none */
	char first_where[192];		/* where: "cn-hangzhou", "cn-hangzhou alice" */
};

/* ---- import: every key into every region, concurrently ---- */

enum hk_import_status {
	HK_IMPORT_PENDING = 0,		/* not settled yet: the zero state */
	HK_IMPORT_IMPORTED,
	HK_IMPORT_PRESENT,		/* same name, same key: nothing to do */
	HK_IMPORT_REPLACED,		/* same name, other key, HK_IMPORT_REPLACE */
	HK_IMPORT_FAILED,		/* error says why */
	HK_IMPORT_CANCELLED,		/* stopped before an import of it could land */
	HK_IMPORT_UNSETTLED,		/* stopped after an import was sent, before it was
					   confirmed: it may have landed; a describe settles it */
	HK_IMPORT_NSTATUS
};
const char *hk_import_status_name(enum hk_import_status s);

struct hk_import_result {
	const char *region;		/* owned by the import */
	const char *name;		/* the key pair name (template expanded) */
	size_t key_index;
	enum hk_import_status status;
	char *fingerprint;		/* hwkey's, by the provider's formula */
	char *cloud_fingerprint;	/* what the cloud returned (NULL if none) */
	int maybe_landed;		/* an import was sent and never confirmed */
	struct hk_error error;		/* FAILED, CANCELLED, UNSETTLED: why (region set) */
};

/* The calls an import makes for one (key, region). */
enum hk_import_step {
	HK_IMPORT_STEP_IMPORT,		/* ImportKeyPair */
	HK_IMPORT_STEP_DESCRIBE,	/* whose key is under this name? did it land? */
	HK_IMPORT_STEP_DELETE,		/* HK_IMPORT_REPLACE: the other key goes */
};

/* Events per (key, region), in order; the last is one of the four final ones. */
enum hk_import_event_kind {
	HK_IMPORT_EV_SENDING,		/* step's call, attempt N, is about to be sent */
	HK_IMPORT_EV_SENT,		/* it went out: an import may land from here on */
	HK_IMPORT_EV_RETRYING,		/* it failed (error) and goes again in retry_ms */
	HK_IMPORT_EV_SETTLING,		/* an import may have landed: describing before any resend */
	HK_IMPORT_EV_VERIFIED,		/* final: IMPORTED, PRESENT or REPLACED, fingerprint checked */
	HK_IMPORT_EV_FAILED,		/* final: FAILED */
	HK_IMPORT_EV_CANCELLED,		/* final: CANCELLED */
	HK_IMPORT_EV_UNSETTLED,		/* final: UNSETTLED (may have landed) */
};
struct hk_import_event {
	enum hk_import_event_kind kind;
	const struct hk_import_result *result;	/* which (key, region); final for the final kinds */
	enum hk_import_step step;	/* SENDING, SENT, RETRYING, SETTLING */
	unsigned int attempt;		/* of the call: 1 for the first */
	unsigned int imports;		/* ImportKeyPair calls made for this result so far */
	long retry_ms;			/* RETRYING */
	const struct hk_error *error;	/* RETRYING: the attempt's; final kinds: result->error */
};
typedef void hk_import_event_fn(void *arg, const struct hk_import_event *ev);

#define HK_IMPORT_REPLACE	0x01	/* delete a same-name pair holding another key */

struct hk_import_req {
	const struct hk_key *const *keys;	/* copied */
	size_t nkeys;
	const char *name;		/* template: "%n" is the 1-based key number, "%%" a '%' */
	const char *regions;		/* "R[,R...]" or "all", resolved when the import starts */
	int flags;			/* HK_IMPORT_* */
	/*
	 * May be NULL. Called from hk_cloud_run(); a call that cannot even be
	 * queued fails at once, from hk_import_start(). An event callback may
	 * call hk_cloud_cancel() and start other imports (not with "all").
	 */
	hk_import_event_fn *event;
	void *arg;
};

struct hk_import;

/*
 * Prepare an import for the provider of caps: expand the names, check every
 * key type and name against the capability table and refuse duplicate names
 * (HK_ERR_CLOUD_UNSUPPORTED, HK_ERR_CLOUD_NAME, HK_ERR_USAGE in *err). No
 * request is made; this is the only place the checks are done.
 */
int hk_import_new(const struct hk_cloud_caps *caps, const struct hk_import_req *req,
    struct hk_import **impp, struct hk_error *err);
/*
 * Resolve the regions (with "all", by a call that runs c; so not from
 * inside hk_cloud_run) and queue every (key, region) on c, key-major. The
 * results exist from here on, PENDING until hk_cloud_run() settles them.
 */
int hk_import_start(struct hk_import *imp, struct hk_cloud *c, struct hk_error *err);
/* hk_import_start() and hk_cloud_run(): every result settled on return. */
int hk_import_run(struct hk_import *imp, struct hk_cloud *c, struct hk_error *err);
const struct hk_import_result *hk_import_results(const struct hk_import *imp, size_t *np);
/* Counts by status; failed = FAILED, cancelled = CANCELLED + UNSETTLED + PENDING. */
struct hk_import_summary {
	struct hk_cloud_summary batch;
	size_t count[HK_IMPORT_NSTATUS];
};
void hk_import_summary(const struct hk_import *imp, struct hk_import_summary *s);
void hk_import_free(struct hk_import *imp);	/* accepts NULL */

/* ---- list, delete, attach, detach: a result per region (x target) ---- */

struct hk_cloud_keypair {
	char *name;
	char *fingerprint;		/* as the cloud returned it */
	char *public_key;		/* OpenSSH line when the cloud returned it, else NULL */
	char *created;			/* creation time when known, else NULL */
};

struct hk_cloud_listing {
	const char *region;
	struct hk_error error;
	struct hk_cloud_keypair *pairs;
	size_t npairs;
};
int hk_cloud_list(struct hk_cloud *c, char *const *regions, size_t nregions,
    const char *name, struct hk_cloud_listing **listp, size_t *np,
    struct hk_cloud_summary *sum);
void hk_cloud_listings_free(struct hk_cloud_listing *l, size_t n);

struct hk_cloud_op_result {
	const char *region;
	char *target;			/* key pair name (delete) or instance id (attach/detach) */
	struct hk_error error;		/* code 0: done (or absent) */
	int absent;			/* nothing to do: delete, no such pair (nothing was
					   sent for it); detach, it was not attached */
	int in_use;			/* delete failed: the pair is bound to instances */
};
/*
 * Each region is described first (one listing), so a name that is not there
 * is reported absent and not sent: some clouds' delete calls ignore unknown
 * names. Repeating a delete is success, as repeating an import is.
 */
int hk_cloud_delete(struct hk_cloud *c, char *const *regions, size_t nregions,
    char *const *names, size_t nnames, struct hk_cloud_op_result **resp, size_t *np,
    struct hk_cloud_summary *sum);
/*
 * detach = 0: attach. Batches ids by caps->attach_batch_max. Detaching an
 * instance the pair is not bound to succeeds, absent.
 */
int hk_cloud_attach(struct hk_cloud *c, const char *region, const char *name,
    char *const *ids, size_t nids, int detach, struct hk_cloud_op_result **resp, size_t *np,
    struct hk_cloud_summary *sum);
void hk_cloud_op_results_free(struct hk_cloud_op_result *r, size_t n);

/* ---- Windows instance passwords ---- */

/*
 * 0 when the provider of caps returns Windows passwords, else
 * HK_ERR_NOT_SUPPORTED (exit 12) with caps->no_server_password as the detail.
 */
int hk_cloud_caps_check_server_password(const struct hk_cloud_caps *caps);
/*
 * The encrypted Administrator password of a Windows instance (Huawei ECS
 * ShowServerPassword), base64-decoded: RSA PKCS#1 v1.5 to the public key of
 * the key pair the instance was created with, as Cloudbase-init wrote it.
 * Runs the session (not from inside hk_cloud_run). On failure err holds
 * the error with the region: HK_ERR_NOT_SUPPORTED (the provider has no
 * such call), HK_ERR_CLOUD_NOT_FOUND (no such instance, or it has no
 * encrypted password: Linux, no key pair at creation, not booted yet), or
 * the usual cloud and network errors. *blobp is malloc'd.
 */
int hk_cloud_server_password(struct hk_cloud *c, const char *region, const char *instance,
    uint8_t **blobp, size_t *lenp, struct hk_error *err);
/*
 * A blob saved earlier: the base64 text (line breaks allowed), or the whole
 * ShowServerPassword answer {"password": "..."}. HK_ERR_BASE64,
 * HK_ERR_FORMAT_MALFORMED or HK_ERR_FORMAT_EMPTY with a detail otherwise.
 */
int hk_cloud_password_decode(const char *text, size_t len, uint8_t **blobp, size_t *lenp);

/* Request counters of the session (bench, tests). */
void hk_cloud_counters(const struct hk_cloud *c, unsigned long *requests,
    unsigned long *attempts, unsigned long *connects);

#endif /* HK_CLOUD_H */
