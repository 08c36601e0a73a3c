/* hk_store: the inventory. What hwkey provisioned — tokens, the keys made on
 * them, the cloud imports of each key, provisioning runs and plan entries,
 * and a journal of every step — behind one narrow interface over a table of
 * backends (store_impl.h: SQLite now; PostgreSQL is one more file). It never
 * holds a secret. */
#ifndef HK_STORE_H
#define HK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

/*
 * Conventions (as everywhere in hwkey): every function returns 0 or a
 * negative HK_ERR_* and sets the thread's detail (hk_errf) with what and
 * where ("inventory /x/inventory.db: database or disk is full"); the caller
 * takes it with hk_error_take(). Out-parameters are cleared on entry and set
 * only on success. Records a lookup returns are the caller's, freed with
 * their _free function (accepting NULL). Strings in records are UTF-8,
 * NULL when unknown. Times are seconds since the epoch (UTC).
 *
 * Threads: one handle may be shared by every worker thread; each call is
 * serialized inside the handle and is one short transaction, committed
 * (synchronous=FULL in WAL mode) before the call returns, so a record a call
 * returned 0 for survives kill -9 and power loss. Opening one handle per
 * thread works as well (WAL, busy timeout).
 *
 * Lookups that may find nothing (hk_store_*_find, _get) return 0 and set
 * *outp to NULL when there is no such record.
 */

struct hk_store;

/* hk_store_open flags */
#define HK_STORE_CREATE		0x01	/* create the file (and its directory) if missing */
#define HK_STORE_READONLY	0x02	/* never write: listings, export, audit */

/*
 * Open the inventory at path: a file name (SQLite) or, later,
 * "postgresql://..." for a shared one. NULL path: hk_store_default_path().
 * Migrates an older schema forward (in one transaction) unless READONLY;
 * a newer schema than this hwkey knows is HK_ERR_INVENTORY_VERSION.
 * HK_ERR_INVENTORY_NOT_FOUND when the file is missing without CREATE.
 */
int hk_store_open(const char *path, unsigned int flags, struct hk_store **stp);
void hk_store_close(struct hk_store *st);	/* accepts NULL */
/* $XDG_DATA_HOME/hwkey/inventory.db, else $HOME/.local/share/hwkey/inventory.db. */
int hk_store_default_path(char **pathp);
/* The path (or URL) the handle was opened with; the backend's name ("sqlite"). */
const char *hk_store_path(const struct hk_store *st);
const char *hk_store_backend(const struct hk_store *st);
/* Schema version of the open inventory, and the one this hwkey writes. */
int hk_store_schema_version(struct hk_store *st, int *versionp);
int hk_store_schema_current(void);
/* Full consistency check (SQLite: PRAGMA integrity_check); HK_ERR_INVENTORY_CORRUPT. */
int hk_store_check(struct hk_store *st);

/* ---- tokens ---- */

/*
 * A token is identified by (backend, serial): the serial as the backend
 * reports it (PKCS#11 CK_TOKEN_INFO.serialNumber; a FIDO2 device without a
 * serial: whatever stable identity the caller derives, e.g. "aaguid:<hex>").
 */
struct hk_store_token {
	int64_t id;			/* set by the store */
	const char *backend;		/* "pkcs11", "fido2" (required) */
	const char *serial;		/* (required) */
	const char *manufacturer;
	const char *model;
	const char *firmware;
	const char *label;
	const char *uri;
	const char *aaguid;		/* FIDO2: 32 lowercase hex digits */
	const char *person;		/* whom the token is issued to */
	int64_t first_seen, last_seen;	/* set by the store */
};
/*
 * Insert, or update the non-NULL fields of the token with the same
 * (backend, serial); *idp (may be NULL) gets its id.
 */
int hk_store_token_upsert(struct hk_store *st, const struct hk_store_token *tok,
    int64_t *idp);
int hk_store_token_get(struct hk_store *st, int64_t id, struct hk_store_token **tokp);
int hk_store_token_find(struct hk_store *st, const char *backend, const char *serial,
    struct hk_store_token **tokp);
int hk_store_tokens_list(struct hk_store *st, struct hk_store_token ***toksp, size_t *np);
void hk_store_token_free(struct hk_store_token *tok);
void hk_store_tokens_free(struct hk_store_token **toks, size_t n);

/* ---- keys ---- */

