/* The inventory handle: picks the backend for a path, serializes every call
 * on the handle (worker threads share one), checks what callers must give,
 * and frees the records lookups return. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "store_impl.h"

static const struct hk_store_impl *const backends[] = {
	&hk_store_sqlite,
	NULL,
};

struct hk_store {
	const struct hk_store_impl *impl;
	void *be;
	char *path;
	pthread_mutex_t lock;
};

int
hk_store_schema_current(void)
{
	return HK_STORE_SCHEMA;
}

int64_t
hk_store_now(void)
{
	return (int64_t)time(NULL);
}

char *
hk_store_strdup(const char *s, int *okp)
{
	char *r;

	if (s == NULL)
		return NULL;
	if ((r = strdup(s)) == NULL)
		*okp = 0;
	return r;
}

void
hk_store_fp_norm(const char *fp, char *buf, size_t size)
{
	size_t o = 0, len;

	if (size == 0)
		return;
	if (strncasecmp(fp, "md5:", 4) == 0)
		fp += 4;
	else if (strncasecmp(fp, "sha256:", 7) == 0)
		fp += 7;
	len = strlen(fp);
	while (len > 0 && fp[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (fp[i] == ':')
			continue;
		buf[o++] = (char)tolower((unsigned char)fp[i]);
	}
	buf[o] = '\0';
}

int
hk_store_ptrv_push(void ***vp, size_t *np, void *p)
{
	void **nv;

	/* Grow by powers of two: the count is a power of two when full. */
	if ((*np & (*np - 1)) == 0) {
		size_t cap = *np == 0 ? 8 : *np * 2;
		if (*np != 0 && *np < 8)
			cap = 8;
		if ((nv = realloc(*vp, cap * sizeof(*nv))) == NULL)
			return HK_ERR_ALLOC;
		*vp = nv;
	}
	(*vp)[(*np)++] = p;
	return 0;
}

int
hk_store_default_path(char **pathp)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *p = NULL;

	*pathp = NULL;
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&p, "%s/hwkey/inventory.db", xdg) < 0)
			return HK_ERR_ALLOC;
	} else if (home != NULL && home[0] != '\0') {
		if (asprintf(&p, "%s/.local/share/hwkey/inventory.db", home) < 0)
			return HK_ERR_ALLOC;
	} else
		return hk_errf(HK_ERR_INVENTORY_NOT_FOUND,
		    "inventory: neither XDG_DATA_HOME nor HOME is set; give --inventory PATH");
	*pathp = p;
	return 0;
}

int
hk_store_open(const char *path, unsigned int flags, struct hk_store **stp)
{
	struct hk_store *st = NULL;
	pthread_mutexattr_t ma;
	char *def = NULL;
	size_t i;
	int r;

	*stp = NULL;
	if (path == NULL) {
		if ((r = hk_store_default_path(&def)) != 0)
			return r;
		path = def;
	}
	if (path[0] == '\0') {
		r = hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: empty path");
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->path = strdup(path)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 0; backends[i] != NULL; i++)
		if (backends[i]->accepts(path))
			break;
	if (backends[i] == NULL) {
		r = hk_errf(HK_ERR_NOT_SUPPORTED, "inventory %s: no backend for this kind of "
		    "inventory (a file name for SQLite)", path);
		goto out;
	}
	st->impl = backends[i];
	if ((r = st->impl->open(path, flags, &st->be)) != 0)
		goto out;
	/* Recursive: a batch holds the lock across the calls it groups. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	errno = pthread_mutex_init(&st->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	if (errno != 0) {
		st->impl->close(st->be);
		st->be = NULL;
		r = HK_ERR_INTERNAL;
		goto out;
	}
	*stp = st;
	st = NULL;
 out:
	if (st != NULL) {
		free(st->path);
		free(st);
	}
	free(def);
	return r;
}

void
hk_store_close(struct hk_store *st)
{
	if (st == NULL)
		return;
	if (st->be != NULL) {
		st->impl->close(st->be);
		pthread_mutex_destroy(&st->lock);
	}
	free(st->path);
	free(st);
}

const char *
hk_store_path(const struct hk_store *st)
{
	return st->path;
}

const char *
hk_store_backend(const struct hk_store *st)
{
	return st->impl->name;
}

/* Every call: under the handle's lock. */
#define LOCKED(st, call) do {				\
	int r_;						\
	pthread_mutex_lock(&(st)->lock);		\
	r_ = (st)->impl->call;				\
	pthread_mutex_unlock(&(st)->lock);		\
	return r_;					\
} while (0)

