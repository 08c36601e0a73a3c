/* What hwkey inventory and hwkey audit share: opening the inventory for
 * reading, a key as JSON and its person, times as text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_inventory.h"
#include "err.h"
#include "key.h"

int
hk_cli_inventory_open(const char *path, struct hk_store **stp)
{
	int r;

	if ((r = hk_store_open(path, 0, stp)) == HK_ERR_INVENTORY_READONLY) {
		hk_err_clear();
		r = hk_store_open(path, HK_STORE_READONLY, stp);
	}
	return r;
}

int
hk_cli_inventory_fail(const struct hk_cmd *cmd, int json, int err)
{
	struct hk_error e;

	hk_error_take(&e, err);
	if (json)
		return hk_cli_fail_json(cmd, &e);
	return hk_cli_fail_error(cmd, &e);
}

const char *
hk_cli_inventory_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	buf[0] = '\0';
	if (t != 0 && gmtime_r(&tt, &tm) != NULL)
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *
hk_cli_inventory_person(const struct hk_store_key *k, const struct hk_store_token *t)
{
	if (k != NULL && k->person != NULL)
		return k->person;
	return t != NULL ? t->person : NULL;
}

const struct hk_store_token *
hk_cli_inventory_token_of(struct hk_store_token *const *toks, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (toks[i]->id == id)
			return toks[i];
	return NULL;
}

json_t *
hk_cli_inventory_fps_json(const struct hk_store_key *k)
{
	json_t *o = json_object();

	for (int i = 0; o != NULL && i < HK_STORE_NFP; i++)
		if (k->fp[i] != NULL)
			json_object_set_new(o, hk_fp_name((enum hk_fp)i), json_string(k->fp[i]));
	return o;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
hk_cli_inventory_token_json(const struct hk_store_token *t)
{
	char a[32], b[32];

	return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:s}",
	    "id", (json_int_t)t->id, "backend", t->backend, "serial", t->serial,
	    "manufacturer", str_or_null(t->manufacturer), "model", str_or_null(t->model),
	    "firmware", str_or_null(t->firmware), "label", str_or_null(t->label),
	    "token", str_or_null(t->uri), "aaguid", str_or_null(t->aaguid),
	    "person", str_or_null(t->person),
	    "first_seen", hk_cli_inventory_time(t->first_seen, a, sizeof(a)),
	    "last_seen", hk_cli_inventory_time(t->last_seen, b, sizeof(b)));
}

json_t *
hk_cli_inventory_import_json(const struct hk_store_import *imp)
{
	char a[32], b[32];

	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:s,s:s}",
	    "id", (json_int_t)imp->id, "key_id", (json_int_t)imp->key_id,
	    "cloud", imp->provider, "account", imp->account != NULL ? imp->account : "",
	    "region", imp->region, "name", imp->name,
	    "cloud_fingerprint", str_or_null(imp->cloud_fp),
	    "status", hk_store_import_status_name(imp->status),
	    "error", str_or_null(imp->error),
	    "created", hk_cli_inventory_time(imp->created, a, sizeof(a)),
	    "updated", hk_cli_inventory_time(imp->updated, b, sizeof(b)));
}

json_t *
hk_cli_inventory_key_json(const struct hk_store_key *k, const struct hk_store_token *t,
    struct hk_store_import *const *imps, size_t nimps)
{
	char created[32], *line = NULL;
	json_t *o, *arr;
	size_t len;

	if (hk_key_write(k->key, HK_FMT_OPENSSH, &line) != 0)
		return NULL;
	if ((len = strlen(line)) > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	o = json_pack("{s:I,s:I,s:o,s:o,s:o,s:s,s:o,s:s,s:s,s:i,s:s,s:o,"
	    "s:{s:s,s:b,s:o},s:o,s:I,s:o,s:s}",
	    "id", (json_int_t)k->id, "token_id", (json_int_t)k->token_id,
	    "token", str_or_null(t != NULL ? t->uri : NULL),
	    "backend", str_or_null(t != NULL ? t->backend : NULL),
	    "serial", str_or_null(t != NULL ? t->serial : NULL),
	    "ref", k->ref, "label", str_or_null(k->label),
	    "type", k->kind != NULL ? k->kind : "unknown", "ssh_type", hk_key_type_name(k->key),
	    "bits", (int)hk_key_bits(k->key), "public_key", line,
	    "fingerprints", hk_cli_inventory_fps_json(k),
	    "proof", "kind", k->proof_kind != NULL ? k->proof_kind : "none",
	    "verified", k->proof_verified != 0, "detail", str_or_null(k->proof_detail),
	    "attestation_format", str_or_null(k->attestation_format),
	    "attestation_size", (json_int_t)k->attestation_len,
	    "person", str_or_null(hk_cli_inventory_person(k, t)),
	    "created", hk_cli_inventory_time(k->created, created, sizeof(created)));
	free(line);
	if (o != NULL && imps != NULL) {
		if ((arr = json_array()) == NULL) {
			json_decref(o);
			return NULL;
		}
		for (size_t i = 0; i < nimps; i++)
			json_array_append_new(arr, hk_cli_inventory_import_json(imps[i]));
		json_object_set_new(o, "imports", arr);
	}
	return o;
}
