/* SQLite inventory rows: tokens, the keys on them and every fingerprint of
 * each key (computed here by the core, so a lookup by any form finds it). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_sqlite.h"

/* ---- tokens ---- */

#define TOKEN_COLS "id, backend, serial, manufacturer, model, firmware, label, uri, " \
	"aaguid, person, first_seen, last_seen"

static int
token_row(sqlite3_stmt *st, struct hk_store_token **tokp)
{
	struct hk_store_token *t;
	int ok = 1;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return HK_ERR_ALLOC;
	t->id = sqlite3_column_int64(st, 0);
	t->backend = hk_sq_col_text(st, 1, &ok);
	t->serial = hk_sq_col_text(st, 2, &ok);
	t->manufacturer = hk_sq_col_text(st, 3, &ok);
	t->model = hk_sq_col_text(st, 4, &ok);
	t->firmware = hk_sq_col_text(st, 5, &ok);
	t->label = hk_sq_col_text(st, 6, &ok);
	t->uri = hk_sq_col_text(st, 7, &ok);
	t->aaguid = hk_sq_col_text(st, 8, &ok);
	t->person = hk_sq_col_text(st, 9, &ok);
	t->first_seen = sqlite3_column_int64(st, 10);
	t->last_seen = sqlite3_column_int64(st, 11);
	if (!ok) {
		hk_store_token_free(t);
		return HK_ERR_ALLOC;
	}
	*tokp = t;
	return 0;
}

int
hk_sq_token_upsert(void *be, const struct hk_store_token *tok, int64_t *idp)
{
	static const char sql[] =
	    "INSERT INTO tokens (backend, serial, manufacturer, model, firmware, label, uri,"
	    " aaguid, person, first_seen, last_seen) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)"
	    " ON CONFLICT (backend, serial) DO UPDATE SET"
	    " manufacturer = coalesce(excluded.manufacturer, manufacturer),"
	    " model = coalesce(excluded.model, model),"
	    " firmware = coalesce(excluded.firmware, firmware),"
	    " label = coalesce(excluded.label, label),"
	    " uri = coalesce(excluded.uri, uri),"
	    " aaguid = coalesce(excluded.aaguid, aaguid),"
	    " person = coalesce(excluded.person, person),"
	    " last_seen = excluded.last_seen"
	    " RETURNING id";
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		return r;
	hk_sq_bind_text(st, 1, tok->backend);
	hk_sq_bind_text(st, 2, tok->serial);
	hk_sq_bind_text(st, 3, tok->manufacturer);
	hk_sq_bind_text(st, 4, tok->model);
	hk_sq_bind_text(st, 5, tok->firmware);
	hk_sq_bind_text(st, 6, tok->label);
	hk_sq_bind_text(st, 7, tok->uri);
	hk_sq_bind_text(st, 8, tok->aaguid);
	hk_sq_bind_text(st, 9, tok->person);
	sqlite3_bind_int64(st, 10, hk_store_now());
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (idp != NULL)
			*idp = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "recording a token");
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_token_get(void *be, int64_t id, const char *backend, const char *serial,
    struct hk_store_token **tokp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = hk_sq_prepare(s, backend != NULL ?
	    "SELECT " TOKEN_COLS " FROM tokens WHERE backend = ?2 AND serial = ?3" :
	    "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	hk_sq_bind_text(st, 2, backend);
	hk_sq_bind_text(st, 3, serial);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = token_row(st, tokp);
	else if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "reading a token");
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_tokens_list(void *be, struct hk_store_token ***toksp, size_t *np)
{
	struct hk_sq *s = be;
	struct hk_store_token *t, **v = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int r, rc;

	if ((r = hk_sq_prepare(s, "SELECT " TOKEN_COLS " FROM tokens ORDER BY id", &st)) != 0)
		return r;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = token_row(st, &t)) == 0 &&
		    (r = hk_store_ptrv_push((void ***)&v, &n, t)) != 0)
			hk_store_token_free(t);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "listing tokens");
	hk_sq_finalize(s, st);
	if (r != 0) {
		hk_store_tokens_free(v, n);
		return r;
	}
	*toksp = v;
	*np = n;
	return 0;
}

