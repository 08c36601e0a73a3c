/* SQLite inventory rows: cloud imports, provisioning runs, plan entries and
 * the journal of their steps. Each call is one statement or one short
 * transaction, committed before it returns. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_sqlite.h"

/* Collect rows into an array with row(); shared by every listing here. */
typedef int row_fn(sqlite3_stmt *st, void **recp);
typedef void free_fn(void *rec);

static int
collect(struct hk_sq *s, sqlite3_stmt *st, row_fn *row, free_fn *fr, const char *what,
    void ***vp, size_t *np)
{
	void *rec, **v = NULL;
	size_t n = 0;
	int r = 0, rc;

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row(st, &rec)) == 0 && (r = hk_store_ptrv_push(&v, &n, rec)) != 0)
			fr(rec);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, what);
	if (r != 0) {
		for (size_t i = 0; i < n; i++)
			fr(v[i]);
		free(v);
		return r;
	}
	*vp = v;
	*np = n;
	return 0;
}

/* The single row of a lookup, or none. */
static int
one(struct hk_sq *s, sqlite3_stmt *st, row_fn *row, const char *what, void **recp)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return row(st, recp);
	if (rc != SQLITE_DONE)
		return hk_sq_err(s, rc, what);
	return 0;
}

/* Run an INSERT ... RETURNING id. */
static int
insert_id(struct hk_sq *s, sqlite3_stmt *st, const char *what, int64_t *idp)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		if (idp != NULL)
			*idp = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		return hk_sq_err(s, rc, what);
	return 0;
}

/* ---- imports ---- */

#define IMPORT_COLS "id, key_id, provider, account, region, name, cloud_fp, status, " \
	"error, created, updated"

static void
import_free(void *p)
{
	hk_store_import_free(p);
}

static int
import_row(sqlite3_stmt *st, void **recp)
{
	struct hk_store_import *i;
	int ok = 1, r;

	if ((i = calloc(1, sizeof(*i))) == NULL)
		return HK_ERR_ALLOC;
	i->id = sqlite3_column_int64(st, 0);
	i->key_id = sqlite3_column_int64(st, 1);
	i->provider = hk_sq_col_text(st, 2, &ok);
	i->account = hk_sq_col_text(st, 3, &ok);
	i->region = hk_sq_col_text(st, 4, &ok);
	i->name = hk_sq_col_text(st, 5, &ok);
	i->cloud_fp = hk_sq_col_text(st, 6, &ok);
	r = hk_store_import_status_from_name((const char *)sqlite3_column_text(st, 7),
	    &i->status);
	i->error = hk_sq_col_text(st, 8, &ok);
	i->created = sqlite3_column_int64(st, 9);
	i->updated = sqlite3_column_int64(st, 10);
	if (r == 0 && !ok)
		r = HK_ERR_ALLOC;
	if (r != 0) {
		hk_store_import_free(i);
		return r;
	}
	*recp = i;
	return 0;
}

int
hk_sq_import_put(void *be, const struct hk_store_import *imp, int64_t *idp)
{
	static const char sql[] =
	    "INSERT INTO imports (key_id, provider, account, region, name, cloud_fp, status,"
	    " error, created, updated) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)"
	    " ON CONFLICT (provider, account, region, name) DO UPDATE SET"
	    " key_id = excluded.key_id, cloud_fp = excluded.cloud_fp,"
	    " status = excluded.status, error = excluded.error, updated = excluded.updated"
	    " RETURNING id";
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, imp->key_id);
	hk_sq_bind_text(st, 2, imp->provider);
	hk_sq_bind_text(st, 3, imp->account != NULL ? imp->account : "");
	hk_sq_bind_text(st, 4, imp->region);
	hk_sq_bind_text(st, 5, imp->name);
	hk_sq_bind_text(st, 6, imp->cloud_fp);
	hk_sq_bind_text(st, 7, hk_store_import_status_name(imp->status));
	hk_sq_bind_text(st, 8, imp->error);
	sqlite3_bind_int64(st, 9, hk_store_now());
	r = insert_id(s, st, "recording an import", idp);
	if (r == HK_ERR_INVENTORY_NO_RECORD)
		r = hk_errf(r, "inventory %s: import %s: no key %lld", s->path, imp->name,
		    (long long)imp->key_id);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_import_update(void *be, int64_t id, enum hk_store_import_status status,
    const char *cloud_fp, const char *error)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "UPDATE imports SET status = ?2, cloud_fp = coalesce(?3,"
	    " cloud_fp), error = ?4, updated = ?5 WHERE id = ?1", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	hk_sq_bind_text(st, 2, hk_store_import_status_name(status));
	hk_sq_bind_text(st, 3, cloud_fp);
	hk_sq_bind_text(st, 4, error);
	sqlite3_bind_int64(st, 5, hk_store_now());
	if ((r = hk_sq_step_done(s, st, "updating an import")) == 0 &&
	    sqlite3_changes(s->db) == 0)
		r = hk_errf(HK_ERR_INVENTORY_NO_RECORD, "inventory %s: no import %lld", s->path,
		    (long long)id);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_import_find(void *be, const char *provider, const char *account, const char *region,
    const char *name, struct hk_store_import **impp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "SELECT " IMPORT_COLS " FROM imports WHERE provider = ?1"
	    " AND account = ?2 AND region = ?3 AND name = ?4", &st)) != 0)
		return r;
	hk_sq_bind_text(st, 1, provider);
	hk_sq_bind_text(st, 2, account);
	hk_sq_bind_text(st, 3, region);
	hk_sq_bind_text(st, 4, name);
	r = one(s, st, import_row, "reading an import", (void **)impp);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_imports_list(void *be, int64_t key_id, struct hk_store_import ***impsp, size_t *np)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, key_id > 0 ?
	    "SELECT " IMPORT_COLS " FROM imports WHERE key_id = ?1 ORDER BY id" :
	    "SELECT " IMPORT_COLS " FROM imports ORDER BY id", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, key_id);
	r = collect(s, st, import_row, import_free, "listing imports", (void ***)impsp, np);
	hk_sq_finalize(s, st);
	return r;
}