static int
need(const char *what, const char *field, const void *v)
{
	if (v == NULL || (field != NULL && ((const char *)v)[0] == '\0'))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: %s without %s",
		    what, field != NULL ? field : "a value");
	return 0;
}

int
hk_store_schema_version(struct hk_store *st, int *versionp)
{
	*versionp = 0;
	LOCKED(st, schema_version(st->be, versionp));
}

int
hk_store_check(struct hk_store *st)
{
	LOCKED(st, check(st->be));
}

/* ---- tokens ---- */

int
hk_store_token_upsert(struct hk_store *st, const struct hk_store_token *tok, int64_t *idp)
{
	int r;

	if (idp != NULL)
		*idp = 0;
	if ((r = need("token", "backend", tok->backend)) != 0 ||
	    (r = need("token", "serial", tok->serial)) != 0)
		return r;
	LOCKED(st, token_upsert(st->be, tok, idp));
}

int
hk_store_token_get(struct hk_store *st, int64_t id, struct hk_store_token **tokp)
{
	*tokp = NULL;
	LOCKED(st, token_get(st->be, id, NULL, NULL, tokp));
}

int
hk_store_token_find(struct hk_store *st, const char *backend, const char *serial,
    struct hk_store_token **tokp)
{
	int r;

	*tokp = NULL;
	if ((r = need("token lookup", "backend", backend)) != 0 ||
	    (r = need("token lookup", "serial", serial)) != 0)
		return r;
	LOCKED(st, token_get(st->be, 0, backend, serial, tokp));
}

int
hk_store_tokens_list(struct hk_store *st, struct hk_store_token ***toksp, size_t *np)
{
	*toksp = NULL;
	*np = 0;
	LOCKED(st, tokens_list(st->be, toksp, np));
}

static void
sfree(const char *s)
{
	free((void *)(uintptr_t)s);
}

void
hk_store_token_free(struct hk_store_token *t)
{
	if (t == NULL)
		return;
	sfree(t->backend);
	sfree(t->serial);
	sfree(t->manufacturer);
	sfree(t->model);
	sfree(t->firmware);
	sfree(t->label);
	sfree(t->uri);
	sfree(t->aaguid);
	sfree(t->person);
	free(t);
}

void
hk_store_tokens_free(struct hk_store_token **toks, size_t n)
{
	for (size_t i = 0; toks != NULL && i < n; i++)
		hk_store_token_free(toks[i]);
	free(toks);
}

/* ---- keys ---- */

int
hk_store_key_put(struct hk_store *st, const struct hk_store_key *key, int64_t *idp)
{
	int r;

	if (idp != NULL)
		*idp = 0;
	if ((r = need("key", "ref", key->ref)) != 0 ||
	    (r = need("key", NULL, key->key)) != 0)
		return r;
	if (key->token_id <= 0)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: key %s without a token",
		    key->ref);
	LOCKED(st, key_put(st->be, key, idp));
}

int
hk_store_key_get(struct hk_store *st, int64_t id, struct hk_store_key **keyp)
{
	*keyp = NULL;
	LOCKED(st, key_get(st->be, id, 0, NULL, keyp));
}

int
hk_store_key_find(struct hk_store *st, int64_t token_id, const char *ref,
    struct hk_store_key **keyp)
{
	int r;

	*keyp = NULL;
	if ((r = need("key lookup", "ref", ref)) != 0)
		return r;
	LOCKED(st, key_get(st->be, 0, token_id, ref, keyp));
}

int
hk_store_key_find_fp(struct hk_store *st, enum hk_fp fp, const char *value,
    struct hk_store_key **keyp)
{
	struct hk_store_key **cand = NULL;
	char norm[HK_FP_MAX];
	size_t n = 0, i;
	int r;

	*keyp = NULL;
	if ((r = need("fingerprint lookup", "fingerprint", value)) != 0)
		return r;
	if ((unsigned int)fp >= HK_STORE_NFP)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: fingerprint kind %d", (int)fp);
	hk_store_fp_norm(value, norm, sizeof(norm));
	pthread_mutex_lock(&st->lock);
	r = st->impl->key_find_fp(st->be, fp, norm, &cand, &n);
	pthread_mutex_unlock(&st->lock);
	if (r != 0)
		return r;
	/* The normal form folds case; the match itself is hk_fp_equal's. */
	for (i = 0; i < n; i++) {
		if (*keyp == NULL && cand[i]->fp[fp] != NULL &&
		    hk_fp_equal(cand[i]->fp[fp], value)) {
			*keyp = cand[i];
			cand[i] = NULL;
		}
	}
	hk_store_keys_free(cand, n);
	return 0;
}