/* ---- keys ---- */

int
hk_sq_key_fingerprints(struct hk_sq *s, int64_t key_id, const struct hk_key *key)
{
	static const char sql[] =
	    "INSERT INTO key_fingerprints (key_id, kind, value, norm) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (key_id, kind) DO NOTHING";
	sqlite3_stmt *st = NULL;
	char fp[HK_FP_MAX], norm[HK_FP_MAX];
	int r, e;

	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		return r;
	for (int i = 0; i < HK_STORE_NFP && r == 0; i++) {
		/* Where a cloud's formula does not apply to the type, there is none to keep. */
		if ((e = hk_key_fingerprint_buf(key, (enum hk_fp)i, fp, sizeof(fp))) != 0) {
			hk_err_clear();
			if (e == HK_ERR_NOT_SUPPORTED)
				continue;
			r = hk_errf(e, "inventory %s: %s fingerprint of key %lld", s->path,
			    hk_fp_name((enum hk_fp)i), (long long)key_id);
			break;
		}
		hk_store_fp_norm(fp, norm, sizeof(norm));
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, key_id);
		hk_sq_bind_text(st, 2, hk_fp_name((enum hk_fp)i));
		hk_sq_bind_text(st, 3, fp);
		hk_sq_bind_text(st, 4, norm);
		r = hk_sq_step_done(s, st, "recording a fingerprint");
	}
	hk_sq_finalize(s, st);
	return r;
}

static int
key_insert(struct hk_sq *s, const struct hk_store_key *key, int64_t *idp)
{
	static const char sql[] =
	    "INSERT INTO keys (token_id, ref, label, kind, blob, pubkey, proof_kind,"
	    " proof_verified, proof_detail, attestation, attestation_format, person, created)"
	    " VALUES (?1,?2,?3,?4,?5,?6,coalesce(?7,'none'),?8,?9,?10,?11,?12,?13) RETURNING id";
	char kind[HK_KEY_KIND_MAX], *line = NULL;
	sqlite3_stmt *st = NULL;
	size_t len;
	int r, rc;

	if ((r = hk_key_write(key->key, HK_FMT_OPENSSH, &line)) != 0)
		return r;
	if ((len = strlen(line)) > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, key->token_id);
	hk_sq_bind_text(st, 2, key->ref);
	hk_sq_bind_text(st, 3, key->label);
	hk_sq_bind_text(st, 4, hk_key_kind_of(key->key, kind, sizeof(kind)));
	sqlite3_bind_blob(st, 5, hk_key_blob_ptr(key->key), (int)hk_key_blob_len(key->key),
	    SQLITE_TRANSIENT);
	hk_sq_bind_text(st, 6, line);
	hk_sq_bind_text(st, 7, key->proof_kind);
	sqlite3_bind_int(st, 8, key->proof_verified ? 1 : 0);
	hk_sq_bind_text(st, 9, key->proof_detail);
	if (key->attestation != NULL && key->attestation_len > 0)
		sqlite3_bind_blob(st, 10, key->attestation, (int)key->attestation_len,
		    SQLITE_TRANSIENT);
	hk_sq_bind_text(st, 11, key->attestation_format);
	hk_sq_bind_text(st, 12, key->person);
	sqlite3_bind_int64(st, 13, hk_store_now());
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*idp = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		r = rc == SQLITE_CONSTRAINT_FOREIGNKEY ?
		    hk_errf(HK_ERR_INVENTORY_NO_RECORD, "inventory %s: key %s: no token %lld",
		    s->path, key->ref, (long long)key->token_id) :
		    hk_sq_err(s, rc, "recording a key");
 out:
	hk_sq_finalize(s, st);
	free(line);
	return r;
}

