/* The inventory's SQLite schema and its history: one migration per version,
 * applied forward in a single transaction when an older inventory is
 * opened. tests/store/schema_vN.sql holds an inventory of each earlier
 * version; tests/unit/test_store_migrate.c opens each one. Never edit a
 * migration that has shipped: add the next one. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "store_sqlite.h"

/* PRAGMA application_id: "hwky". */
#define HK_SQ_APPLICATION_ID	0x68776b79

struct migration {
	const char *sql;
	/* C work after the SQL (data the SQL cannot compute), or NULL. */
	int (*fn)(struct hk_sq *s);
};

/* v3: every key gets the cloud fingerprints (aliyun, huawei, aws) v1 and v2 lacked. */
static int
fill_fingerprints(struct hk_sq *s)
{
	sqlite3_stmt *st = NULL;
	struct hk_key *key = NULL;
	int r, rc;

	if ((r = hk_sq_prepare(s, "SELECT id, blob FROM keys ORDER BY id", &st)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const void *blob = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);

		if ((r = hk_key_from_blob(blob, (size_t)len, &key)) != 0) {
			r = hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory %s: key %lld: its "
			    "public key does not parse (%s)", s->path, (long long)id,
			    hk_strerror(r));
			goto out;
		}
		if ((r = hk_sq_key_fingerprints(s, id, key)) != 0)
			goto out;
		hk_key_free(key);
		key = NULL;
	}
	if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "migrating fingerprints");
 out:
	hk_key_free(key);
	hk_sq_finalize(s, st);
	return r;
}

static const struct migration migrations[] = {
	/* 0 -> 1: tokens, their keys with sha256 and md5 fingerprints, imports. */
	{ "CREATE TABLE tokens ("
	  " id INTEGER PRIMARY KEY,"
	  " backend TEXT NOT NULL,"
	  " serial TEXT NOT NULL,"
	  " manufacturer TEXT, model TEXT, firmware TEXT, label TEXT, uri TEXT, aaguid TEXT,"
	  " first_seen INTEGER NOT NULL,"
	  " last_seen INTEGER NOT NULL,"
	  " UNIQUE (backend, serial));"
	  "CREATE TABLE keys ("
	  " id INTEGER PRIMARY KEY,"
	  " token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE RESTRICT,"
	  " ref TEXT NOT NULL,"
	  " label TEXT,"
	  " kind TEXT NOT NULL,"
	  " blob BLOB NOT NULL,"
	  " pubkey TEXT NOT NULL,"
	  " proof_kind TEXT NOT NULL DEFAULT 'none',"
	  " proof_verified INTEGER NOT NULL DEFAULT 0,"
	  " proof_detail TEXT,"
	  " attestation BLOB,"
	  " attestation_format TEXT,"
	  " created INTEGER NOT NULL,"
	  " UNIQUE (token_id, ref));"
	  "CREATE TABLE key_fingerprints ("
	  " key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
	  " kind TEXT NOT NULL,"
	  " value TEXT NOT NULL,"
	  " norm TEXT NOT NULL,"
	  " PRIMARY KEY (key_id, kind));"
	  "CREATE INDEX key_fingerprints_norm ON key_fingerprints (kind, norm);"
	  "CREATE TABLE imports ("
	  " id INTEGER PRIMARY KEY,"
	  " key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
	  " provider TEXT NOT NULL,"
	  " account TEXT NOT NULL DEFAULT '',"
	  " region TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " cloud_fp TEXT,"
	  " status TEXT NOT NULL,"
	  " error TEXT,"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL,"
	  " UNIQUE (provider, account, region, name));"
	  "CREATE INDEX imports_key ON imports (key_id);", NULL },
	/* 1 -> 2: provisioning runs, plan entries and the journal of their steps. */
	{ "CREATE TABLE runs ("
	  " id INTEGER PRIMARY KEY,"
	  " plan TEXT NOT NULL,"
	  " station TEXT,"
	  " started INTEGER NOT NULL,"
	  " ended INTEGER,"
	  " outcome TEXT);"
	  "CREATE TABLE entries ("
	  " id INTEGER PRIMARY KEY,"
	  " plan TEXT NOT NULL,"
	  " entry TEXT NOT NULL,"
	  " token_id INTEGER REFERENCES tokens(id) ON DELETE SET NULL,"
	  " key_id INTEGER REFERENCES keys(id) ON DELETE SET NULL,"
	  " state TEXT,"
	  " created INTEGER NOT NULL,"
	  " updated INTEGER NOT NULL,"
	  " UNIQUE (plan, entry));"
	  "CREATE TABLE journal ("
	  " id INTEGER PRIMARY KEY,"
	  " entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	  " run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
	  " step TEXT NOT NULL,"
	  " phase TEXT NOT NULL CHECK (phase IN ('begin', 'end')),"
	  " outcome TEXT,"
	  " code INTEGER NOT NULL DEFAULT 0,"
	  " detail TEXT,"
	  " time INTEGER NOT NULL);"
	  "CREATE INDEX journal_entry ON journal (entry_id, id);", NULL },
	/* 2 -> 3: whom tokens and keys belong to; the cloud fingerprints of every key. */
	{ "ALTER TABLE tokens ADD COLUMN person TEXT;"
	  "ALTER TABLE keys ADD COLUMN person TEXT;", fill_fingerprints },
};
#define NMIGRATIONS	(sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == HK_STORE_SCHEMA, "a migration per schema version");