int
hk_store_keys_list(struct hk_store *st, int64_t token_id, struct hk_store_key ***keysp,
    size_t *np)
{
	*keysp = NULL;
	*np = 0;
	LOCKED(st, keys_list(st->be, token_id, keysp, np));
}

int
hk_store_key_delete(struct hk_store *st, int64_t id)
{
	LOCKED(st, key_delete(st->be, id));
}

void
hk_store_key_free(struct hk_store_key *k)
{
	if (k == NULL)
		return;
	sfree(k->ref);
	sfree(k->label);
	sfree(k->kind);
	hk_key_free(k->key);
	for (size_t i = 0; i < HK_STORE_NFP; i++)
		sfree(k->fp[i]);
	sfree(k->proof_kind);
	sfree(k->proof_detail);
	free((void *)(uintptr_t)k->attestation);
	sfree(k->attestation_format);
	sfree(k->person);
	free(k);
}

void
hk_store_keys_free(struct hk_store_key **keys, size_t n)
{
	for (size_t i = 0; keys != NULL && i < n; i++)
		hk_store_key_free(keys[i]);
	free(keys);
}

/* ---- imports ---- */

static const char *const import_status[] = {
	[HK_STORE_IMPORT_PENDING] = "pending",
	[HK_STORE_IMPORT_VERIFIED] = "verified",
	[HK_STORE_IMPORT_FAILED] = "failed",
	[HK_STORE_IMPORT_MISMATCH] = "mismatch",
	[HK_STORE_IMPORT_DELETED] = "deleted",
};

const char *
hk_store_import_status_name(enum hk_store_import_status s)
{
	if ((unsigned int)s >= sizeof(import_status) / sizeof(import_status[0]))
		return "unknown";
	return import_status[s];
}

int
hk_store_import_status_from_name(const char *name, enum hk_store_import_status *sp)
{
	for (size_t i = 0; i < sizeof(import_status) / sizeof(import_status[0]); i++) {
		if (strcmp(name, import_status[i]) == 0) {
			*sp = (enum hk_store_import_status)i;
			return 0;
		}
	}
	return hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory: unknown import status \"%s\"",
	    name);
}

int
hk_store_import_put(struct hk_store *st, const struct hk_store_import *imp, int64_t *idp)
{
	int r;

	if (idp != NULL)
		*idp = 0;
	if ((r = need("import", "provider", imp->provider)) != 0 ||
	    (r = need("import", "region", imp->region)) != 0 ||
	    (r = need("import", "name", imp->name)) != 0)
		return r;
	if (imp->key_id <= 0)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: import %s without a key",
		    imp->name);
	if ((unsigned int)imp->status >= sizeof(import_status) / sizeof(import_status[0]))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: import status %d",
		    (int)imp->status);
	LOCKED(st, import_put(st->be, imp, idp));
}

int
hk_store_import_update(struct hk_store *st, int64_t id, enum hk_store_import_status status,
    const char *cloud_fp, const char *error)
{
	if ((unsigned int)status >= sizeof(import_status) / sizeof(import_status[0]))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: import status %d",
		    (int)status);
	LOCKED(st, import_update(st->be, id, status, cloud_fp, error));
}

int
hk_store_import_find(struct hk_store *st, const char *provider, const char *account,
    const char *region, const char *name, struct hk_store_import **impp)
{
	int r;

	*impp = NULL;
	if ((r = need("import lookup", "provider", provider)) != 0 ||
	    (r = need("import lookup", "region", region)) != 0 ||
	    (r = need("import lookup", "name", name)) != 0)
		return r;
	LOCKED(st, import_find(st->be, provider, account != NULL ? account : "", region,
	    name, impp));
}

int
hk_store_imports_list(struct hk_store *st, int64_t key_id, struct hk_store_import ***impsp,
    size_t *np)
{
	*impsp = NULL;
	*np = 0;
	LOCKED(st, imports_list(st->be, key_id, impsp, np));
}

void
hk_store_import_free(struct hk_store_import *i)
{
	if (i == NULL)
		return;
	sfree(i->provider);
	sfree(i->account);
	sfree(i->region);
	sfree(i->name);
	sfree(i->cloud_fp);
	sfree(i->error);
	free(i);
}