/* The same key seen again: what the caller knows now, over what was kept. */
static int
key_update(struct hk_sq *s, int64_t id, const struct hk_store_key *key)
{
	static const char sql[] =
	    "UPDATE keys SET label = coalesce(?2, label),"
	    " proof_kind = coalesce(?3, proof_kind),"
	    " proof_verified = CASE WHEN ?3 IS NULL THEN proof_verified ELSE ?4 END,"
	    " proof_detail = CASE WHEN ?3 IS NULL THEN proof_detail ELSE ?5 END,"
	    " attestation = coalesce(?6, attestation),"
	    " attestation_format = coalesce(?7, attestation_format),"
	    " person = coalesce(?8, person) WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, sql, &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	hk_sq_bind_text(st, 2, key->label);
	hk_sq_bind_text(st, 3, key->proof_kind);
	sqlite3_bind_int(st, 4, key->proof_verified ? 1 : 0);
	hk_sq_bind_text(st, 5, key->proof_detail);
	if (key->attestation != NULL && key->attestation_len > 0)
		sqlite3_bind_blob(st, 6, key->attestation, (int)key->attestation_len,
		    SQLITE_TRANSIENT);
	hk_sq_bind_text(st, 7, key->attestation_format);
	hk_sq_bind_text(st, 8, key->person);
	r = hk_sq_step_done(s, st, "updating a key");
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_key_put(void *be, const struct hk_store_key *key, int64_t *idp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int r, rc;

	if ((r = hk_sq_begin(s)) != 0)
		return r;
	if ((r = hk_sq_prepare(s, "SELECT id, blob FROM keys WHERE token_id = ?1 AND ref = ?2",
	    &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, key->token_id);
	hk_sq_bind_text(st, 2, key->ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		id = sqlite3_column_int64(st, 0);
		if (len != hk_key_blob_len(key->key) ||
		    memcmp(blob, hk_key_blob_ptr(key->key), len) != 0) {
			r = hk_errf(HK_ERR_INVENTORY_CONFLICT, "inventory %s: token %lld key %s "
			    "is recorded with another public key (inventory key %lld)", s->path,
			    (long long)key->token_id, key->ref, (long long)id);
			goto out;
		}
	} else if (rc != SQLITE_DONE) {
		r = hk_sq_err(s, rc, "looking up a key");
		goto out;
	}
	hk_sq_finalize(s, st);
	st = NULL;
	if (id != 0)
		r = key_update(s, id, key);
	else
		r = key_insert(s, key, &id);
	if (r == 0)
		r = hk_sq_key_fingerprints(s, id, key->key);
 out:
	hk_sq_finalize(s, st);
	if ((r = hk_sq_end(s, r)) == 0 && idp != NULL)
		*idp = id;
	return r;
}

#define KEY_COLS "id, token_id, ref, label, kind, blob, proof_kind, proof_verified, " \
	"proof_detail, attestation, attestation_format, person, created"

static int
key_row(struct hk_sq *s, sqlite3_stmt *st, struct hk_store_key **keyp)
{
	struct hk_store_key *k;
	sqlite3_stmt *fst = NULL;
	const void *att;
	int ok = 1, r, rc;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return HK_ERR_ALLOC;
	k->id = sqlite3_column_int64(st, 0);
	k->token_id = sqlite3_column_int64(st, 1);
	k->ref = hk_sq_col_text(st, 2, &ok);
	k->label = hk_sq_col_text(st, 3, &ok);
	k->kind = hk_sq_col_text(st, 4, &ok);
	if ((r = hk_key_from_blob(sqlite3_column_blob(st, 5),
	    (size_t)sqlite3_column_bytes(st, 5), &k->key)) != 0) {
		r = hk_errf(HK_ERR_INVENTORY_CORRUPT, "inventory %s: key %lld: the public "
		    "key recorded does not parse (%s)", s->path, (long long)k->id,
		    hk_strerror(r));
		goto out;
	}
	k->proof_kind = hk_sq_col_text(st, 6, &ok);
	k->proof_verified = sqlite3_column_int(st, 7);
	k->proof_detail = hk_sq_col_text(st, 8, &ok);
	if ((att = sqlite3_column_blob(st, 9)) != NULL) {
		size_t len = (size_t)sqlite3_column_bytes(st, 9);
		uint8_t *p = malloc(len);

		if (p == NULL)
			ok = 0;
		else
			memcpy(p, att, len);
		k->attestation = p;
		k->attestation_len = len;
	}
	k->attestation_format = hk_sq_col_text(st, 10, &ok);
	k->person = hk_sq_col_text(st, 11, &ok);
	k->created = sqlite3_column_int64(st, 12);
	if (!ok) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_sq_prepare(s, "SELECT kind, value FROM key_fingerprints WHERE key_id = ?1",
	    &fst)) != 0)
		goto out;
	sqlite3_bind_int64(fst, 1, k->id);
	while ((rc = sqlite3_step(fst)) == SQLITE_ROW) {
		enum hk_fp fp;

		/* A kind a newer hwkey added is kept in the file, not in the record. */
		if (hk_fp_from_name((const char *)sqlite3_column_text(fst, 0), &fp) != 0) {
			hk_err_clear();
			continue;
		}
		if ((unsigned int)fp < HK_STORE_NFP && k->fp[fp] == NULL)
			k->fp[fp] = hk_sq_col_text(fst, 1, &ok);
	}
	if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "reading fingerprints");
	else if (!ok)
		r = HK_ERR_ALLOC;
 out:
	hk_sq_finalize(s, fst);
	if (r != 0) {
		hk_store_key_free(k);
		return r;
	}
	*keyp = k;
	return 0;
}

