/* Unit tests for the inventory (src/store) on real SQLite files in a temp
 * dir: records round-trip, identities and conflicts, every fingerprint
 * found by any form, journal and plan entries, threads sharing a handle,
 * kill -9 right after a journal call returned, files that are no inventory
 * or too new, a full disk (tmpfs in a private mount namespace) and a
 * read-only mount. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
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

static const char ed25519_line[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B moto@getmoto\n";
static const char ecdsa_line[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKr+SCxRB4Hed9Ti1MqjQC0VXOs794mPLizF5j1as0Ek0COO8RreTpxAZer9Zl0CTzHY20psgEb11+TZfRTitgI=\n";

static struct hk_key *
parse(const char *line)
{
	struct hk_key *k = NULL;

	assert_int_equal(hk_key_parse(line, strlen(line), &k), 0);
	return k;
}

static int64_t
put_token(struct hk_store *st, const char *serial, const char *person)
{
	struct hk_store_token t = { .backend = "pkcs11", .serial = serial,
	    .manufacturer = "SoftHSM project", .model = "SoftHSM v2", .firmware = "2.6",
	    .label = "alice", .person = person };
	int64_t id = 0;

	assert_int_equal(hk_store_token_upsert(st, &t, &id), 0);
	assert_true(id > 0);
	return id;
}

static int64_t
put_key(struct hk_store *st, int64_t token_id, const char *ref, const char *line)
{
	struct hk_key *k = parse(line);
	struct hk_store_key rec = { .token_id = token_id, .ref = ref, .label = "ssh",
	    .key = k, .proof_kind = "pkcs11-flags", .proof_verified = 1,
	    .proof_detail = "local,never-extractable,always-sensitive,sensitive" };
	int64_t id = 0;

	assert_int_equal(hk_store_key_put(st, &rec, &id), 0);
	hk_key_free(k);
	assert_true(id > 0);
	return id;
}

static struct hk_store *
open_new(const char *name)
{
	char p[PATH_MAX];
	struct hk_store *st = NULL;

	hk_test_tmpdir_path(p, sizeof(p), name);
	assert_int_equal(hk_store_open(p, HK_STORE_CREATE, &st), 0);
	return st;
}

static void
test_open_and_schema(void **state)
{
	char p[PATH_MAX];
	struct hk_store *st = NULL;
	int v = -1;

	(void)state;
	/* Missing without CREATE: a distinct error, nothing created. */
	hk_test_tmpdir_path(p, sizeof(p), "sub/dir/inventory.db");
	hk_err_clear();
	assert_int_equal(hk_store_open(p, 0, &st), HK_ERR_INVENTORY_NOT_FOUND);
	assert_non_null(strstr(hk_err_detail(), p));
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(hk_err_exit(HK_ERR_INVENTORY_NOT_FOUND), HK_EXIT_INVENTORY);
	/* CREATE makes the directories, private. */
	assert_int_equal(hk_store_open(p, HK_STORE_CREATE, &st), 0);
	assert_string_equal(hk_store_backend(st), "sqlite");
	assert_string_equal(hk_store_path(st), p);
	assert_int_equal(hk_store_schema_version(st, &v), 0);
	assert_int_equal(v, hk_store_schema_current());
	assert_int_equal(hk_store_check(st), 0);
	hk_store_close(st);
	{
		struct stat sb;
		char d[PATH_MAX];

		hk_test_tmpdir_path(d, sizeof(d), "sub/dir");
		assert_int_equal(stat(d, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0700);
		/* The file too, whatever the umask: it says who holds which key. */
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	/* WAL and the application id are on disk. */
	{
		sqlite3 *db;
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), 0);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s, NULL), 0);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 0x68776b79);
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	/* Reopening keeps the version; READONLY opens too. */
	assert_int_equal(hk_store_open(p, HK_STORE_READONLY, &st), 0);
	assert_int_equal(hk_store_schema_version(st, &v), 0);
	assert_int_equal(v, hk_store_schema_current());
	hk_store_close(st);
	hk_store_close(NULL);
}

