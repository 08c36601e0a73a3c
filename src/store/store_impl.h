/* Internal contract between src/store/store.c and each inventory backend:
 * the table of operations (one file per backend: store_sqlite.c; a
 * PostgreSQL backend is one more), and helpers backends share to build the
 * records they return. store.c serializes every call on one handle. */
#ifndef HK_STORE_IMPL_H
#define HK_STORE_IMPL_H

#include "store.h"

/* The schema version every backend writes (hk_store_schema_current). */
#define HK_STORE_SCHEMA	3

struct hk_store_impl {
	const char *name;		/* "sqlite": hk_store_backend() */
	/* 1 when this backend serves path ("postgresql://..." or a file name). */
	int (*accepts)(const char *path);
	int (*open)(const char *path, unsigned int flags, void **bep);
	void (*close)(void *be);
	int (*schema_version)(void *be, int *versionp);
	int (*check)(void *be);

	int (*token_upsert)(void *be, const struct hk_store_token *tok, int64_t *idp);
	/* by id (id != 0) or by (backend, serial) */
	int (*token_get)(void *be, int64_t id, const char *backend, const char *serial,
	    struct hk_store_token **tokp);
	int (*tokens_list)(void *be, struct hk_store_token ***toksp, size_t *np);

	int (*key_put)(void *be, const struct hk_store_key *key, int64_t *idp);
	/* by id, by (token_id, ref), or by fingerprint (fp, value) */
	int (*key_get)(void *be, int64_t id, int64_t token_id, const char *ref,
	    struct hk_store_key **keyp);
	int (*key_find_fp)(void *be, enum hk_fp fp, const char *norm,
	    struct hk_store_key ***keysp, size_t *np);
	int (*keys_list)(void *be, int64_t token_id, struct hk_store_key ***keysp, size_t *np);
	int (*key_delete)(void *be, int64_t id);

	int (*import_put)(void *be, const struct hk_store_import *imp, int64_t *idp);
	int (*import_update)(void *be, int64_t id, enum hk_store_import_status status,
	    const char *cloud_fp, const char *error);
	int (*import_find)(void *be, const char *provider, const char *account,
	    const char *region, const char *name, struct hk_store_import **impp);
	int (*imports_list)(void *be, int64_t key_id, struct hk_store_import ***impsp,
	    size_t *np);

	int (*run_begin)(void *be, const char *plan, const char *station, int64_t *idp);
	int (*run_end)(void *be, int64_t run_id, const char *outcome);
	int (*entry_get)(void *be, const char *plan, const char *entry,
	    struct hk_store_entry **entryp);
	int (*entry_update)(void *be, int64_t entry_id, int64_t token_id, int64_t key_id,
	    const char *state);
	int (*entries_list)(void *be, const char *plan, struct hk_store_entry ***esp,
	    size_t *np);
	int (*journal)(void *be, const struct hk_store_journal *j);
	int (*journal_last)(void *be, int64_t entry_id, const char *step,
	    struct hk_store_journal **jp);
	int (*journal_list)(void *be, int64_t entry_id, struct hk_store_journal ***jsp,
	    size_t *np);
	/* hk_store_batch_*: one transaction around many calls (NULL: calls commit alone). */
	int (*batch_begin)(void *be);
	int (*batch_end)(void *be, int commit);
};

extern const struct hk_store_impl hk_store_sqlite;

/* Shared by backends. */
/* A copy of s (NULL stays NULL); *okp cleared on allocation failure. */
char *hk_store_strdup(const char *s, int *okp);
/*
 * The form fingerprints are looked up by: lowercase, without an
 * "md5:"/"sha256:" prefix, ':' separators and trailing '=' (hk_fp_equal's
 * rules). Into buf of HK_FP_MAX bytes.
 */
void hk_store_fp_norm(const char *fp, char *buf, size_t size);
/* Append p to a growing array of pointers. */
int hk_store_ptrv_push(void ***vp, size_t *np, void *p);
int64_t hk_store_now(void);

#endif /* HK_STORE_IMPL_H */