int
hk_sq_key_get(void *be, int64_t id, int64_t token_id, const char *ref,
    struct hk_store_key **keyp)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = hk_sq_prepare(s, ref != NULL ?
	    "SELECT " KEY_COLS " FROM keys WHERE token_id = ?2 AND ref = ?3" :
	    "SELECT " KEY_COLS " FROM keys WHERE id = ?1", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, token_id);
	hk_sq_bind_text(st, 3, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = key_row(s, st, keyp);
	else if (rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "reading a key");
	hk_sq_finalize(s, st);
	return r;
}

static int
keys_query(struct hk_sq *s, sqlite3_stmt *st, struct hk_store_key ***keysp, size_t *np)
{
	struct hk_store_key *k, **v = NULL;
	size_t n = 0;
	int r = 0, rc;

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = key_row(s, st, &k)) == 0 &&
		    (r = hk_store_ptrv_push((void ***)&v, &n, k)) != 0)
			hk_store_key_free(k);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = hk_sq_err(s, rc, "listing keys");
	if (r != 0) {
		hk_store_keys_free(v, n);
		return r;
	}
	*keysp = v;
	*np = n;
	return 0;
}

int
hk_sq_key_find_fp(void *be, enum hk_fp fp, const char *norm, struct hk_store_key ***keysp,
    size_t *np)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "SELECT " KEY_COLS " FROM keys WHERE id IN (SELECT key_id"
	    " FROM key_fingerprints WHERE kind = ?1 AND norm = ?2) ORDER BY id", &st)) != 0)
		return r;
	hk_sq_bind_text(st, 1, hk_fp_name(fp));
	hk_sq_bind_text(st, 2, norm);
	r = keys_query(s, st, keysp, np);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_keys_list(void *be, int64_t token_id, struct hk_store_key ***keysp, size_t *np)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, token_id > 0 ?
	    "SELECT " KEY_COLS " FROM keys WHERE token_id = ?1 ORDER BY id" :
	    "SELECT " KEY_COLS " FROM keys ORDER BY id", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, token_id);
	r = keys_query(s, st, keysp, np);
	hk_sq_finalize(s, st);
	return r;
}

int
hk_sq_key_delete(void *be, int64_t id)
{
	struct hk_sq *s = be;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hk_sq_prepare(s, "DELETE FROM keys WHERE id = ?1", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if ((r = hk_sq_step_done(s, st, "deleting a key")) == 0 && sqlite3_changes(s->db) == 0)
		r = hk_errf(HK_ERR_INVENTORY_NO_RECORD, "inventory %s: no key %lld", s->path,
		    (long long)id);
	hk_sq_finalize(s, st);
	return r;
}
