/* The SQLite inventory: one file, WAL, foreign keys, synchronous=FULL, the
 * schema versioned with PRAGMA user_version and migrated forward in one
 * transaction (store_sqlite_schema.c), SQLite's failures translated into
 * HK_ERR_INVENTORY_* with the file named. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "store_sqlite.h"

/*
 * synchronous=FULL: in WAL mode every commit fsyncs the WAL, so a step the
 * engine journaled survives not only kill -9 (NORMAL would too) but power
 * loss at a provisioning station. The cost is one fsync per journal row,
 * small next to a key generation on a token.
 */
static const char *const pragmas =
	"PRAGMA foreign_keys=ON;"
	"PRAGMA synchronous=FULL;";

int
hk_sq_err(struct hk_sq *s, int rc, const char *what)
{
	int sys = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	int code;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		code = HK_ERR_INVENTORY_FULL;
		break;
	case SQLITE_READONLY:
		code = HK_ERR_INVENTORY_READONLY;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = HK_ERR_INVENTORY_CORRUPT;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = HK_ERR_INVENTORY_BUSY;
		break;
	case SQLITE_NOMEM:
		code = HK_ERR_ALLOC;
		break;
	case SQLITE_CONSTRAINT:
		code = rc == SQLITE_CONSTRAINT_FOREIGNKEY ? HK_ERR_INVENTORY_NO_RECORD :
		    HK_ERR_INVENTORY_CONFLICT;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys == ENOSPC || sys == EFBIG || sys == EDQUOT)
			code = HK_ERR_INVENTORY_FULL;
		else if (sys == EROFS || sys == EACCES || sys == EPERM)
			code = HK_ERR_INVENTORY_READONLY;
		else
			code = HK_ERR_INVENTORY;
		break;
	default:
		code = HK_ERR_INVENTORY;
		break;
	}
	if (sys != 0 && (rc & 0xff) != SQLITE_CONSTRAINT)
		return hk_errf(code, "inventory %s: %s: %s (%s)", s->path, what, msg,
		    strerror(sys));
	return hk_errf(code, "inventory %s: %s: %s", s->path, what, msg);
}

int
hk_sq_prepare(struct hk_sq *s, const char *sql, sqlite3_stmt **stp)
{
	struct hk_sq_cached *c;
	size_t i;
	int rc;

	*stp = NULL;
	for (i = 0; i < s->ncache; i++) {
		c = &s->cache[i];
		if (c->sql == sql && !c->busy && strcmp(sqlite3_sql(c->st), sql) == 0) {
			c->busy = 1;
			*stp = c->st;
			return 0;
		}
	}
	if ((rc = sqlite3_prepare_v3(s->db, sql, -1, s->ncache < HK_SQ_CACHE ?
	    SQLITE_PREPARE_PERSISTENT : 0, stp, NULL)) != SQLITE_OK) {
		sqlite3_finalize(*stp);
		*stp = NULL;
		return hk_sq_err(s, rc, "preparing a query");
	}
	/* One in use already (a nested call) gets a second one, not kept. */
	if (s->ncache < HK_SQ_CACHE && *stp != NULL) {
		for (i = 0; i < s->ncache && s->cache[i].sql != sql; i++)
			;
		if (i == s->ncache) {
			c = &s->cache[s->ncache++];
			c->sql = sql;
			c->st = *stp;
			c->busy = 1;
		}
	}
	return 0;
}

void
hk_sq_finalize(struct hk_sq *s, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].st == st) {
			/* Reset ends its read of the file: it holds no lock between calls. */
			(void)sqlite3_reset(st);
			(void)sqlite3_clear_bindings(st);
			s->cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

void
hk_sq_uncache(struct hk_sq *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].st);
	s->ncache = 0;
}

int
hk_sq_run(struct hk_sq *s, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, what);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

int
hk_sq_bind_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v <= 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

char *
hk_sq_col_text(sqlite3_stmt *st, int i, int *okp)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return hk_store_strdup((const char *)t, okp);
}

int
hk_sq_exec(struct hk_sq *s, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return hk_sq_err(s, rc, what);
	return 0;
}

int
hk_sq_begin(struct hk_sq *s)
{
	if (s->batch)
		return hk_sq_run(s, "SAVEPOINT hk_call", "starting a savepoint");
	return hk_sq_run(s, "BEGIN IMMEDIATE", "starting a transaction");
}

