/* Unit tests for inventory migrations: an inventory of every earlier schema
 * version (tests/store/schema_vN.sql, as that version wrote it) opened by
 * this hwkey: migrated to the current version with its data intact, the
 * fingerprints later versions keep filled in, the schema the same as a new
 * inventory's; and a migration that fails leaves the old version whole. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "err.h"
#include "hk_tmpdir.h"
#include "key.h"
#include "store.h"

static char *
read_fixture(int version)
{
	const char *src = getenv("HK_SRCDIR");
	char p[PATH_MAX], *data;
	long len;
	FILE *fp;

	assert_non_null(src);
	snprintf(p, sizeof(p), "%s/tests/store/schema_v%d.sql", src, version);
	/* Every earlier version has its fixture: a new version needs one for the last. */
	if ((fp = fopen(p, "r")) == NULL)
		fail_msg("no fixture %s for schema version %d", p, version);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	assert_non_null(data = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return data;
}

/* Build the old inventory with SQLite itself, as the old hwkey left it. */
static void
make_old(const char *path, int version, const char *extra_sql)
{
	char *sql = read_fixture(version), *err = NULL;
	sqlite3 *db;

	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("fixture v%d: %s", version, err);
	if (extra_sql != NULL && sqlite3_exec(db, extra_sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("fixture v%d extra: %s", version, err);
	sqlite3_close(db);
	free(sql);
}

/* The schema as text (tables, indexes and their SQL), to compare two files. */
static char *
schema_text(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name, coalesce(sql, '') FROM "
	    "sqlite_schema ORDER BY type, name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(fp, "%s %s %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		    sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(fp);
	return out;
}

static int
user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
check_migrated(const char *path, int from)
{
	struct hk_store *st = NULL;
	struct hk_store_token **toks = NULL;
	struct hk_store_key **keys = NULL, *k = NULL;
	struct hk_store_import *imp = NULL;
	char fp[HK_FP_MAX];
	size_t n = 0, nk = 0;
	int v = 0;

	assert_int_equal(hk_store_open(path, 0, &st), 0);
	assert_int_equal(hk_store_schema_version(st, &v), 0);
	assert_int_equal(v, hk_store_schema_current());
	assert_int_equal(hk_store_check(st), 0);
	/* Tokens as they were; the person column is new and empty. */
	assert_int_equal(hk_store_tokens_list(st, &toks, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(toks[0]->serial, "5e2d0c1a9f3b4e77");
	assert_string_equal(toks[0]->model, "SoftHSM v2");
	assert_int_equal(toks[0]->first_seen, 1700000000);
	assert_null(toks[0]->person);
	assert_string_equal(toks[1]->aaguid, "ee882879721c491397753dfcce97072a");
	hk_store_tokens_free(toks, n);
	/* Keys with every fingerprint now, each as the core computes it. */
	assert_int_equal(hk_store_keys_list(st, 0, &keys, &nk), 0);
	assert_int_equal(nk, 2);
	for (size_t i = 0; i < nk; i++) {
		assert_string_equal(keys[i]->proof_kind, "pkcs11-flags");
		assert_int_equal(keys[i]->proof_verified, 1);
		for (int f = 0; f < HK_STORE_NFP; f++) {
			int r = hk_key_fingerprint_buf(keys[i]->key, (enum hk_fp)f, fp, sizeof(fp));

			hk_err_clear();
			if (r == HK_ERR_NOT_SUPPORTED) {
				assert_null(keys[i]->fp[f]);
				continue;
			}
			assert_int_equal(r, 0);
			assert_non_null(keys[i]->fp[f]);
			assert_string_equal(keys[i]->fp[f], fp);
		}
	}
	assert_string_equal(keys[0]->kind, "ed25519");
	assert_non_null(keys[0]->fp[HK_FP_AWS]);	/* filled by the v3 migration */
	/* And found by them. */
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_AWS, keys[0]->fp[HK_FP_AWS], &k), 0);
	assert_non_null(k);
	assert_int_equal(k->id, keys[0]->id);
	hk_store_key_free(k);
	hk_store_keys_free(keys, nk);
	/* Imports intact. */
	assert_int_equal(hk_store_import_find(st, "aliyun", "", "cn-hangzhou", "alice", &imp), 0);
	assert_non_null(imp);
	assert_int_equal(imp->status, HK_STORE_IMPORT_VERIFIED);
	assert_int_equal(imp->key_id, 1);
	hk_store_import_free(imp);
	assert_int_equal(hk_store_import_find(st, "huawei", "proj-1", "cn-north-4", "alice-ec",
	    &imp), 0);
	assert_non_null(imp);
	assert_int_equal(imp->status, HK_STORE_IMPORT_FAILED);
	assert_string_equal(imp->error, "KPS.0001: throttled");
	hk_store_import_free(imp);
	/* The journal a v2 inventory held; a v1 inventory gets empty tables for it. */
	{
		struct hk_store_journal **js = NULL, *j = NULL;
		struct hk_store_entry *e = NULL;

		assert_int_equal(hk_store_journal_list(st, 0, &js, &n), 0);
		assert_int_equal(n, from >= 2 ? 3 : 0);
		hk_store_journals_free(js, n);
		assert_int_equal(hk_store_entry_get(st, "fleet.plan", "alice", &e), 0);
		assert_int_equal(e->key_id, from >= 2 ? 1 : 0);
		if (from >= 2) {
			assert_int_equal(hk_store_journal_last(st, e->id, "keygen", &j), 0);
			assert_string_equal(j->outcome, "ok");
			hk_store_journal_free(j);
		}
		hk_store_entry_free(e);
	}
	/* What the new version adds is writable. */
	{
		struct hk_store_token t = { .backend = "pkcs11", .serial = "5e2d0c1a9f3b4e77",
		    .person = "alice@example.com" };
		struct hk_store_token *got = NULL;

		assert_int_equal(hk_store_token_upsert(st, &t, NULL), 0);
		assert_int_equal(hk_store_token_get(st, 1, &got), 0);
		assert_string_equal(got->person, "alice@example.com");
		assert_string_equal(got->label, "alice");
		hk_store_token_free(got);
	}
	hk_store_close(st);
	/* Opening again changes nothing. */
	assert_int_equal(hk_store_open(path, HK_STORE_READONLY, &st), 0);
	hk_store_close(st);
}

static void
test_every_earlier_version(void **state)
{
	char p[PATH_MAX], fresh[PATH_MAX];
	struct hk_store *st = NULL;
	char *want, *got;

	(void)state;
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", hk_test_tmpdir);
	assert_int_equal(hk_store_open(fresh, HK_STORE_CREATE, &st), 0);
	hk_store_close(st);
	want = schema_text(fresh);
	assert_true(hk_store_schema_current() >= 2);
	for (int v = 1; v < hk_store_schema_current(); v++) {
		snprintf(p, sizeof(p), "%s/v%d.db", hk_test_tmpdir, v);
		make_old(p, v, NULL);
		assert_int_equal(user_version(p), v);
		check_migrated(p, v);
		assert_int_equal(user_version(p), hk_store_schema_current());
		/* Migrated, the schema is exactly a new inventory's. */
		got = schema_text(p);
		assert_string_equal(got, want);
		free(got);
	}
	free(want);
}

/* Version 0: an empty file (touch) becomes an inventory. */
static void
test_empty_file(void **state)
{
	char p[PATH_MAX];
	struct hk_store *st = NULL;
	FILE *fp;
	int v = 0;

	(void)state;
	snprintf(p, sizeof(p), "%s/empty.db", hk_test_tmpdir);
	assert_non_null(fp = fopen(p, "w"));
	fclose(fp);
	assert_int_equal(hk_store_open(p, 0, &st), 0);
	assert_int_equal(hk_store_schema_version(st, &v), 0);
	assert_int_equal(v, hk_store_schema_current());
	hk_store_close(st);
}

/* A migration that fails half-way leaves the old version whole, and says why. */
static void
test_failed_migration_rolls_back(void **state)
{
	char p[PATH_MAX];
	struct hk_store *st = NULL;
	char *before, *after;
	int v = hk_store_schema_current() - 1;

	(void)state;
	snprintf(p, sizeof(p), "%s/broken.db", hk_test_tmpdir);
	/* A key whose blob does not parse: the fingerprint step cannot run. */
	make_old(p, v, "INSERT INTO keys (id, token_id, ref, kind, blob, pubkey, created) "
	    "VALUES (9, 1, '09', 'rsa2048', X'00000007', 'ssh-rsa AAAA', 1);");
	before = schema_text(p);
	hk_err_clear();
	assert_int_equal(hk_store_open(p, 0, &st), HK_ERR_INVENTORY_CORRUPT);
	assert_null(st);
	assert_non_null(strstr(hk_err_detail(), "key 9"));
	assert_int_equal(user_version(p), v);
	after = schema_text(p);
	assert_string_equal(after, before);
	free(before);
	free(after);
	/* Read-only opens never migrate: a clear error, the file untouched. */
	snprintf(p, sizeof(p), "%s/old-ro.db", hk_test_tmpdir);
	make_old(p, 1, NULL);
	hk_err_clear();
	assert_int_equal(hk_store_open(p, HK_STORE_READONLY, &st), HK_ERR_INVENTORY_VERSION);
	assert_non_null(strstr(hk_err_detail(), "needs migrating"));
	assert_int_equal(user_version(p), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_earlier_version),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_failed_migration_rolls_back),
	};

	return cmocka_run_group_tests(tests, hk_test_tmpdir_setup,
	    hk_test_tmpdir_teardown);
}
