/* hwkey-cloudsim state in SQLite (WAL): key pairs, instances, attachments and
 * used nonces. Each request borrows one connection of a small pool; every
 * check-then-write runs in one BEGIN IMMEDIATE transaction, so concurrent
 * same-name imports cannot both succeed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "err.h"
#include "sim.h"

#define DB_POOL_MAX 64
#define DB_BUSY_MS 15000
#define SIM_INSTANCES 8		/* Linux instances per account and region */

struct sim_db {
	char *path;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	sqlite3 *conn[DB_POOL_MAX];
	int busy[DB_POOL_MAX];
	size_t n;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS keypairs("
    " provider INTEGER NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, public_key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL,"
    " PRIMARY KEY(provider, account, region, name));"
    "CREATE TABLE IF NOT EXISTS instances("
    " account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL,"
    " windows INTEGER NOT NULL DEFAULT 0, keypair TEXT,"
    " PRIMARY KEY(account, region, id));"
    "CREATE TABLE IF NOT EXISTS nonces("
    " account TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL,"
    " PRIMARY KEY(account, nonce));"
    "CREATE INDEX IF NOT EXISTS nonces_ts ON nonces(ts);"
    /* Huawei ECS: the encrypted Administrator password of a Windows instance. */
    "CREATE TABLE IF NOT EXISTS server_passwords("
    " account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL,"
    " password TEXT NOT NULL, PRIMARY KEY(account, region, id));";

static int
db_err(sqlite3 *c, const char *what)
{
	return hk_errf(HK_ERR_IO, "state database: %s: %s", what, sqlite3_errmsg(c));
}

static int
db_exec(sqlite3 *c, const char *sql)
{
	char *msg = NULL;
	int r;

	if (sqlite3_exec(c, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	r = hk_errf(HK_ERR_IO, "state database: %s", msg != NULL ? msg : "?");
	sqlite3_free(msg);
	return r;
}

static int
db_connect(const char *path, sqlite3 **cp)
{
	sqlite3 *c = NULL;
	int r;

	*cp = NULL;
	if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = hk_errf(HK_ERR_IO, "%s: %s", path, c ? sqlite3_errmsg(c) : "open");
		sqlite3_close(c);
		return r;
	}
	sqlite3_busy_timeout(c, DB_BUSY_MS);
	if ((r = db_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON;")) != 0) {
		sqlite3_close(c);
		return r;
	}
	*cp = c;
	return 0;
}

int
sim_db_open(const char *path, struct sim_db **dbp)
{
	struct sim_db *db;
	sqlite3 *c = NULL;
	int r;

	*dbp = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		return HK_ERR_ALLOC;
	}
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->cond, NULL);
	if ((r = db_connect(path, &c)) != 0 || (r = db_exec(c, schema)) != 0) {
		sqlite3_close(c);
		sim_db_close(db);
		return r;
	}
	db->conn[0] = c;
	db->n = 1;
	*dbp = db;
	return 0;
}

void
sim_db_close(struct sim_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		sqlite3_close(db->conn[i]);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->cond);
	free(db->path);
	free(db);
}

/* Borrow a connection: an idle one, a new one, or wait for one to come back. */
static int
db_get(struct sim_db *db, sqlite3 **cp, size_t *slotp)
{
	size_t i;
	int r;

	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (i = 0; i < db->n; i++) {
			if (!db->busy[i]) {
				db->busy[i] = 1;
				*cp = db->conn[i];
				*slotp = i;
				pthread_mutex_unlock(&db->lock);
				return 0;
			}
		}
		if (db->n < DB_POOL_MAX) {
			if ((r = db_connect(db->path, &db->conn[db->n])) != 0) {
				pthread_mutex_unlock(&db->lock);
				return r;
			}
			db->n++;
			continue;
		}
		pthread_cond_wait(&db->cond, &db->lock);
	}
}

static void
db_put(struct sim_db *db, size_t slot)
{
	pthread_mutex_lock(&db->lock);
	db->busy[slot] = 0;
	pthread_cond_signal(&db->cond);
	pthread_mutex_unlock(&db->lock);
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 :
	    HK_ERR_INTERNAL;
}