static void
test_not_an_inventory(void **state)
{
	char p[PATH_MAX];
	struct hk_store *st = NULL;
	sqlite3 *db;
	FILE *fp;

	(void)state;
	/* Some text file. */
	hk_test_tmpdir_path(p, sizeof(p), "notes.txt");
	assert_non_null(fp = fopen(p, "w"));
	for (int i = 0; i < 100; i++)
		fputs("this is not a database at all\n", fp);
	fclose(fp);
	assert_int_equal(hk_store_open(p, 0, &st), HK_ERR_INVENTORY_CORRUPT);
	assert_null(st);
	/* Another program's SQLite database: refused, left as it was. */
	hk_test_tmpdir_path(p, sizeof(p), "other.db");
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA user_version=7;", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	hk_err_clear();
	assert_int_equal(hk_store_open(p, HK_STORE_CREATE, &st), HK_ERR_INVENTORY_CORRUPT);
	assert_non_null(strstr(hk_err_detail(), "not an hwkey inventory"));
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), 0);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		/* Refused before anything changed it: still in its own journal mode. */
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "delete");
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	/* A newer hwkey's inventory: VERSION, never touched. */
	st = open_new("newer.db");
	hk_store_close(st);
	hk_test_tmpdir_path(p, sizeof(p), "newer.db");
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99;", NULL, NULL, NULL), 0);
	sqlite3_close(db);
	hk_err_clear();
	assert_int_equal(hk_store_open(p, 0, &st), HK_ERR_INVENTORY_VERSION);
	assert_non_null(strstr(hk_err_detail(), "99"));
	/* A directory. */
	hk_test_tmpdir_path(p, sizeof(p), "adir");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(hk_store_open(p, HK_STORE_CREATE, &st), HK_ERR_INVENTORY_CORRUPT);
	/* An unknown URL scheme. */
	assert_int_equal(hk_store_open("postgresql://db/hwkey", 0, &st), HK_ERR_NOT_SUPPORTED);
}