int
hk_sq_end(struct hk_sq *s, int r)
{
	int r2;

	if (s->batch) {
		/* One call of a batch: undone alone, committed with the batch. */
		if (r == 0 && (r2 = hk_sq_run(s, "RELEASE hk_call", "releasing a savepoint")) == 0)
			return 0;
		if (r == 0)
			r = r2;
		if (sqlite3_get_autocommit(s->db) == 0) {
			(void)sqlite3_exec(s->db, "ROLLBACK TO hk_call", NULL, NULL, NULL);
			(void)sqlite3_exec(s->db, "RELEASE hk_call", NULL, NULL, NULL);
		}
		return r;
	}
	if (r == 0) {
		if ((r2 = hk_sq_run(s, "COMMIT", "committing")) == 0)
			return 0;
		r = r2;
	}
	/* Keep the first failure's detail: the rollback's own is noise. */
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int
hk_sq_step_done(struct hk_sq *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return hk_sq_err(s, rc, what);
	return 0;
}

/* mkdir -p of path's directory, private: the inventory says who holds which key. */
static int
make_parent(struct hk_sq *s, const char *path)
{
	char dir[PATH_MAX], *p;

	if (strlen(path) >= sizeof(dir))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory %s: path too long", path);
	strcpy(dir, path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				int e = errno;
				return hk_errf(e == EROFS || e == EACCES ?
				    HK_ERR_INVENTORY_READONLY : HK_ERR_INVENTORY,
				    "inventory %s: cannot create directory %s: %s", s->path, dir,
				    strerror(e));
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/*
 * An empty file of mode 0600 for SQLite to fill (its -wal and -shm take the
 * same mode): the inventory says who holds which key.
 */
static int
make_private(struct hk_sq *s, int *createdp)
{
	int fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), e;

	if (fd < 0 && errno != EEXIST) {
		e = errno;
		return hk_errf(e == EROFS || e == EACCES ? HK_ERR_INVENTORY_READONLY :
		    e == ENOSPC || e == EDQUOT ? HK_ERR_INVENTORY_FULL : HK_ERR_INVENTORY,
		    "inventory %s: cannot create it: %s", s->path, strerror(e));
	}
	if (fd >= 0) {
		close(fd);
		*createdp = 1;
	}
	return 0;
}

static int
sq_accepts(const char *path)
{
	return strstr(path, "://") == NULL;
}

static void
sq_close(void *be)
{
	struct hk_sq *s = be;

	if (s == NULL)
		return;
	hk_sq_uncache(s);
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

static int
sq_open_db(struct hk_sq *s, unsigned int flags, int immutable)
{
	int of, rc;
	char *uri = NULL;

	of = SQLITE_OPEN_FULLMUTEX;
	if (flags & HK_STORE_READONLY)
		of |= SQLITE_OPEN_READONLY;
	else
		of |= SQLITE_OPEN_READWRITE | ((flags & HK_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (immutable) {
		/*
		 * A WAL inventory on a read-only file system: SQLite cannot
		 * create its -shm; nobody can write it either, so reading it
		 * as immutable is exact.
		 */
		char *q = sqlite3_mprintf("%q", s->path);
		if (q == NULL)
			return HK_ERR_ALLOC;
		uri = sqlite3_mprintf("file:%s?immutable=1", q);
		sqlite3_free(q);
		if (uri == NULL)
			return HK_ERR_ALLOC;
		of |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2(uri != NULL ? uri : s->path, &s->db, of, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK) {
		int r = hk_sq_err(s, rc, "cannot open");
		sqlite3_close_v2(s->db);
		s->db = NULL;
		return r;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);
	return 0;
}

/* Read the first column of a one-row pragma or query as an integer. */
int
hk_sq_int(struct hk_sq *s, const char *sql, int64_t *vp)
{
	sqlite3_stmt *st;
	int r, rc;

	*vp = 0;
	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*vp = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "reading the schema");
	hk_sq_finalize(s, st);
	return r;
}

static int
sq_open(const char *path, unsigned int flags, void **bep)
{
	struct hk_sq *s;
	struct stat sb;
	int64_t v;
	int r, ro = (flags & HK_STORE_READONLY) != 0, created = 0;

	*bep = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		return HK_ERR_ALLOC;
	}
	s->flags = flags;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT || !(flags & HK_STORE_CREATE) || ro) {
			r = hk_errf(errno == ENOENT ? HK_ERR_INVENTORY_NOT_FOUND : HK_ERR_INVENTORY,
			    "inventory %s: %s%s", path, strerror(errno), errno == ENOENT ?
			    " (nothing was recorded yet, or give --inventory PATH)" : "");
			goto out;
		}
		if ((r = make_parent(s, path)) != 0 || (r = make_private(s, &created)) != 0)
			goto out;
	} else if (!S_ISREG(sb.st_mode)) {
		r = hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory %s: not a regular file", path);
		goto out;
	}
	if ((r = sq_open_db(s, flags, 0)) != 0)
		goto out;
	if (!ro && sqlite3_db_readonly(s->db, "main") == 1) {
		r = hk_errf(HK_ERR_INVENTORY_READONLY, "inventory %s: the file or its file "
		    "system is read-only; nothing was written", path);
		goto out;
	}
	/* Touches the header: NOTADB for a file that is no database. */
	r = hk_sq_int(s, "PRAGMA application_id", &v);
	if (r != 0 && ro) {
		/* The -shm of a WAL file cannot be made on a read-only mount. */
		int64_t dummy;
		hk_sq_uncache(s);
		sqlite3_close_v2(s->db);
		s->db = NULL;
		hk_err_clear();
		if ((r = sq_open_db(s, flags, 1)) != 0)
			goto out;
		if ((r = hk_sq_int(s, "PRAGMA application_id", &dummy)) != 0)
			goto out;
	} else if (r != 0)
		goto out;
	/* Someone else's database, or a newer one: refused before anything changes it. */
	if ((r = hk_sq_schema_check(s, &v)) != 0)
		goto out;
	if (!ro) {
		sqlite3_stmt *st;
		const unsigned char *mode;
		int rc;

		if ((r = hk_sq_prepare(s, "PRAGMA journal_mode=WAL", &st)) != 0)
			goto out;
		rc = sqlite3_step(st);
		mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
		if (rc != SQLITE_ROW)
			r = hk_sq_err(s, rc, "switching to WAL");
		else if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
			r = hk_errf(HK_ERR_INVENTORY, "inventory %s: cannot use WAL (journal "
			    "mode %s)", path, mode != NULL ? (const char *)mode : "?");
		hk_sq_finalize(s, st);
		if (r != 0)
			goto out;
	}
	if ((r = hk_sq_exec(s, pragmas, "setting up")) != 0)
		goto out;
	if ((r = hk_sq_schema_open(s)) != 0)
		goto out;
	*bep = s;
	s = NULL;
 out:
	/* A file this open made and could not make an inventory of goes again. */
	if (s != NULL && created) {
		hk_sq_uncache(s);
		if (s->db != NULL)
			sqlite3_close_v2(s->db);
		s->db = NULL;
		unlink(path);
	}
	sq_close(s);
	return r;
}

static int
sq_schema_version(void *be, int *versionp)
{
	struct hk_sq *s = be;
	int64_t v;
	int r;

	if ((r = hk_sq_int(s, "PRAGMA user_version", &v)) != 0)
		return r;
	*versionp = (int)v;
	return 0;
}

static int
sq_check(void *be)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st;
	const unsigned char *t;
	int r, rc;

	if ((r = hk_sq_prepare(s, "PRAGMA integrity_check", &st)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		r = hk_sq_err(s, rc, "integrity check");
	else if ((t = sqlite3_column_text(st, 0)) == NULL || strcmp((const char *)t, "ok") != 0)
		r = hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory %s: integrity check: %s",
		    s->path, t != NULL ? (const char *)t : "no answer");
	hk_sq_finalize(s, st);
	if (r == 0) {
		if ((r = hk_sq_prepare(s, "PRAGMA foreign_key_check", &st)) != 0)
			return r;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			r = hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory %s: a row of %s "
			    "refers to a missing %s", s->path, sqlite3_column_text(st, 0),
			    sqlite3_column_text(st, 2));
		else if (rc != SQLITE_DONE)
			r = hk_sq_err(s, rc, "foreign key check");
		hk_sq_finalize(s, st);
	}
	return r;
}

/* A batch: one IMMEDIATE transaction; the calls inside nest as savepoints. */
static int
sq_batch_begin(void *be)
{
	struct hk_sq *s = be;
	int r;

	if (s->batch)
		return hk_errf(HK_ERR_INTERNAL, "inventory %s: batches do not nest", s->path);
	if ((r = hk_sq_run(s, "BEGIN IMMEDIATE", "starting a batch")) == 0)
		s->batch = 1;
	return r;
}

static int
sq_batch_end(void *be, int commit)
{
	struct hk_sq *s = be;
	int r = 0;

	s->batch = 0;
	if (commit && (r = hk_sq_run(s, "COMMIT", "committing a batch")) == 0)
		return 0;
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

const struct hk_store_impl hk_store_sqlite = {
	.name = "sqlite",
	.accepts = sq_accepts,
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.check = sq_check,
	.token_upsert = hk_sq_token_upsert,
	.token_get = hk_sq_token_get,
	.tokens_list = hk_sq_tokens_list,
	.key_put = hk_sq_key_put,
	.key_get = hk_sq_key_get,
	.key_find_fp = hk_sq_key_find_fp,
	.keys_list = hk_sq_keys_list,
	.key_delete = hk_sq_key_delete,
	.import_put = hk_sq_import_put,
	.import_update = hk_sq_import_update,
	.import_find = hk_sq_import_find,
	.imports_list = hk_sq_imports_list,
	.run_begin = hk_sq_run_begin,
	.run_end = hk_sq_run_end,
	.entry_get = hk_sq_entry_get,
	.entry_update = hk_sq_entry_update,
	.entries_list = hk_sq_entries_list,
	.journal = hk_sq_journal,
	.journal_last = hk_sq_journal_last,
	.journal_list = hk_sq_journal_list,
	.batch_begin = sq_batch_begin,
	.batch_end = sq_batch_end,
};