static int
db_prepare(sqlite3 *c, const char *sql, sqlite3_stmt **stp)
{
	return sqlite3_prepare_v2(c, sql, -1, stp, NULL) == SQLITE_OK ? 0 :
	    db_err(c, "prepare");
}

/* Run a statement that returns no rows; a failure names what it was doing. */
static int
db_step(sqlite3 *c, sqlite3_stmt *st, const char *what)
{
	return sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(c, what);
}

/* Run an INSERT: a row that is there already is HK_ERR_EXISTS. */
static int
db_insert(sqlite3 *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return HK_ERR_EXISTS;
	return rc == SQLITE_DONE ? 0 : db_err(c, what);
}

/* End a write transaction: roll back unless r is 0, give the connection back. */
static int
db_end(struct sim_db *db, sqlite3 *c, size_t slot, int r)
{
	if (r != 0)
		db_exec(c, "ROLLBACK");
	db_put(db, slot);
	return r;
}

/* Borrow a connection and open a write transaction on it. */
static int
db_begin(struct sim_db *db, sqlite3 **cp, size_t *slotp)
{
	int r;

	if ((r = db_get(db, cp, slotp)) != 0)
		return r;
	if ((r = db_exec(*cp, "BEGIN IMMEDIATE")) != 0)
		return db_end(db, *cp, *slotp, r);
	return 0;
}

int
sim_db_seed_instances(struct sim_db *db, const struct sim_accounts *acc)
{
	const struct sim_region *reg;
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot, i, j, n;
	unsigned int k;
	char id[32];
	int r;

	reg = sim_regions(SIM_ALIYUN, &n);
	if ((r = db_begin(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "INSERT OR IGNORE INTO instances(account, region, id,"
	    " windows) VALUES(?, ?, ?, ?)", &st)) != 0)
		goto out;
	for (i = 0; i < acc->n; i++) {
		if (acc->a[i].provider != SIM_ALIYUN)
			continue;
		for (j = 0; j < n; j++) {
			for (k = 1; k <= SIM_INSTANCES + 1; k++) {
				/* The last one is Windows: key pairs cannot be attached. */
				if (k <= SIM_INSTANCES)
					snprintf(id, sizeof(id), "i-sim%04u", k);
				else
					snprintf(id, sizeof(id), "i-simwin%04u", 1u);
				sqlite3_reset(st);
				if ((r = bind_text(st, 1, acc->a[i].ak)) != 0 ||
				    (r = bind_text(st, 2, reg[j].id)) != 0 ||
				    (r = bind_text(st, 3, id)) != 0)
					goto out;
				sqlite3_bind_int(st, 4, k > SIM_INSTANCES);
				if ((r = db_step(c, st, "seed instances")) != 0)
					goto out;
			}
		}
	}
	r = db_exec(c, "COMMIT");
 out:
	sqlite3_finalize(st);
	return db_end(db, c, slot, r);
}

int
sim_db_nonce_use(struct sim_db *db, const char *ak, const char *nonce, int64_t ts)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot;
	int r;

	if ((r = db_begin(db, &c, &slot)) != 0)
		return r;
	/* Forget nonces whose request time has left the 15-minute window. */
	if ((r = db_prepare(c, "DELETE FROM nonces WHERE ts < ?", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL) - SIM_SKEW_MAX - 60);
	if ((r = db_step(c, st, "purge nonces")) != 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((r = db_prepare(c, "INSERT INTO nonces(account, nonce, ts) VALUES(?, ?, ?)",
	    &st)) != 0)
		goto out;
	if ((r = bind_text(st, 1, ak)) != 0 || (r = bind_text(st, 2, nonce)) != 0)
		goto out;
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ts);
	if ((r = db_insert(c, st, "insert nonce")) != 0)
		goto out;
	r = db_exec(c, "COMMIT");
 out:
	sqlite3_finalize(st);
	return db_end(db, c, slot, r);
}