static void
test_tokens(void **state)
{
	struct hk_store *st = open_new("tokens.db");
	struct hk_store_token **toks = NULL, *t = NULL;
	struct hk_store_token upd = { .backend = "pkcs11", .serial = "a1b2", .firmware = "2.7" };
	int64_t id, id2 = 0;
	size_t n = 0;

	(void)state;
	id = put_token(st, "a1b2", "alice");
	/* Same identity: same row; NULL fields keep what was known. */
	assert_int_equal(hk_store_token_upsert(st, &upd, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(hk_store_token_find(st, "pkcs11", "a1b2", &t), 0);
	assert_non_null(t);
	assert_int_equal(t->id, id);
	assert_string_equal(t->firmware, "2.7");
	assert_string_equal(t->model, "SoftHSM v2");
	assert_string_equal(t->person, "alice");
	assert_null(t->aaguid);
	assert_true(t->first_seen > 0 && t->last_seen >= t->first_seen);
	hk_store_token_free(t);
	/* Another backend with the same serial is another token. */
	upd.backend = "fido2";
	upd.aaguid = "ee882879721c491397753dfcce97072a";
	assert_int_equal(hk_store_token_upsert(st, &upd, &id2), 0);
	assert_true(id2 != id);
	assert_int_equal(hk_store_tokens_list(st, &toks, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(toks[1]->aaguid, "ee882879721c491397753dfcce97072a");
	hk_store_tokens_free(toks, n);
	/* Not there: 0 and NULL. */
	assert_int_equal(hk_store_token_get(st, 999, &t), 0);
	assert_null(t);
	/* Required fields. */
	upd.serial = NULL;
	assert_int_equal(hk_store_token_upsert(st, &upd, &id2), HK_ERR_INVALID_ARGUMENT);
	hk_store_close(st);
}

static void
test_keys_and_fingerprints(void **state)
{
	struct hk_store *st = open_new("keys.db");
	struct hk_store_key *k = NULL, **keys = NULL;
	struct hk_key *ed = parse(ed25519_line), *ec = parse(ecdsa_line);
	char fp[HK_FP_MAX], upper[HK_FP_MAX];
	int64_t tid, kid, kid2, other;
	size_t n = 0;

	(void)state;
	tid = put_token(st, "0001", "alice");
	kid = put_key(st, tid, "01", ed25519_line);
	/* Seen again: same id. */
	assert_int_equal(put_key(st, tid, "01", ed25519_line), kid);
	/* The same id with another public key is a conflict, and nothing changes. */
	{
		struct hk_store_key rec = { .token_id = tid, .ref = "01", .key = ec };

		hk_err_clear();
		assert_int_equal(hk_store_key_put(st, &rec, &kid2), HK_ERR_INVENTORY_CONFLICT);
		assert_non_null(strstr(hk_err_detail(), "another public key"));
		assert_int_equal(hk_err_exit(HK_ERR_INVENTORY_CONFLICT), HK_EXIT_CONFLICT);
		/* A token that is not there. */
		rec.token_id = 4242;
		rec.ref = "02";
		assert_int_equal(hk_store_key_put(st, &rec, &kid2), HK_ERR_INVENTORY_NO_RECORD);
	}
	kid2 = put_key(st, tid, "02", ecdsa_line);
	other = put_key(st, put_token(st, "0002", "bob"), "01", ecdsa_line);

	assert_int_equal(hk_store_key_get(st, kid, &k), 0);
	assert_non_null(k);
	assert_int_equal(k->token_id, tid);
	assert_string_equal(k->ref, "01");
	assert_string_equal(k->kind, "ed25519");
	assert_true(hk_key_equal(k->key, ed));
	assert_string_equal(k->proof_kind, "pkcs11-flags");
	assert_int_equal(k->proof_verified, 1);
	/* Every fingerprint, exactly as the core computes it. */
	for (int i = 0; i < HK_STORE_NFP; i++) {
		assert_int_equal(hk_key_fingerprint_buf(ed, (enum hk_fp)i, fp, sizeof(fp)), 0);
		assert_non_null(k->fp[i]);
		assert_string_equal(k->fp[i], fp);
	}
	hk_store_key_free(k);
	/* AWS has no formula for ECDSA: none kept. */
	assert_int_equal(hk_store_key_get(st, kid2, &k), 0);
	assert_null(k->fp[HK_FP_AWS]);
	assert_non_null(k->fp[HK_FP_HUAWEI]);
	assert_string_equal(k->kind, "ecdsa-p256");
	hk_store_key_free(k);

	/* Found by any form: MD5 with and without "MD5:" and colons, in capitals. */
	assert_int_equal(hk_key_fingerprint_buf(ed, HK_FP_MD5, fp, sizeof(fp)), 0);
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_MD5, fp, &k), 0);
	assert_non_null(k);
	assert_int_equal(k->id, kid);
	hk_store_key_free(k);
	for (size_t i = 0; i <= strlen(fp); i++)
		upper[i] = (char)(fp[i] >= 'a' && fp[i] <= 'f' ? fp[i] - 32 : fp[i]);
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_HUAWEI, upper + 4, &k), 0);
	assert_non_null(k);
	assert_int_equal(k->id, kid);
	hk_store_key_free(k);
	assert_int_equal(hk_key_fingerprint_buf(ed, HK_FP_ALIYUN, fp, sizeof(fp)), 0);
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_ALIYUN, fp, &k), 0);
	assert_int_equal(k->id, kid);
	hk_store_key_free(k);
	assert_int_equal(hk_key_fingerprint_buf(ed, HK_FP_SHA256, fp, sizeof(fp)), 0);
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_SHA256, fp + 7, &k), 0);
	assert_int_equal(k->id, kid);
	hk_store_key_free(k);
	/* One key on two tokens: the first recorded is found. */
	assert_int_equal(hk_key_fingerprint_buf(ec, HK_FP_SHA256, fp, sizeof(fp)), 0);
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_SHA256, fp, &k), 0);
	assert_int_equal(k->id, kid2);
	hk_store_key_free(k);
	/* Unknown: 0 and NULL. */
	assert_int_equal(hk_store_key_find_fp(st, HK_FP_MD5, "00:11:22", &k), 0);
	assert_null(k);

	assert_int_equal(hk_store_keys_list(st, tid, &keys, &n), 0);
	assert_int_equal(n, 2);
	hk_store_keys_free(keys, n);
	assert_int_equal(hk_store_keys_list(st, 0, &keys, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(keys[2]->id, other);
	hk_store_keys_free(keys, n);
	assert_int_equal(hk_store_key_find(st, tid, "02", &k), 0);
	assert_int_equal(k->id, kid2);
	hk_store_key_free(k);

	/* Delete: the key and its imports go, fingerprints too. */
	{
		struct hk_store_import imp = { .key_id = other, .provider = "aliyun",
		    .region = "cn-hangzhou", .name = "bob" };
		struct hk_store_import *ip = NULL;

		assert_int_equal(hk_store_import_put(st, &imp, NULL), 0);
		assert_int_equal(hk_store_key_delete(st, other), 0);
		assert_int_equal(hk_store_import_find(st, "aliyun", "", "cn-hangzhou", "bob", &ip), 0);
		assert_null(ip);
		assert_int_equal(hk_store_key_delete(st, other), HK_ERR_INVENTORY_NO_RECORD);
	}
	assert_int_equal(hk_store_check(st), 0);
	hk_key_free(ed);
	hk_key_free(ec);
	hk_store_close(st);
}

static void
test_imports(void **state)
{
	struct hk_store *st = open_new("imports.db");
	struct hk_store_import **imps = NULL, *ip = NULL;
	struct hk_store_import imp = { .provider = "aliyun", .account = "LTAI-test",
	    .region = "cn-hangzhou", .name = "alice", .cloud_fp = "abcd",
	    .status = HK_STORE_IMPORT_VERIFIED };
	enum hk_store_import_status s;
	int64_t tid, k1, k2, id = 0, id2 = 0;
	size_t n = 0;

	(void)state;
	tid = put_token(st, "0001", NULL);
	k1 = put_key(st, tid, "01", ed25519_line);
	k2 = put_key(st, tid, "02", ecdsa_line);
	imp.key_id = k1;
	assert_int_equal(hk_store_import_put(st, &imp, &id), 0);
	assert_int_equal(hk_store_import_find(st, "aliyun", "LTAI-test", "cn-hangzhou",
	    "alice", &ip), 0);
	assert_non_null(ip);
	assert_int_equal(ip->id, id);
	assert_int_equal(ip->key_id, k1);
	assert_int_equal(ip->status, HK_STORE_IMPORT_VERIFIED);
	assert_string_equal(ip->cloud_fp, "abcd");
	hk_store_import_free(ip);
	/* The account is part of the identity. */
	assert_int_equal(hk_store_import_find(st, "aliyun", NULL, "cn-hangzhou", "alice", &ip), 0);
	assert_null(ip);
	/* --replace moved the name to another key: same row, new key. */
	imp.key_id = k2;
	imp.status = HK_STORE_IMPORT_PENDING;
	imp.cloud_fp = NULL;
	assert_int_equal(hk_store_import_put(st, &imp, &id2), 0);
	assert_int_equal(id2, id);
	assert_int_equal(hk_store_import_update(st, id, HK_STORE_IMPORT_MISMATCH, "ffff",
	    "the cloud returned ffff"), 0);
	assert_int_equal(hk_store_imports_list(st, k2, &imps, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(imps[0]->status, HK_STORE_IMPORT_MISMATCH);
	assert_string_equal(imps[0]->cloud_fp, "ffff");
	assert_string_equal(imps[0]->error, "the cloud returned ffff");
	hk_store_imports_free(imps, n);
	assert_int_equal(hk_store_imports_list(st, k1, &imps, &n), 0);
	assert_int_equal(n, 0);
	hk_store_imports_free(imps, n);
	assert_int_equal(hk_store_import_update(st, 777, HK_STORE_IMPORT_FAILED, NULL, NULL),
	    HK_ERR_INVENTORY_NO_RECORD);
	/* A key that is not there. */
	imp.key_id = 555;
	imp.name = "ghost";
	assert_int_equal(hk_store_import_put(st, &imp, NULL), HK_ERR_INVENTORY_NO_RECORD);
	/* Status names round-trip. */
	for (int i = HK_STORE_IMPORT_PENDING; i <= HK_STORE_IMPORT_DELETED; i++) {
		assert_int_equal(hk_store_import_status_from_name(
		    hk_store_import_status_name((enum hk_store_import_status)i), &s), 0);
		assert_int_equal((int)s, i);
	}
	hk_store_close(st);
}

static void
test_entries_and_journal(void **state)
{
	struct hk_store *st = open_new("journal.db");
	struct hk_store_entry *e = NULL, *e2 = NULL, **es = NULL;
	struct hk_store_journal *j = NULL, **js = NULL;
	int64_t run = 0, tid, kid;
	size_t n = 0;

	(void)state;
	assert_int_equal(hk_store_run_begin(st, "fleet.plan", "station-1", &run), 0);
	assert_true(run > 0);
	assert_int_equal(hk_store_entry_get(st, "fleet.plan", "alice", &e), 0);
	assert_non_null(e);
	assert_int_equal(e->key_id, 0);
	assert_null(e->state);
	/* The same entry again (a resumed run): the same row. */
	assert_int_equal(hk_store_entry_get(st, "fleet.plan", "alice", &e2), 0);
	assert_int_equal(e2->id, e->id);
	hk_store_entry_free(e2);
	assert_int_equal(hk_store_journal(st, e->id, run, "keygen", HK_STORE_BEGIN, NULL, 0,
	    NULL), 0);
	tid = put_token(st, "0001", "alice");
	kid = put_key(st, tid, "01", ed25519_line);
	assert_int_equal(hk_store_entry_update(st, e->id, tid, kid, NULL), 0);
	assert_int_equal(hk_store_journal(st, e->id, run, "keygen", HK_STORE_END, "ok", 0,
	    "ed25519 key 01"), 0);
	assert_int_equal(hk_store_journal(st, e->id, run, "import aliyun cn-hangzhou alice",
	    HK_STORE_BEGIN, NULL, 0, NULL), 0);
	/* What a resumed engine asks: the last row, and the last of one step. */
	assert_int_equal(hk_store_journal_last(st, e->id, NULL, &j), 0);
	assert_non_null(j);
	assert_string_equal(j->step, "import aliyun cn-hangzhou alice");
	assert_int_equal(j->phase, HK_STORE_BEGIN);
	assert_null(j->outcome);
	hk_store_journal_free(j);
	assert_int_equal(hk_store_journal_last(st, e->id, "keygen", &j), 0);
	assert_int_equal(j->phase, HK_STORE_END);
	assert_string_equal(j->outcome, "ok");
	assert_string_equal(j->detail, "ed25519 key 01");
	assert_int_equal(j->run_id, run);
	hk_store_journal_free(j);
	assert_int_equal(hk_store_journal_last(st, e->id, "attest", &j), 0);
	assert_null(j);
	/* An END needs its outcome; a row needs its entry. */
	assert_int_equal(hk_store_journal(st, e->id, run, "keygen", HK_STORE_END, NULL, 0,
	    NULL), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_store_journal(st, 9999, 0, "keygen", HK_STORE_BEGIN, NULL, 0,
	    NULL), HK_ERR_INVENTORY_NO_RECORD);
	assert_int_equal(hk_store_journal_list(st, e->id, &js, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(js[0]->step, "keygen");
	assert_int_equal(js[0]->phase, HK_STORE_BEGIN);
	hk_store_journals_free(js, n);
	assert_int_equal(hk_store_entry_update(st, e->id, 0, 0, "done"), 0);
	assert_int_equal(hk_store_entries_list(st, "fleet.plan", &es, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(es[0]->key_id, kid);
	assert_int_equal(es[0]->token_id, tid);
	assert_string_equal(es[0]->state, "done");
	hk_store_entries_free(es, n);
	assert_int_equal(hk_store_run_end(st, run, "ok"), 0);
	assert_int_equal(hk_store_run_end(st, run + 5, "ok"), HK_ERR_INVENTORY_NO_RECORD);
	/* Deleting the key keeps the journal and forgets the entry's key. */
	assert_int_equal(hk_store_key_delete(st, kid), 0);
	assert_int_equal(hk_store_entry_get(st, "fleet.plan", "alice", &e2), 0);
	assert_int_equal(e2->key_id, 0);
	hk_store_entry_free(e2);
	assert_int_equal(hk_store_journal_list(st, 0, &js, &n), 0);
	assert_int_equal(n, 3);
	hk_store_journals_free(js, n);
	hk_store_entry_free(e);
	hk_store_close(st);
}

/* Worker threads journaling at once, on a shared handle and on their own. */
#define NTHREADS	4
#define NROWS		40
struct worker {
	struct hk_store *st;		/* shared, or NULL: open its own */
	const char *path;
	int64_t entry_id;
	int failures;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct hk_store *st = w->st;
	char step[32];

	if (st == NULL && hk_store_open(w->path, 0, &st) != 0) {
		w->failures = NROWS;
		return NULL;
	}
	for (int i = 0; i < NROWS; i++) {
		snprintf(step, sizeof(step), "step %d", i);
		if (hk_store_journal(st, w->entry_id, 0, step, HK_STORE_BEGIN, NULL, 0, NULL) != 0 ||
		    hk_store_journal(st, w->entry_id, 0, step, HK_STORE_END, "ok", 0, NULL) != 0)
			w->failures++;
	}
	if (w->st == NULL)
		hk_store_close(st);
	return NULL;
}

static void
test_threads(void **state)
{
	char p[PATH_MAX];
	struct hk_store *st = open_new("threads.db");
	struct worker w[2 * NTHREADS];
	pthread_t th[2 * NTHREADS];
	struct hk_store_journal **js = NULL;
	struct hk_store_entry *e = NULL;
	size_t n = 0;

	(void)state;
	hk_test_tmpdir_path(p, sizeof(p), "threads.db");
	for (int i = 0; i < 2 * NTHREADS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "token%d", i);
		assert_int_equal(hk_store_entry_get(st, "", name, &e), 0);
		w[i] = (struct worker){ .st = i < NTHREADS ? st : NULL, .path = p,
		    .entry_id = e->id };
		hk_store_entry_free(e);
	}
	for (int i = 0; i < 2 * NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2 * NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(hk_store_journal_list(st, 0, &js, &n), 0);
	assert_int_equal(n, 2 * NTHREADS * NROWS * 2);
	hk_store_journals_free(js, n);
	/* Each entry's own rows in order: begin, end, begin, end ... */
	assert_int_equal(hk_store_journal_list(st, w[NTHREADS].entry_id, &js, &n), 0);
	assert_int_equal(n, NROWS * 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(js[i]->phase, i % 2 ? HK_STORE_END : HK_STORE_BEGIN);
	hk_store_journals_free(js, n);
	assert_int_equal(hk_store_check(st), 0);
	hk_store_close(st);
}

/*
 * kill -9 right after hk_store_journal returned: the row is there. The child
 * reports each row it completed through a pipe and goes on writing; the
 * parent kills it mid-stream and checks every reported row.
 */
static void
test_kill9_keeps_completed_steps(void **state)
{
	char p[PATH_MAX];
	struct hk_store *st = open_new("kill9.db");
	struct hk_store_entry *e = NULL;
	struct hk_store_journal **js = NULL;
	int fds[2], status, reported = 0;
	uint32_t seq;
	size_t n = 0;
	pid_t pid;

	(void)state;
	hk_test_tmpdir_path(p, sizeof(p), "kill9.db");
	assert_int_equal(hk_store_entry_get(st, "", "victim", &e), 0);
	hk_store_close(st);
	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		struct hk_store *cs = NULL;
		char step[32];

		close(fds[0]);
		if (hk_store_open(p, 0, &cs) != 0)
			_exit(2);
		for (seq = 1; ; seq++) {
			snprintf(step, sizeof(step), "step %u", seq);
			if (hk_store_journal(cs, e->id, 0, step, HK_STORE_END, "ok", 0, NULL) != 0)
				_exit(3);
			if (write(fds[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(4);
		}
	}
	assert_true(pid > 0);
	close(fds[1]);
	/* Let it complete a few dozen rows, then kill it between any two instructions. */
	while (reported < 30 && read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
		reported = (int)seq;
	kill(pid, SIGKILL);
	/* Rows it reported after we stopped counting are complete too. */
	while (read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
		reported = (int)seq;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(hk_store_open(p, 0, &st), 0);
	assert_int_equal(hk_store_check(st), 0);
	assert_int_equal(hk_store_journal_list(st, e->id, &js, &n), 0);
	assert_true(n >= (size_t)reported);
	for (int i = 0; i < reported; i++) {
		char step[32];

		snprintf(step, sizeof(step), "step %d", i + 1);
		assert_string_equal(js[i]->step, step);
	}
	hk_store_journals_free(js, n);
	hk_store_entry_free(e);
	hk_store_close(st);
}

/*
 * The engine's path: kill -9 right after hk_store_batch_end returned (its
 * writer commits many rows in one batch). Every reported batch is there,
 * whole, and no batch is there in part.
 */
static void
test_kill9_keeps_committed_batches(void **state)
{
	enum { ROWS = 5 };
	char p[PATH_MAX];
	struct hk_store *st = open_new("kill9b.db");
	struct hk_store_entry *e = NULL;
	struct hk_store_journal **js = NULL;
	int fds[2], status, reported = 0;
	uint32_t seq;
	size_t n = 0;
	pid_t pid;

	(void)state;
	hk_test_tmpdir_path(p, sizeof(p), "kill9b.db");
	assert_int_equal(hk_store_entry_get(st, "", "victim", &e), 0);
	hk_store_close(st);
	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		struct hk_store *cs = NULL;
		char step[32];
		int r;

		close(fds[0]);
		if (hk_store_open(p, 0, &cs) != 0)
			_exit(2);
		for (seq = 1; ; seq++) {
			if (hk_store_batch_begin(cs) != 0)
				_exit(3);
			r = 0;
			for (int i = 0; i < ROWS && r == 0; i++) {
				snprintf(step, sizeof(step), "batch %u row %d", seq, i);
				r = hk_store_journal(cs, e->id, 0, step, HK_STORE_END, "ok", 0, NULL);
			}
			if (hk_store_batch_end(cs, r) != 0)
				_exit(3);
			if (write(fds[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(4);
		}
	}
	assert_true(pid > 0);
	close(fds[1]);
	while (reported < 30 && read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
		reported = (int)seq;
	kill(pid, SIGKILL);
	while (read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
		reported = (int)seq;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(hk_store_open(p, 0, &st), 0);
	assert_int_equal(hk_store_check(st), 0);
	assert_int_equal(hk_store_journal_list(st, e->id, &js, &n), 0);
	assert_true(n >= (size_t)reported * ROWS);
	assert_int_equal(n % ROWS, 0);
	for (size_t i = 0; i < n; i++) {
		char step[32];

		snprintf(step, sizeof(step), "batch %zu row %zu", i / ROWS + 1, i % ROWS);
		assert_string_equal(js[i]->step, step);
	}
	hk_store_journals_free(js, n);
	hk_store_entry_free(e);
	hk_store_close(st);
}

/* In a child with a private mount namespace; returns its exit status (0 ok, 77 no namespace). */
static int
in_namespace(int (*fn)(const char *mnt), const char *mnt)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			_exit(77);
		_exit(fn(mnt));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A 512 KiB tmpfs, filled until the inventory reports a full disk. */
static int
disk_full(const char *mnt)
{
	char p[PATH_MAX], detail[2048], big[4096];
	struct hk_store *st = NULL;
	struct hk_store_entry *e = NULL;
	struct hk_store_journal **js = NULL;
	size_t n = 0;
	int r = 0, ok = 0;

	if (mount("tmpfs", mnt, "tmpfs", 0, "size=512k,mode=0700") != 0)
		return 77;
	snprintf(p, sizeof(p), "%s/inventory.db", mnt);
	if (hk_store_open(p, HK_STORE_CREATE, &st) != 0 ||
	    hk_store_entry_get(st, "", "full", &e) != 0)
		return 10;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 10000; i++) {
		hk_err_clear();
		if ((r = hk_store_journal(st, e->id, 0, "fill", HK_STORE_END, "ok", 0, big)) != 0)
			break;
		ok++;
	}
	snprintf(detail, sizeof(detail), "%s", hk_err_detail());
	if (r != HK_ERR_INVENTORY_FULL) {
		fprintf(stderr, "disk full: got %d (%s) after %d rows\n", r, detail, ok);
		return 11;
	}
	/* The message names the file and what failed. */
	if (strstr(detail, p) == NULL || strstr(detail, "journaling") == NULL) {
		fprintf(stderr, "disk full detail: %s\n", detail);
		return 12;
	}
	if (hk_err_exit(r) != HK_EXIT_INVENTORY)
		return 13;
	hk_store_close(st);
	/* Reopened on the still-full disk: whole, every completed row there, no partial one. */
	st = NULL;
	if ((r = hk_store_open(p, HK_STORE_READONLY, &st)) != 0) {
		fprintf(stderr, "reopen: %s\n", hk_err_detail());
		return 14;
	}
	if (hk_store_check(st) != 0)
		return 15;
	if (hk_store_journal_list(st, e->id, &js, &n) != 0 || n != (size_t)ok) {
		fprintf(stderr, "rows: %zu, completed %d\n", n, ok);
		return 16;
	}
	hk_store_journals_free(js, n);
	hk_store_close(st);
	hk_store_entry_free(e);
	return ok > 10 ? 0 : 17;
}

static void
test_disk_full(void **state)
{
	char mnt[PATH_MAX];
	int r;

	(void)state;
	hk_test_tmpdir_path(mnt, sizeof(mnt), "full");
	assert_int_equal(mkdir(mnt, 0700), 0);
	r = in_namespace(disk_full, mnt);
	if (r == 77)
		skip();
	assert_int_equal(r, 0);
}

/* The inventory on a file system remounted read-only. */
static int
read_only(const char *mnt)
{
	char p[PATH_MAX];
	struct hk_store *st = NULL;
	struct hk_store_entry *e = NULL;
	struct hk_store_token **toks = NULL;
	size_t n = 0;
	int64_t id;
	int r;

	if (mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700") != 0)
		return 77;
	snprintf(p, sizeof(p), "%s/inventory.db", mnt);
	if (hk_store_open(p, HK_STORE_CREATE, &st) != 0)
		return 10;
	put_token(st, "ro-1", "carol");
	hk_store_close(st);
	if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
		return 77;
	/* Opening to write: a clear error, at once. */
	hk_err_clear();
	if ((r = hk_store_open(p, 0, &st)) != HK_ERR_INVENTORY_READONLY) {
		fprintf(stderr, "rw open on ro: %d %s\n", r, hk_err_detail());
		return 11;
	}
	if (strstr(hk_err_detail(), p) == NULL || strstr(hk_err_detail(), "read-only") == NULL)
		return 12;
	/* Reading works. */
	if ((r = hk_store_open(p, HK_STORE_READONLY, &st)) != 0) {
		fprintf(stderr, "ro open: %d %s\n", r, hk_err_detail());
		return 13;
	}
	if (hk_store_check(st) != 0 || hk_store_tokens_list(st, &toks, &n) != 0 || n != 1 ||
	    strcmp(toks[0]->person, "carol") != 0)
		return 14;
	hk_store_tokens_free(toks, n);
	/* A write through a read-only handle: READONLY, nothing changed. */
	{
		struct hk_store_token t = { .backend = "pkcs11", .serial = "ro-2" };

		if ((r = hk_store_token_upsert(st, &t, &id)) != HK_ERR_INVENTORY_READONLY) {
			fprintf(stderr, "write on ro handle: %d %s\n", r, hk_err_detail());
			return 15;
		}
		if (hk_store_entry_get(st, "", "x", &e) != HK_ERR_INVENTORY_READONLY)
			return 16;
	}
	hk_store_close(st);
	return 0;
}

static void
test_read_only(void **state)
{
	char mnt[PATH_MAX];
	int r;

	(void)state;
	hk_test_tmpdir_path(mnt, sizeof(mnt), "ro");
	assert_int_equal(mkdir(mnt, 0700), 0);
	r = in_namespace(read_only, mnt);
	if (r == 77)
		skip();
	assert_int_equal(r, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_schema),
		cmocka_unit_test(test_not_an_inventory),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_keys_and_fingerprints),
		cmocka_unit_test(test_imports),
		cmocka_unit_test(test_entries_and_journal),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_kill9_keeps_completed_steps),
		cmocka_unit_test(test_kill9_keeps_committed_batches),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_read_only),
	};

	return cmocka_run_group_tests(tests, hk_test_tmpdir_setup,
	    hk_test_tmpdir_teardown);
}
