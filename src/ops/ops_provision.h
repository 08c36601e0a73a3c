/* hk_prov: the provisioning engine. For every entry of a plan: intent ->
 * keygen -> proof -> export -> import per region -> verify -> attach ->
 * done, each step journaled in the inventory before and after it runs. One
 * worker thread per token, every cloud call on one HTTP engine per provider
 * (its rate limit and connection reuse), a token's imports queued the moment
 * its key exists. Resumable: the key id is chosen and journaled before the
 * key is generated, so a later run finds the key instead of making another;
 * an import that may have landed is settled by a describe. */
#ifndef HK_OPS_PROVISION_H
#define HK_OPS_PROVISION_H

#include <stddef.h>

#include "cloud.h"
#include "err.h"
#include "ops_plan.h"
#include "secret.h"
#include "ui.h"

enum hk_prov_step {
	HK_PROV_STEP_INTENT = 0,	/* the entry is journaled: what will be made where */
	HK_PROV_STEP_KEYGEN,		/* the key is made on the token (or found again) */
	HK_PROV_STEP_PROOF,		/* on-token flags (or attestation) read back and checked */
	HK_PROV_STEP_EXPORT,		/* public key and fingerprints into the inventory */
	HK_PROV_STEP_IMPORT,		/* ImportKeyPair per region */
	HK_PROV_STEP_VERIFY,		/* the cloud's fingerprint against hwkey's */
	HK_PROV_STEP_ATTACH,		/* AttachKeyPair to the entry's instances */
	HK_PROV_STEP_DONE,
	HK_PROV_NSTEPS
};
const char *hk_prov_step_name(enum hk_prov_step step);	/* "keygen" */

enum hk_prov_state {
	HK_PROV_PENDING = 0,		/* not started (in this run, or --status: never) */
	HK_PROV_RUNNING,		/* --status: started, not finished (a resume continues it) */
	HK_PROV_DONE,
	HK_PROV_FAILED,
	HK_PROV_CANCELLED,
};
const char *hk_prov_state_name(enum hk_prov_state state);	/* "done" */

/* One region of an entry. */
struct hk_prov_import {
	char *region;
	enum hk_import_status status;	/* PENDING until settled */
	char *cloud_fingerprint;	/* what the cloud returned */
	struct hk_error error;
};

/* One entry of the plan, as this run (or the inventory, for --status) left it. */
struct hk_prov_entry {
	const struct hk_plan_entry *plan;
	enum hk_prov_state state;
	enum hk_prov_step step;		/* the step reached: running, failed at, or DONE */
	int already_done;		/* done by an earlier run: nothing was repeated */
	int key_made;			/* this run generated the key */
	int key_found;			/* the key journaled by an earlier run was on the token */
	char *serial;			/* the token's */
	char *key_id;			/* CKA_ID (lowercase hex) */
	char *fingerprint;		/* SHA256, as ssh-keygen -l */
	char *cloud_fingerprint_expected;	/* by the provider's formula */
	char *public_key;		/* OpenSSH line */
	char *key_file;			/* security keys: the key-handle file (output/name) */
	struct hk_prov_import *imports;	/* one per plan region, in plan order */
	size_t nimports;
	size_t nattached;
	double seconds;			/* this run's time on the entry (0: it did not run) */
	double store_seconds;		/* ... of which in inventory calls */
	struct hk_error error;		/* FAILED, CANCELLED: why */
	/* --status: the last journal row ("import aliyun cn-hangzhou alice", "end", "ok"). */
	char *last_step;
	char *last_phase;
	char *last_outcome;
};

enum hk_prov_event_kind {
	HK_PROV_EV_STEP,		/* entry starts step (region set for IMPORT/VERIFY) */
	HK_PROV_EV_STEP_END,		/* the step finished (error set when it failed) */
	HK_PROV_EV_IMPORT,		/* one region settled (import->status) */
	HK_PROV_EV_ENTRY,		/* the entry is final: done, failed or cancelled */
	HK_PROV_EV_TOUCH,		/* keygen on a security key waits for its touch (detail) */
};
struct hk_prov_event {
	enum hk_prov_event_kind kind;
	size_t index;			/* into the plan's entries */
	const struct hk_prov_entry *entry;
	enum hk_prov_step step;
	const char *region;		/* IMPORT, VERIFY, and EV_IMPORT */
	const struct hk_prov_import *import;	/* EV_IMPORT */
	const struct hk_error *error;	/* a failure, else NULL */
	const char *detail;		/* STEP_END: "found on the token", "made", ... or NULL */
	size_t ndone, nfailed, nremaining;	/* over the whole plan, after this event */
};
/* Called one event at a time (serialized), from the engine's threads. */
typedef void hk_prov_event_fn(void *arg, const struct hk_prov_event *ev);
/*
 * A PIN for entry e's token, asked on the calling thread before any worker
 * starts (one prompt per token on a terminal). 0, HK_ERR_CANCELLED or a
 * source error (that entry fails, the others go on).
 */
typedef int hk_prov_pin_fn(void *arg, const struct hk_plan_entry *e, const char *prompt,
    struct hk_secret **secp);

struct hk_prov_req {
	const struct hk_plan *plan;
	const char *module;		/* PKCS#11 module (NULL: p11-kit's) */
	const char *inventory;		/* NULL: the default inventory */
	const char *station;		/* who runs it, for the run record (NULL: hostname) */
	/* The cloud sessions' options (provider from each entry, ui from below). */
	const struct hk_cloud_opts *cloud;
	hk_prov_pin_fn *pin;
	hk_prov_event_fn *event;
	void *arg;			/* of pin and event */
	const struct hk_ui *ui;		/* cancelled(): stop starting steps; calls settle */
	unsigned int workers;		/* token workers at once (0: one per entry) */
};

struct hk_prov_result {
	struct hk_prov_entry *entries;	/* plan order */
	size_t n;
	size_t ndone, nfailed, ncancelled;
	size_t nalready;		/* of ndone: done by an earlier run */
	double seconds;			/* wall time of the run */
	double store_seconds;		/* time spent in inventory calls, summed over threads */
	unsigned long store_calls;
	double store_share;		/* mean over the entries that ran of their
					   store_seconds / seconds: the inventory's part */
	double store_busy_seconds;	/* the inventory at work: the writer's batches,
					   and direct calls (may overlap a little) */
	double store_wall_share;	/* store_busy_seconds / seconds */
	struct hk_error err;		/* the outcome (hk_op_batch_outcome), or what stopped it */
};

/*
 * Run the plan. Returns the outcome (also res->err): 0 when every entry is
 * done, HK_ERR_PARTIAL when some failed, the failure itself when all did,
 * HK_ERR_INTERRUPTED when cancelled; a failure before any entry could start
 * (the inventory, the module) is returned with *resp still set.
 */
int hk_prov_run(const struct hk_prov_req *req, struct hk_prov_result **resp);
/*
 * Where each entry of plan stands, from the inventory alone (read-only:
 * nothing is created, no token or cloud is touched). A missing inventory
 * is every entry PENDING.
 */
int hk_prov_status(const char *inventory, const struct hk_plan *plan,
    struct hk_prov_result **resp);
void hk_prov_result_free(struct hk_prov_result *res);	/* accepts NULL */

#endif /* HK_OPS_PROVISION_H */