int
hk_sq_schema_check(struct hk_sq *s, int64_t *versionp)
{
	int64_t version, appid, ntables;
	int r;

	*versionp = 0;
	if ((r = hk_sq_int(s, "PRAGMA user_version", &version)) != 0 ||
	    (r = hk_sq_int(s, "PRAGMA application_id", &appid)) != 0 ||
	    (r = hk_sq_int(s, "SELECT count(*) FROM sqlite_schema", &ntables)) != 0)
		return r;
	if ((version != 0 || ntables != 0) && appid != HK_SQ_APPLICATION_ID)
		return hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory %s: an SQLite database, "
		    "but not an hwkey inventory (application_id %lld)", s->path,
		    (long long)appid);
	if (version > (int64_t)NMIGRATIONS)
		return hk_errf(HK_ERR_INVENTORY_VERSION, "inventory %s: schema version %lld; "
		    "this hwkey knows up to %zu: use a newer hwkey", s->path,
		    (long long)version, NMIGRATIONS);
	if (version < (int64_t)NMIGRATIONS && (s->flags & HK_STORE_READONLY))
		return hk_errf(HK_ERR_INVENTORY_VERSION, "inventory %s: schema version %lld "
		    "needs migrating to %zu, which a read-only open cannot do", s->path,
		    (long long)version, NMIGRATIONS);
	*versionp = version;
	return 0;
}

int
hk_sq_schema_open(struct hk_sq *s)
{
	int64_t version;
	char sql[96];
	int r;

	if ((r = hk_sq_schema_check(s, &version)) != 0)
		return r;
	if (version == (int64_t)NMIGRATIONS)
		return 0;
	/* All versions or none: a failed migration leaves the old schema whole. */
	if ((r = hk_sq_begin(s)) != 0)
		return r;
	/* Another process may have migrated while we waited for the lock. */
	if ((r = hk_sq_int(s, "PRAGMA user_version", &version)) != 0)
		return hk_sq_end(s, r);
	for (size_t v = (size_t)version; v < NMIGRATIONS && r == 0; v++) {
		snprintf(sql, sizeof(sql), "migrating to schema version %zu", v + 1);
		if ((r = hk_sq_exec(s, migrations[v].sql, sql)) == 0 && migrations[v].fn != NULL)
			r = migrations[v].fn(s);
	}
	if (r == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%zu;",
		    HK_SQ_APPLICATION_ID, NMIGRATIONS);
		r = hk_sq_exec(s, sql, "recording the schema version");
	}
	return hk_sq_end(s, r);
}