int
sim_db_keypair_add(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, const struct sim_keypair *kp, int quota)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot;
	int r;

	if ((r = db_begin(db, &c, &slot)) != 0)
		return r;
	if (quota > 0) {
		if ((r = db_prepare(c, "SELECT COUNT(*) FROM keypairs WHERE provider = ?"
		    " AND account = ? AND region = ?", &st)) != 0)
			goto out;
		sqlite3_bind_int(st, 1, (int)p);
		if ((r = bind_text(st, 2, account)) != 0 ||
		    (r = bind_text(st, 3, region)) != 0)
			goto out;
		if (sqlite3_step(st) != SQLITE_ROW) {
			r = db_err(c, "count");
			goto out;
		}
		if (sqlite3_column_int(st, 0) >= quota) {
			r = HK_ERR_CLOUD_QUOTA;
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((r = db_prepare(c, "INSERT INTO keypairs(provider, account, region, name,"
	    " public_key, fingerprint, tags, created) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	    &st)) != 0)
		goto out;
	sqlite3_bind_int(st, 1, (int)p);
	if ((r = bind_text(st, 2, account)) != 0 || (r = bind_text(st, 3, region)) != 0 ||
	    (r = bind_text(st, 4, kp->name)) != 0 ||
	    (r = bind_text(st, 5, kp->public_key)) != 0 ||
	    (r = bind_text(st, 6, kp->fingerprint)) != 0 ||
	    (r = bind_text(st, 7, kp->tags != NULL ? kp->tags : "[]")) != 0)
		goto out;
	sqlite3_bind_int64(st, 8, (sqlite3_int64)kp->created);
	if ((r = db_insert(c, st, "insert key pair")) != 0)
		goto out;
	r = db_exec(c, "COMMIT");
 out:
	sqlite3_finalize(st);
	return db_end(db, c, slot, r);
}

void
sim_keypair_clear(struct sim_keypair *kp)
{
	if (kp == NULL)
		return;
	free(kp->name);
	free(kp->public_key);
	free(kp->fingerprint);
	free(kp->tags);
	memset(kp, 0, sizeof(*kp));
}

void
sim_keypairs_free(struct sim_keypair *kp, size_t n)
{
	size_t i;

	for (i = 0; kp != NULL && i < n; i++)
		sim_keypair_clear(&kp[i]);
	free(kp);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return strdup(s != NULL ? (const char *)s : "");
}

static int
row_keypair(sqlite3_stmt *st, struct sim_keypair *kp)
{
	memset(kp, 0, sizeof(*kp));
	kp->name = col_dup(st, 0);
	kp->public_key = col_dup(st, 1);
	kp->fingerprint = col_dup(st, 2);
	kp->tags = col_dup(st, 3);
	kp->created = sqlite3_column_int64(st, 4);
	kp->id = sqlite3_column_int64(st, 5);
	if (kp->name == NULL || kp->public_key == NULL || kp->fingerprint == NULL ||
	    kp->tags == NULL) {
		sim_keypair_clear(kp);
		return HK_ERR_ALLOC;
	}
	return 0;
}

#define KP_COLUMNS "name, public_key, fingerprint, tags, created, rowid"

int
sim_db_keypair_list(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, struct sim_keypair **kpp, size_t *np)
{
	struct sim_keypair *kp = NULL, *nk;
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot, n = 0;
	int r, rc;

	*kpp = NULL;
	*np = 0;
	if ((r = db_get(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "SELECT " KP_COLUMNS " FROM keypairs WHERE provider = ?"
	    " AND account = ? AND region = ? ORDER BY name", &st)) != 0)
		goto out;
	sqlite3_bind_int(st, 1, (int)p);
	if ((r = bind_text(st, 2, account)) != 0 || (r = bind_text(st, 3, region)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nk = realloc(kp, (n + 1) * sizeof(*kp))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		kp = nk;
		if ((r = row_keypair(st, &kp[n])) != 0)
			goto out;
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = db_err(c, "list key pairs");
		goto out;
	}
	*kpp = kp;
	*np = n;
	kp = NULL;
	r = 0;
 out:
	sim_keypairs_free(kp, n);
	sqlite3_finalize(st);
	db_put(db, slot);
	return r;
}

int
sim_db_keypair_get(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, const char *name, struct sim_keypair *kp)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot;
	int r, rc;

	memset(kp, 0, sizeof(*kp));
	if ((r = db_get(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "SELECT " KP_COLUMNS " FROM keypairs WHERE provider = ?"
	    " AND account = ? AND region = ? AND name = ?", &st)) != 0)
		goto out;
	sqlite3_bind_int(st, 1, (int)p);
	if ((r = bind_text(st, 2, account)) != 0 || (r = bind_text(st, 3, region)) != 0 ||
	    (r = bind_text(st, 4, name)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = row_keypair(st, kp);
	else if (rc == SQLITE_DONE)
		r = HK_ERR_NOT_FOUND;
	else
		r = db_err(c, "get key pair");
 out:
	sqlite3_finalize(st);
	db_put(db, slot);
	return r;
}

int
sim_db_keypair_delete(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, const char *const *names, size_t n, size_t *deletedp,
    char **attachedp)
{
	sqlite3_stmt *chk = NULL, *del = NULL;
	sqlite3 *c;
	size_t slot, i, deleted = 0;
	int r;

	*deletedp = 0;
	*attachedp = NULL;
	if ((r = db_begin(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "SELECT id FROM instances WHERE account = ? AND"
	    " region = ? AND keypair = ? LIMIT 1", &chk)) != 0 ||
	    (r = db_prepare(c, "DELETE FROM keypairs WHERE provider = ? AND"
	    " account = ? AND region = ? AND name = ?", &del)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (p == SIM_ALIYUN) {
			sqlite3_reset(chk);
			if ((r = bind_text(chk, 1, account)) != 0 ||
			    (r = bind_text(chk, 2, region)) != 0 ||
			    (r = bind_text(chk, 3, names[i])) != 0)
				goto out;
			if (sqlite3_step(chk) == SQLITE_ROW) {
				*attachedp = strdup(names[i]);
				r = HK_ERR_EXISTS;
				goto out;
			}
		}
		sqlite3_reset(del);
		sqlite3_bind_int(del, 1, (int)p);
		if ((r = bind_text(del, 2, account)) != 0 ||
		    (r = bind_text(del, 3, region)) != 0 ||
		    (r = bind_text(del, 4, names[i])) != 0)
			goto out;
		if ((r = db_step(c, del, "delete key pair")) != 0)
			goto out;
		deleted += (size_t)sqlite3_changes(c);
	}
	if ((r = db_exec(c, "COMMIT")) == 0)
		*deletedp = deleted;
 out:
	sqlite3_finalize(chk);
	sqlite3_finalize(del);
	return db_end(db, c, slot, r);
}

void
sim_instances_free(struct sim_instance *in, size_t n)
{
	size_t i;

	for (i = 0; in != NULL && i < n; i++) {
		free(in[i].id);
		free(in[i].keypair);
	}
	free(in);
}

int
sim_db_instance_list(struct sim_db *db, const char *account, const char *region,
    struct sim_instance **ip, size_t *np)
{
	struct sim_instance *in = NULL, *ni;
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot, n = 0;
	int r, rc;

	*ip = NULL;
	*np = 0;
	if ((r = db_get(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "SELECT id, COALESCE(keypair, ''), windows FROM"
	    " instances WHERE account = ? AND region = ? ORDER BY id", &st)) != 0)
		goto out;
	if ((r = bind_text(st, 1, account)) != 0 || (r = bind_text(st, 2, region)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ni = realloc(in, (n + 1) * sizeof(*in))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		in = ni;
		in[n].id = col_dup(st, 0);
		in[n].keypair = col_dup(st, 1);
		in[n].windows = sqlite3_column_int(st, 2);
		n++;
		if (in[n - 1].id == NULL || in[n - 1].keypair == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		r = db_err(c, "list instances");
		goto out;
	}
	*ip = in;
	*np = n;
	in = NULL;
	r = 0;
 out:
	sim_instances_free(in, n);
	sqlite3_finalize(st);
	db_put(db, slot);
	return r;
}

int
sim_db_instance_set(struct sim_db *db, const char *account, const char *region,
    const char *instance, const char *keypair, const char *expect)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot;
	int r;

	if ((r = db_begin(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "SELECT windows, COALESCE(keypair, '') FROM instances"
	    " WHERE account = ? AND region = ? AND id = ?", &st)) != 0)
		goto out;
	if ((r = bind_text(st, 1, account)) != 0 || (r = bind_text(st, 2, region)) != 0 ||
	    (r = bind_text(st, 3, instance)) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = HK_ERR_NOT_FOUND;
		goto out;
	}
	if (sqlite3_column_int(st, 0)) {
		r = HK_ERR_NOT_SUPPORTED;
		goto out;
	}
	if (keypair == NULL && expect != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 1), expect) != 0) {
		r = HK_ERR_VERIFY;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = db_prepare(c, "UPDATE instances SET keypair = ? WHERE account = ? AND"
	    " region = ? AND id = ?", &st)) != 0)
		goto out;
	if (keypair != NULL)
		r = bind_text(st, 1, keypair);
	else
		sqlite3_bind_null(st, 1);
	if (r != 0 || (r = bind_text(st, 2, account)) != 0 ||
	    (r = bind_text(st, 3, region)) != 0 || (r = bind_text(st, 4, instance)) != 0)
		goto out;
	if ((r = db_step(c, st, "update instance")) != 0)
		goto out;
	r = db_exec(c, "COMMIT");
 out:
	sqlite3_finalize(st);
	return db_end(db, c, slot, r);
}

int
sim_db_server_add(struct sim_db *db, const char *account, const char *region,
    const struct sim_instance *in, const char *password)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot;
	int r;

	if ((r = db_begin(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "INSERT INTO instances(account, region, id, windows,"
	    " keypair) VALUES(?, ?, ?, ?, ?)", &st)) != 0)
		goto out;
	if ((r = bind_text(st, 1, account)) != 0 || (r = bind_text(st, 2, region)) != 0 ||
	    (r = bind_text(st, 3, in->id)) != 0)
		goto out;
	sqlite3_bind_int(st, 4, in->windows);
	if (in->keypair != NULL && *in->keypair != '\0')
		r = bind_text(st, 5, in->keypair);
	else
		sqlite3_bind_null(st, 5);
	if (r != 0)
		goto out;
	if ((r = db_insert(c, st, "insert instance")) != 0)
		goto out;
	if (password != NULL) {
		sqlite3_finalize(st);
		st = NULL;
		if ((r = db_prepare(c, "INSERT OR REPLACE INTO server_passwords(account,"
		    " region, id, password) VALUES(?, ?, ?, ?)", &st)) != 0)
			goto out;
		if ((r = bind_text(st, 1, account)) != 0 ||
		    (r = bind_text(st, 2, region)) != 0 ||
		    (r = bind_text(st, 3, in->id)) != 0 ||
		    (r = bind_text(st, 4, password)) != 0)
			goto out;
		if ((r = db_step(c, st, "insert password")) != 0)
			goto out;
	}
	r = db_exec(c, "COMMIT");
 out:
	sqlite3_finalize(st);
	return db_end(db, c, slot, r);
}

int
sim_db_server_password(struct sim_db *db, const char *account, const char *region,
    const char *id, struct sim_instance *in, char **passwordp)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *c;
	size_t slot;
	int r, rc;

	memset(in, 0, sizeof(*in));
	*passwordp = NULL;
	if ((r = db_get(db, &c, &slot)) != 0)
		return r;
	if ((r = db_prepare(c, "SELECT i.id, COALESCE(i.keypair, ''), i.windows,"
	    " COALESCE(p.password, '') FROM instances i LEFT JOIN server_passwords p"
	    " ON p.account = i.account AND p.region = i.region AND p.id = i.id"
	    " WHERE i.account = ? AND i.region = ? AND i.id = ?", &st)) != 0)
		goto out;
	if ((r = bind_text(st, 1, account)) != 0 || (r = bind_text(st, 2, region)) != 0 ||
	    (r = bind_text(st, 3, id)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = HK_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_err(c, "get instance");
		goto out;
	}
	in->id = col_dup(st, 0);
	in->keypair = col_dup(st, 1);
	in->windows = sqlite3_column_int(st, 2);
	*passwordp = col_dup(st, 3);
	if (in->id == NULL || in->keypair == NULL || *passwordp == NULL) {
		free(in->id);
		free(in->keypair);
		free(*passwordp);
		memset(in, 0, sizeof(*in));
		*passwordp = NULL;
		r = HK_ERR_ALLOC;
	}
 out:
	sqlite3_finalize(st);
	db_put(db, slot);
	return r;
}