/* The fingerprints kept per key, indexed by enum hk_fp (key.h). */
#define HK_STORE_NFP	5	/* HK_FP_SHA256 .. HK_FP_AWS */

/*
 * A key on a token, identified by (token, ref). ref is the PKCS#11 CKA_ID or
 * the FIDO2 credential id, as lowercase hex.
 */
struct hk_store_key {
	int64_t id;			/* set by the store */
	int64_t token_id;		/* (required) */
	const char *ref;		/* (required) */
	const char *label;
	const char *kind;		/* hk_key_kind_of(): "ecdsa-p256" (set by the store) */
	struct hk_key *key;		/* the public key (required) */
	/* Set by the store from key with hk_key_fingerprint(); NULL where a
	 * formula does not apply (AWS for ECDSA). */
	const char *fp[HK_STORE_NFP];
	/* The on-token proof: "pkcs11-flags", "fido2-attestation",
	 * "piv-attestation" or "none"; whether the backend verified it; its
	 * detail ("local,never-extractable,always-sensitive,sensitive" or the
	 * reason it failed). */
	const char *proof_kind;
	int proof_verified;
	const char *proof_detail;
	/* Attestation as the token gave it (FIDO2 attestation object, PIV
	 * certificate chain as concatenated DER), and its format ("packed"). */
	const uint8_t *attestation;
	size_t attestation_len;
	const char *attestation_format;
	const char *person;		/* whom the key belongs to (default: the token's) */
	int64_t created;		/* set by the store */
};
/*
 * Insert the key, or update the key with the same (token_id, ref) when its
 * public key is the same; the same ref with another public key is
 * HK_ERR_INVENTORY_CONFLICT (a token never reuses an id for a new key
 * without the old one being deleted: call hk_store_key_delete first).
 */
int hk_store_key_put(struct hk_store *st, const struct hk_store_key *key, int64_t *idp);
int hk_store_key_get(struct hk_store *st, int64_t id, struct hk_store_key **keyp);
int hk_store_key_find(struct hk_store *st, int64_t token_id, const char *ref,
    struct hk_store_key **keyp);
/* By any fingerprint form (compared with hk_fp_equal's rules): the audits. */
int hk_store_key_find_fp(struct hk_store *st, enum hk_fp fp, const char *value,
    struct hk_store_key **keyp);
/* Every key (token_id 0) or the keys of one token, oldest first. */
int hk_store_keys_list(struct hk_store *st, int64_t token_id,
    struct hk_store_key ***keysp, size_t *np);
/* Forget a key (its imports go with it; journal rows stay). */
int hk_store_key_delete(struct hk_store *st, int64_t id);
void hk_store_key_free(struct hk_store_key *key);
void hk_store_keys_free(struct hk_store_key **keys, size_t n);

/* ---- cloud imports ---- */

enum hk_store_import_status {
	HK_STORE_IMPORT_PENDING = 0,	/* journaled, not yet sent (or outcome unknown) */
	HK_STORE_IMPORT_VERIFIED,	/* imported, the cloud's fingerprint matches */
	HK_STORE_IMPORT_FAILED,		/* refused or failed; error says why */
	HK_STORE_IMPORT_MISMATCH,	/* the cloud's fingerprint differs */
	HK_STORE_IMPORT_DELETED,	/* deleted from the cloud */
};
const char *hk_store_import_status_name(enum hk_store_import_status s);	/* "verified" */
int hk_store_import_status_from_name(const char *name, enum hk_store_import_status *sp);

/*
 * A key pair in a cloud, identified by (provider, account, region, name);
 * account is "" when unknown (never NULL in the identity).
 */
struct hk_store_import {
	int64_t id;			/* set by the store */
	int64_t key_id;			/* (required) */
	const char *provider;		/* "aliyun", "huawei", "aws" (required) */
	const char *account;		/* access key id or project; "" */
	const char *region;		/* (required) */
	const char *name;		/* key pair name (required) */
	const char *cloud_fp;		/* fingerprint the cloud returned */
	enum hk_store_import_status status;
	const char *error;		/* last failure, text (never a secret) */
	int64_t created, updated;	/* set by the store */
};
/*
 * Insert, or replace the row with the same identity (a --replace moves a
 * name to another key); *idp (may be NULL) gets its id.
 */
int hk_store_import_put(struct hk_store *st, const struct hk_store_import *imp,
    int64_t *idp);