/* ---- runs and plan entries ---- */

int
hk_sq_run_begin(void *be, const char *plan, const char *station, int64_t *idp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "INSERT INTO runs (plan, station, started) VALUES"
	    " (?1, ?2, ?3) RETURNING id", &st)) != 0)
		return r;
	hk_sq_bind_text(st, 1, plan);
	hk_sq_bind_text(st, 2, station);
	sqlite3_bind_int64(st, 3, hk_store_now());
	r = insert_id(s, st, "recording a run", idp);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_run_end(void *be, int64_t run_id, const char *outcome)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "UPDATE runs SET ended = ?2, outcome = ?3 WHERE id = ?1",
	    &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, hk_store_now());
	hk_sq_bind_text(st, 3, outcome);
	if ((r = hk_sq_step_done(s, st, "ending a run")) == 0 && sqlite3_changes(s->db) == 0)
		r = hk_errf(HK_ERR_INVENTORY_NO_RECORD, "inventory %s: no run %lld", s->path,
		    (long long)run_id);
	hk_sq_finalize(s, st);
	return r;
}

#define ENTRY_COLS "id, plan, entry, token_id, key_id, state, created, updated"

static void
entry_free(void *p)
{
	hk_store_entry_free(p);
}

static int
entry_row(sqlite3_stmt *st, void **recp)
{
	struct hk_store_entry *e;
	int ok = 1;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return HK_ERR_ALLOC;
	e->id = sqlite3_column_int64(st, 0);
	e->plan = hk_sq_col_text(st, 1, &ok);
	e->entry = hk_sq_col_text(st, 2, &ok);
	e->token_id = sqlite3_column_int64(st, 3);
	e->key_id = sqlite3_column_int64(st, 4);
	e->state = hk_sq_col_text(st, 5, &ok);
	e->created = sqlite3_column_int64(st, 6);
	e->updated = sqlite3_column_int64(st, 7);
	if (!ok) {
		hk_store_entry_free(e);
		return HK_ERR_ALLOC;
	}
	*recp = e;
	return 0;
}