void
hk_store_imports_free(struct hk_store_import **imps, size_t n)
{
	for (size_t i = 0; imps != NULL && i < n; i++)
		hk_store_import_free(imps[i]);
	free(imps);
}

/* ---- runs, entries, journal ---- */

int
hk_store_run_begin(struct hk_store *st, const char *plan, const char *station,
    int64_t *run_idp)
{
	*run_idp = 0;
	LOCKED(st, run_begin(st->be, plan != NULL ? plan : "", station, run_idp));
}

int
hk_store_run_end(struct hk_store *st, int64_t run_id, const char *outcome)
{
	int r;

	if ((r = need("run end", "outcome", outcome)) != 0)
		return r;
	LOCKED(st, run_end(st->be, run_id, outcome));
}

int
hk_store_entry_get(struct hk_store *st, const char *plan, const char *entry,
    struct hk_store_entry **entryp)
{
	int r;

	*entryp = NULL;
	if ((r = need("plan entry", "entry key", entry)) != 0)
		return r;
	LOCKED(st, entry_get(st->be, plan != NULL ? plan : "", entry, entryp));
}

int
hk_store_entry_update(struct hk_store *st, int64_t entry_id, int64_t token_id,
    int64_t key_id, const char *state)
{
	LOCKED(st, entry_update(st->be, entry_id, token_id, key_id, state));
}

int
hk_store_entries_list(struct hk_store *st, const char *plan, struct hk_store_entry ***esp,
    size_t *np)
{
	*esp = NULL;
	*np = 0;
	LOCKED(st, entries_list(st->be, plan, esp, np));
}

void
hk_store_entry_free(struct hk_store_entry *e)
{
	if (e == NULL)
		return;
	sfree(e->plan);
	sfree(e->entry);
	sfree(e->state);
	free(e);
}

void
hk_store_entries_free(struct hk_store_entry **es, size_t n)
{
	for (size_t i = 0; es != NULL && i < n; i++)
		hk_store_entry_free(es[i]);
	free(es);
}

int
hk_store_journal(struct hk_store *st, int64_t entry_id, int64_t run_id, const char *step,
    enum hk_store_phase phase, const char *outcome, int code, const char *detail)
{
	struct hk_store_journal j;
	int r;

	if ((r = need("journal row", "step", step)) != 0)
		return r;
	if (phase != HK_STORE_BEGIN && phase != HK_STORE_END)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "inventory: journal phase %d", (int)phase);
	if (phase == HK_STORE_END && (r = need("journal end row", "outcome", outcome)) != 0)
		return r;
	memset(&j, 0, sizeof(j));
	j.entry_id = entry_id;
	j.run_id = run_id;
	j.step = step;
	j.phase = phase;
	j.outcome = outcome;
	j.code = code;
	j.detail = detail;
	LOCKED(st, journal(st->be, &j));
}

int
hk_store_journal_last(struct hk_store *st, int64_t entry_id, const char *step,
    struct hk_store_journal **jp)
{
	*jp = NULL;
	LOCKED(st, journal_last(st->be, entry_id, step, jp));
}

int
hk_store_journal_list(struct hk_store *st, int64_t entry_id, struct hk_store_journal ***jsp,
    size_t *np)
{
	*jsp = NULL;
	*np = 0;
	LOCKED(st, journal_list(st->be, entry_id, jsp, np));
}

void
hk_store_journal_free(struct hk_store_journal *j)
{
	if (j == NULL)
		return;
	sfree(j->step);
	sfree(j->outcome);
	sfree(j->detail);
	free(j);
}

void
hk_store_journals_free(struct hk_store_journal **js, size_t n)
{
	for (size_t i = 0; js != NULL && i < n; i++)
		hk_store_journal_free(js[i]);
	free(js);
}

int
hk_store_batch_begin(struct hk_store *st)
{
	int r = 0;

	pthread_mutex_lock(&st->lock);
	if (st->impl->batch_begin != NULL && (r = st->impl->batch_begin(st->be)) != 0)
		pthread_mutex_unlock(&st->lock);
	return r;
}

int
hk_store_batch_end(struct hk_store *st, int r)
{
	int rc = 0;

	if (st->impl->batch_end != NULL)
		rc = st->impl->batch_end(st->be, r == 0);
	pthread_mutex_unlock(&st->lock);
	return r != 0 ? r : rc;
}
