/* Internal to the SQLite inventory backend (store_sqlite*.c): the handle,
 * SQLite helpers, the schema and migrations, and the row operations. */
#ifndef HK_STORE_SQLITE_H
#define HK_STORE_SQLITE_H

#include <sqlite3.h>

#include "store_impl.h"

/*
 * Prepared statements, kept for the handle's life: parsing and planning a
 * statement cost about as much as running one of these small ones. Keyed by
 * the SQL's address (every statement here is a literal), checked by text.
 */
#define HK_SQ_CACHE	48
struct hk_sq_cached {
	const char *sql;
	sqlite3_stmt *st;
	int busy;			/* handed out, not yet given back */
};

struct hk_sq {
	sqlite3 *db;
	char *path;
	unsigned int flags;		/* HK_STORE_* */
	int batch;			/* inside hk_store_batch_*: calls nest as savepoints */
	struct hk_sq_cached cache[HK_SQ_CACHE];
	size_t ncache;
};

/* SQLite's rc (and errno behind it) as HK_ERR_INVENTORY_*, detail "inventory PATH: what: ...". */
int hk_sq_err(struct hk_sq *s, int rc, const char *what);
/*
 * A statement for sql (a string literal: cached by its address), reset and
 * unbound; give it back with hk_sq_finalize (reset, or finalized when it
 * was not cached). hk_sq_uncache finalizes them all before the db closes.
 */
int hk_sq_prepare(struct hk_sq *s, const char *sql, sqlite3_stmt **stp);
void hk_sq_finalize(struct hk_sq *s, sqlite3_stmt *st);
void hk_sq_uncache(struct hk_sq *s);
/* One statement of sql (cached), run to its end: BEGIN, COMMIT, SAVEPOINT. */
int hk_sq_run(struct hk_sq *s, const char *sql, const char *what);
int hk_sq_exec(struct hk_sq *s, const char *sql, const char *what);
int hk_sq_int(struct hk_sq *s, const char *sql, int64_t *vp);
/* BEGIN IMMEDIATE; and COMMIT when r is 0, else ROLLBACK; returns the first failure. */
int hk_sq_begin(struct hk_sq *s);
int hk_sq_end(struct hk_sq *s, int r);
/* Step once; SQLITE_ROW and SQLITE_DONE are 0. */
int hk_sq_step_done(struct hk_sq *s, sqlite3_stmt *st, const char *what);
/* NULL binds NULL; ids <= 0 bind NULL. */
int hk_sq_bind_text(sqlite3_stmt *st, int i, const char *v);
int hk_sq_bind_id(sqlite3_stmt *st, int i, int64_t v);
char *hk_sq_col_text(sqlite3_stmt *st, int i, int *okp);

/*
 * The file is an hwkey inventory (or empty), of a version this hwkey can
 * read (and, without HK_STORE_READONLY, migrate); *versionp gets it.
 */
int hk_sq_schema_check(struct hk_sq *s, int64_t *versionp);
/* hk_sq_schema_check, then bring the schema to the current version. */
int hk_sq_schema_open(struct hk_sq *s);
/* Compute and store every fingerprint of key_id missing from key_fingerprints. */
int hk_sq_key_fingerprints(struct hk_sq *s, int64_t key_id, const struct hk_key *key);

int hk_sq_token_upsert(void *be, const struct hk_store_token *tok, int64_t *idp);
int hk_sq_token_get(void *be, int64_t id, const char *backend, const char *serial,
    struct hk_store_token **tokp);
int hk_sq_tokens_list(void *be, struct hk_store_token ***toksp, size_t *np);
int hk_sq_key_put(void *be, const struct hk_store_key *key, int64_t *idp);
int hk_sq_key_get(void *be, int64_t id, int64_t token_id, const char *ref,
    struct hk_store_key **keyp);
int hk_sq_key_find_fp(void *be, enum hk_fp fp, const char *norm,
    struct hk_store_key ***keysp, size_t *np);
int hk_sq_keys_list(void *be, int64_t token_id, struct hk_store_key ***keysp, size_t *np);
int hk_sq_key_delete(void *be, int64_t id);
int hk_sq_import_put(void *be, const struct hk_store_import *imp, int64_t *idp);
int hk_sq_import_update(void *be, int64_t id, enum hk_store_import_status status,
    const char *cloud_fp, const char *error);
int hk_sq_import_find(void *be, const char *provider, const char *account,
    const char *region, const char *name, struct hk_store_import **impp);
int hk_sq_imports_list(void *be, int64_t key_id, struct hk_store_import ***impsp,
    size_t *np);
int hk_sq_run_begin(void *be, const char *plan, const char *station, int64_t *idp);
int hk_sq_run_end(void *be, int64_t run_id, const char *outcome);
int hk_sq_entry_get(void *be, const char *plan, const char *entry,
    struct hk_store_entry **entryp);
int hk_sq_entry_update(void *be, int64_t entry_id, int64_t token_id, int64_t key_id,
    const char *state);
int hk_sq_entries_list(void *be, const char *plan, struct hk_store_entry ***esp,
    size_t *np);
int hk_sq_journal(void *be, const struct hk_store_journal *j);
int hk_sq_journal_last(void *be, int64_t entry_id, const char *step,
    struct hk_store_journal **jp);
int hk_sq_journal_list(void *be, int64_t entry_id, struct hk_store_journal ***jsp,
    size_t *np);

#endif /* HK_STORE_SQLITE_H */