int
hk_sq_entry_get(void *be, const char *plan, const char *entry, struct hk_store_entry **entryp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "INSERT INTO entries (plan, entry, created, updated)"
	    " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (plan, entry) DO UPDATE SET plan = plan"
	    " RETURNING " ENTRY_COLS, &st)) != 0)
		return r;
	hk_sq_bind_text(st, 1, plan);
	hk_sq_bind_text(st, 2, entry);
	sqlite3_bind_int64(st, 3, hk_store_now());
	r = one(s, st, entry_row, "recording a plan entry", (void **)entryp);
	/* RETURNING commits when the statement is run to its end. */
	if (r == 0 && (r = hk_sq_step_done(s, st, "recording a plan entry")) != 0) {
		hk_store_entry_free(*entryp);
		*entryp = NULL;
	}
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_entry_update(void *be, int64_t entry_id, int64_t token_id, int64_t key_id,
    const char *state)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "UPDATE entries SET token_id = coalesce(?2, token_id),"
	    " key_id = coalesce(?3, key_id), state = coalesce(?4, state), updated = ?5"
	    " WHERE id = ?1", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, entry_id);
	hk_sq_bind_id(st, 2, token_id);
	hk_sq_bind_id(st, 3, key_id);
	hk_sq_bind_text(st, 4, state);
	sqlite3_bind_int64(st, 5, hk_store_now());
	if ((r = hk_sq_step_done(s, st, "updating a plan entry")) == 0 &&
	    sqlite3_changes(s->db) == 0)
		r = hk_errf(HK_ERR_INVENTORY_NO_RECORD, "inventory %s: no plan entry %lld",
		    s->path, (long long)entry_id);
	else if (r == HK_ERR_INVENTORY_NO_RECORD)
		r = hk_errf(r, "inventory %s: plan entry %lld: no token %lld or key %lld",
		    s->path, (long long)entry_id, (long long)token_id, (long long)key_id);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_entries_list(void *be, const char *plan, struct hk_store_entry ***esp, size_t *np)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, plan != NULL ?
	    "SELECT " ENTRY_COLS " FROM entries WHERE plan = ?1 ORDER BY id" :
	    "SELECT " ENTRY_COLS " FROM entries ORDER BY id", &st)) != 0)
		return r;
	hk_sq_bind_text(st, 1, plan);
	r = collect(s, st, entry_row, entry_free, "listing plan entries", (void ***)esp, np);
	hk_sq_finalize(s, st);
	return r;
}

/* ---- the journal ---- */

#define JOURNAL_COLS "id, entry_id, run_id, step, phase, outcome, code, detail, time"

static void
journal_free(void *p)
{
	hk_store_journal_free(p);
}

static int
journal_row(sqlite3_stmt *st, void **recp)
{
	struct hk_store_journal *j;
	const unsigned char *phase;
	int ok = 1;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return HK_ERR_ALLOC;
	j->id = sqlite3_column_int64(st, 0);
	j->entry_id = sqlite3_column_int64(st, 1);
	j->run_id = sqlite3_column_int64(st, 2);
	j->step = hk_sq_col_text(st, 3, &ok);
	phase = sqlite3_column_text(st, 4);
	j->phase = phase != NULL && strcmp((const char *)phase, "end") == 0 ?
	    HK_STORE_END : HK_STORE_BEGIN;
	j->outcome = hk_sq_col_text(st, 5, &ok);
	j->code = sqlite3_column_int(st, 6);
	j->detail = hk_sq_col_text(st, 7, &ok);
	j->time = sqlite3_column_int64(st, 8);
	if (!ok) {
		hk_store_journal_free(j);
		return HK_ERR_ALLOC;
	}
	*recp = j;
	return 0;
}

int
hk_sq_journal(void *be, const struct hk_store_journal *j)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "INSERT INTO journal (entry_id, run_id, step, phase,"
	    " outcome, code, detail, time) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, j->entry_id);
	hk_sq_bind_id(st, 2, j->run_id);
	hk_sq_bind_text(st, 3, j->step);
	hk_sq_bind_text(st, 4, j->phase == HK_STORE_END ? "end" : "begin");
	hk_sq_bind_text(st, 5, j->outcome);
	sqlite3_bind_int(st, 6, j->code);
	hk_sq_bind_text(st, 7, j->detail);
	sqlite3_bind_int64(st, 8, hk_store_now());
	if ((r = hk_sq_step_done(s, st, "journaling a step")) == HK_ERR_INVENTORY_NO_RECORD)
		r = hk_errf(r, "inventory %s: journal: no plan entry %lld or run %lld", s->path,
		    (long long)j->entry_id, (long long)j->run_id);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_journal_last(void *be, int64_t entry_id, const char *step, struct hk_store_journal **jp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, step != NULL ?
	    "SELECT " JOURNAL_COLS " FROM journal WHERE entry_id = ?1 AND step = ?2"
	    " ORDER BY id DESC LIMIT 1" :
	    "SELECT " JOURNAL_COLS " FROM journal WHERE entry_id = ?1 ORDER BY id DESC LIMIT 1",
	    &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, entry_id);
	hk_sq_bind_text(st, 2, step);
	r = one(s, st, journal_row, "reading the journal", (void **)jp);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_journal_list(void *be, int64_t entry_id, struct hk_store_journal ***jsp, size_t *np)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, entry_id > 0 ?
	    "SELECT " JOURNAL_COLS " FROM journal WHERE entry_id = ?1 ORDER BY id" :
	    "SELECT " JOURNAL_COLS " FROM journal ORDER BY id", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, entry_id);
	r = collect(s, st, journal_row, journal_free, "reading the journal", (void ***)jsp, np);
	hk_sq_finalize(s, st);
	return r;
}