/* New status, cloud fingerprint and error (NULL: leave cloud_fp as it is). */
int hk_store_import_update(struct hk_store *st, int64_t id,
    enum hk_store_import_status status, const char *cloud_fp, const char *error);
int hk_store_import_find(struct hk_store *st, const char *provider, const char *account,
    const char *region, const char *name, struct hk_store_import **impp);
/* Every import (key_id 0) or those of one key. */
int hk_store_imports_list(struct hk_store *st, int64_t key_id,
    struct hk_store_import ***impsp, size_t *np);
void hk_store_import_free(struct hk_store_import *imp);
void hk_store_imports_free(struct hk_store_import **imps, size_t n);

/* ---- provisioning runs, plan entries, the journal ---- */

/*
 * A run is one "hwkey provision" invocation. A plan entry is what the engine
 * resumes by: (plan, entry) with plan the plan's identity (its name, or ""
 * for a single-token provision) and entry the plan file's entry key (e.g.
 * "alice" or "alice/pkcs11:serial=..."). An entry remembers its token and
 * key once known, so a resumed run never generates a second key.
 */
int hk_store_run_begin(struct hk_store *st, const char *plan, const char *station,
    int64_t *run_idp);
/* outcome: "ok", "partial", "failed", "interrupted". */
int hk_store_run_end(struct hk_store *st, int64_t run_id, const char *outcome);

struct hk_store_entry {
	int64_t id;
	const char *plan;
	const char *entry;
	int64_t token_id;		/* 0 until known */
	int64_t key_id;			/* 0 until known */
	const char *state;		/* the engine's word: "done", "failed", ... (or NULL) */
	int64_t created, updated;
};
/* The entry (plan, entry), created when missing; *entryp gets it. */
int hk_store_entry_get(struct hk_store *st, const char *plan, const char *entry,
    struct hk_store_entry **entryp);
/* Set what is non-zero / non-NULL. */
int hk_store_entry_update(struct hk_store *st, int64_t entry_id, int64_t token_id,
    int64_t key_id, const char *state);
int hk_store_entries_list(struct hk_store *st, const char *plan,
    struct hk_store_entry ***entriesp, size_t *np);
void hk_store_entry_free(struct hk_store_entry *e);
void hk_store_entries_free(struct hk_store_entry **es, size_t n);

enum hk_store_phase {
	HK_STORE_BEGIN = 0,	/* about to do the step */
	HK_STORE_END,		/* the step finished (outcome says how) */
};
/*
 * One journal row: entry_id (required), run_id (0: none), step (the engine's
 * name: "keygen", "export", "import aliyun cn-hangzhou alice"), phase,
 * outcome ("ok", "failed", "skipped", "cancelled"; NULL at BEGIN), code
 * (HK_ERR_*, 0) and detail (what happened, never a secret). Committed
 * before the call returns.
 */
struct hk_store_journal {
	int64_t id;
	int64_t entry_id;
	int64_t run_id;
	const char *step;
	enum hk_store_phase phase;
	const char *outcome;
	int code;
	const char *detail;
	int64_t time;			/* set by the store */
};
int hk_store_journal(struct hk_store *st, int64_t entry_id, int64_t run_id,
    const char *step, enum hk_store_phase phase, const char *outcome, int code,
    const char *detail);
/* The last row of an entry (any step, or only step when non-NULL). */
int hk_store_journal_last(struct hk_store *st, int64_t entry_id, const char *step,
    struct hk_store_journal **jp);
/* Every row of an entry (entry_id 0: all), in order. */
int hk_store_journal_list(struct hk_store *st, int64_t entry_id,
    struct hk_store_journal ***jsp, size_t *np);
void hk_store_journal_free(struct hk_store_journal *j);
void hk_store_journals_free(struct hk_store_journal **js, size_t n);

/* ---- batches (group commit) ---- */

/*
 * Several writes as one transaction, made durable together (one fsync) by
 * hk_store_batch_end: the provisioning engine's writer commits the journal
 * rows of many workers at once. Between begin and end the calling thread
 * holds the handle (other threads' calls wait); a call in between that fails
 * is undone alone and returns its error; end with r != 0 undoes the whole
 * batch. hk_store_batch_end returns r, or the commit's failure.
 */
int hk_store_batch_begin(struct hk_store *st);
int hk_store_batch_end(struct hk_store *st, int r);

#endif /* HK_STORE_H */
