/* hwkey inventory list|show|export: what was provisioned, from the
 * inventory (src/store): tokens, keys with every fingerprint and their
 * on-token proof, cloud imports, and the journal of each plan entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_inventory.h"
#include "err.h"
#include "file.h"
#include "key.h"

/* Each table sorted by name. */
static const struct hk_opt list_opts[] = {
	{ "inventory", 0, 1, "PATH", "the inventory (default ~/.local/share/hwkey/inventory.db)" },
	{ "json", 0, 0, NULL, "print JSON" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct hk_opt export_opts[] = {
	{ "csv", 0, 0, NULL, "one CSV row per key (RFC 4180)" },
	{ "inventory", 0, 1, "PATH", "the inventory (default ~/.local/share/hwkey/inventory.db)" },
	{ "json", 0, 0, NULL, "the whole inventory as one JSON document" },
	{ "output", 'o', 1, "FILE", "write to FILE (atomically) instead of standard output" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *inventory, *output;
	int json, csv;
	char **ops;
	int nops;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "inventory"))
		a->inventory = arg;
	else if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "csv"))
		a->csv = 1;
	else if (hk_opt_is_name(cmd, idx, "output"))
		a->output = arg;
	return 0;
}

/* Everything a listing needs, read in one go. */
struct inv {
	struct hk_store *st;
	struct hk_store_token **toks;
	size_t ntoks;
	struct hk_store_key **keys;
	size_t nkeys;
	struct hk_store_import **imps;
	size_t nimps;
};

static void
inv_free(struct inv *v)
{
	hk_store_imports_free(v->imps, v->nimps);
	hk_store_keys_free(v->keys, v->nkeys);
	hk_store_tokens_free(v->toks, v->ntoks);
	hk_store_close(v->st);
	memset(v, 0, sizeof(*v));
}

static int
inv_load(const char *path, struct inv *v)
{
	int r;

	memset(v, 0, sizeof(*v));
	if ((r = hk_cli_inventory_open(path, &v->st)) != 0 ||
	    (r = hk_store_tokens_list(v->st, &v->toks, &v->ntoks)) != 0 ||
	    (r = hk_store_keys_list(v->st, 0, &v->keys, &v->nkeys)) != 0 ||
	    (r = hk_store_imports_list(v->st, 0, &v->imps, &v->nimps)) != 0)
		inv_free(v);
	return r;
}

/* The imports of key_id, borrowed from v (a NULL-free array the caller frees). */
static struct hk_store_import **
imports_of(const struct inv *v, int64_t key_id, size_t *np)
{
	struct hk_store_import **out = calloc(v->nimps + 1, sizeof(*out));
	size_t n = 0;

	if (out != NULL)
		for (size_t i = 0; i < v->nimps; i++)
			if (v->imps[i]->key_id == key_id)
				out[n++] = v->imps[i];
	*np = n;
	return out;
}

static json_t *
key_json(const struct inv *v, const struct hk_store_key *k)
{
	struct hk_store_import **imps;
	size_t n;
	json_t *o;

	if ((imps = imports_of(v, k->id, &n)) == NULL)
		return NULL;
	o = hk_cli_inventory_key_json(k, hk_cli_inventory_token_of(v->toks, v->ntoks,
	    k->token_id), imps, n);
	free(imps);
	return o;
}

static json_t *
keys_json(const struct inv *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < v->nkeys; i++)
		json_array_append_new(arr, key_json(v, v->keys[i]));
	return arr;
}

static json_t *
doc_head(const struct inv *v)
{
	int version = 0;

	(void)hk_store_schema_version(v->st, &version);
	return json_pack("{s:s,s:i}", "inventory", hk_store_path(v->st), "schema_version",
	    version);
}

/* ---- list ---- */

#define LIST_NCOLS	8

static int
print_list(const struct inv *v)
{
	static const char *const head[LIST_NCOLS] = { "ID", "BACKEND", "SERIAL", "PERSON",
	    "TYPE", "FINGERPRINT", "PROOF", "IMPORTS" };
	char *(*cells)[LIST_NCOLS];
	size_t w[LIST_NCOLS] = { 0 }, i, c, len;
	int r = 0;

	if ((cells = calloc(v->nkeys + 1, sizeof(*cells))) == NULL)
		return HK_ERR_ALLOC;
	for (c = 0; c < LIST_NCOLS; c++)
		cells[0][c] = strdup(head[c]);
	for (i = 0; i < v->nkeys; i++) {
		const struct hk_store_key *k = v->keys[i];
		const struct hk_store_token *t = hk_cli_inventory_token_of(v->toks, v->ntoks,
		    k->token_id);
		const char *person = hk_cli_inventory_person(k, t);
		size_t nimp = 0, nver = 0;

		for (size_t j = 0; j < v->nimps; j++) {
			if (v->imps[j]->key_id != k->id)
				continue;
			nimp++;
			nver += v->imps[j]->status == HK_STORE_IMPORT_VERIFIED;
		}
		if (asprintf(&cells[i + 1][0], "%lld", (long long)k->id) < 0)
			cells[i + 1][0] = NULL;
		cells[i + 1][1] = strdup(t != NULL ? t->backend : "-");
		cells[i + 1][2] = strdup(t != NULL ? t->serial : "-");
		cells[i + 1][3] = strdup(person != NULL ? person : "-");
		cells[i + 1][4] = strdup(k->kind != NULL ? k->kind : "-");
		cells[i + 1][5] = strdup(k->fp[HK_FP_SHA256] != NULL ? k->fp[HK_FP_SHA256] : "-");
		cells[i + 1][6] = strdup(k->proof_verified ? "verified" : "unverified");
		if (asprintf(&cells[i + 1][7], "%zu (%zu verified)", nimp, nver) < 0)
			cells[i + 1][7] = NULL;
	}
	for (i = 0; i <= v->nkeys; i++)
		for (c = 0; c < LIST_NCOLS; c++) {
			if (cells[i][c] == NULL) {
				r = HK_ERR_ALLOC;
				goto out;
			}
			if ((len = strlen(cells[i][c])) > w[c])
				w[c] = len;
		}
	for (i = 0; i <= v->nkeys; i++) {
		for (c = 0; c + 1 < LIST_NCOLS; c++)
			printf("%-*s  ", (int)w[c], cells[i][c]);
		printf("%s\n", cells[i][c]);
	}
 out:
	for (i = 0; i <= v->nkeys; i++)
		for (c = 0; c < LIST_NCOLS; c++)
			free(cells[i][c]);
	free(cells);
	return r;
}

static int
run_list(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct inv v;
	json_t *doc;
	int r;

	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &a.ops, &a.nops)) >= 0)
		return r;
	if (a.nops != 0)
		return hk_cli_usage_error(cmd, "unexpected operand %s", a.ops[0]);
	if ((r = inv_load(a.inventory, &v)) != 0)
		return hk_cli_inventory_fail(cmd, a.json, r);
	if (a.json) {
		if ((doc = doc_head(&v)) != NULL)
			json_object_set_new(doc, "keys", keys_json(&v));
		r = hk_cli_print_json(doc);
	} else {
		if (v.nkeys == 0)
			fprintf(stderr, "hwkey inventory list: no keys in %s\n", hk_store_path(v.st));
		r = v.nkeys > 0 ? print_list(&v) : 0;
	}
	inv_free(&v);
	return r != 0 ? hk_cli_inventory_fail(cmd, 0, r) : HK_EXIT_OK;
}

/* ---- show ---- */

/* The journal of every plan entry that made or holds key_id. */
static int
key_journal(struct hk_store *st, int64_t key_id, struct hk_store_entry ***esp, size_t *nep,
    struct hk_store_journal ***jsp, size_t *njp)
{
	struct hk_store_entry **es = NULL;
	struct hk_store_journal **all = NULL, **mine = NULL;
	size_t ne = 0, nall = 0, n = 0;
	int r;

	*esp = NULL;
	*jsp = NULL;
	*nep = *njp = 0;
	if ((r = hk_store_entries_list(st, NULL, &es, &ne)) != 0)
		return r;
	if ((r = hk_store_journal_list(st, 0, &all, &nall)) != 0) {
		hk_store_entries_free(es, ne);
		return r;
	}
	if ((mine = calloc(nall + 1, sizeof(*mine))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (size_t i = 0; i < nall; i++) {
		for (size_t j = 0; j < ne; j++) {
			if (es[j]->id == all[i]->entry_id && es[j]->key_id == key_id) {
				mine[n++] = all[i];
				all[i] = NULL;
				break;
			}
		}
	}
	*jsp = mine;
	*njp = n;
	*esp = es;
	*nep = ne;
	es = NULL;
	ne = 0;
 out:
	hk_store_journals_free(all, nall);
	hk_store_entries_free(es, ne);
	return r;
}

static const char *
entry_name(struct hk_store_entry *const *es, size_t n, int64_t id, char *buf, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (es[i]->id == id) {
			snprintf(buf, size, "%s%s%s", es[i]->plan, es[i]->plan[0] != '\0' ? "/" : "",
			    es[i]->entry);
			return buf;
		}
	return "?";
}

static void
print_show(const struct hk_store_key *k, const struct hk_store_token *t,
    struct hk_store_import *const *imps, size_t nimps, struct hk_store_entry *const *es,
    size_t ne, struct hk_store_journal *const *js, size_t nj)
{
	const char *person = hk_cli_inventory_person(k, t);
	char when[32], *line = NULL, name[256];

	printf("key %lld\n", (long long)k->id);
	if (t != NULL) {
		printf("  token:        %s %s", t->backend, t->serial);
		if (t->model != NULL)
			printf(" (%s%s%s)", t->model, t->firmware != NULL ? ", firmware " : "",
			    t->firmware != NULL ? t->firmware : "");
		printf("\n");
		if (t->uri != NULL)
			printf("  token uri:    %s\n", t->uri);
	}
	printf("  person:       %s\n", person != NULL ? person : "-");
	printf("  id:           %s\n", k->ref);
	printf("  label:        %s\n", k->label != NULL ? k->label : "-");
	printf("  type:         %s (%u bits)\n", k->kind, hk_key_bits(k->key));
	if (hk_key_write(k->key, HK_FMT_OPENSSH, &line) == 0)
		printf("  public key:   %s", line);
	free(line);
	for (int i = 0; i < HK_STORE_NFP; i++)
		if (k->fp[i] != NULL)
			printf("  %-13s %s\n", hk_fp_name((enum hk_fp)i), k->fp[i]);
	printf("  proof:        %s, %s%s%s\n", k->proof_kind,
	    k->proof_verified ? "verified" : "NOT verified",
	    k->proof_detail != NULL ? ": " : "", k->proof_detail != NULL ? k->proof_detail : "");
	if (k->attestation_len > 0)
		printf("  attestation:  %s, %zu bytes\n", k->attestation_format != NULL ?
		    k->attestation_format : "unknown format", k->attestation_len);
	printf("  recorded:     %s\n", hk_cli_inventory_time(k->created, when, sizeof(when)));
	for (size_t i = 0; i < nimps; i++) {
		const struct hk_store_import *m = imps[i];

		if (i == 0)
			printf("imports\n");
		printf("  %s %s%s%s %s: %s%s%s (%s)\n", m->provider, m->region,
		    m->account[0] != '\0' ? " account " : "", m->account, m->name,
		    hk_store_import_status_name(m->status), m->error != NULL ? ": " : "",
		    m->error != NULL ? m->error : "",
		    hk_cli_inventory_time(m->updated, when, sizeof(when)));
	}
	for (size_t i = 0; i < nj; i++) {
		const struct hk_store_journal *j = js[i];

		if (i == 0)
			printf("journal\n");
		printf("  %s  %s  %s %s%s%s%s%s\n", hk_cli_inventory_time(j->time, when,
		    sizeof(when)), entry_name(es, ne, j->entry_id, name, sizeof(name)), j->step,
		    j->phase == HK_STORE_BEGIN ? "begin" : "end",
		    j->outcome != NULL ? " " : "", j->outcome != NULL ? j->outcome : "",
		    j->detail != NULL ? ": " : "", j->detail != NULL ? j->detail : "");
	}
}

static json_t *
journal_json(struct hk_store_entry *const *es, size_t ne, struct hk_store_journal *const *js,
    size_t nj)
{
	json_t *arr = json_array();
	char when[32];

	for (size_t i = 0; arr != NULL && i < nj; i++) {
		const struct hk_store_journal *j = js[i];
		const struct hk_store_entry *e = NULL;

		for (size_t x = 0; x < ne; x++)
			if (es[x]->id == j->entry_id)
				e = es[x];
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:o,s:s,s:s,s:o,s:i,s:o,s:s}",
		    "id", (json_int_t)j->id, "plan", e != NULL ? e->plan : "",
		    "entry", e != NULL ? e->entry : "",
		    "run", j->run_id > 0 ? json_integer(j->run_id) : json_null(),
		    "step", j->step, "phase", j->phase == HK_STORE_BEGIN ? "begin" : "end",
		    "outcome", j->outcome != NULL ? json_string(j->outcome) : json_null(),
		    "code", j->code, "detail", j->detail != NULL ? json_string(j->detail) :
		    json_null(), "time", hk_cli_inventory_time(j->time, when, sizeof(when))));
	}
	return arr;
}

static int
run_show(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_store *st = NULL;
	struct hk_store_key *k = NULL;
	struct hk_store_token *t = NULL;
	struct hk_store_import **imps = NULL;
	struct hk_store_entry **es = NULL;
	struct hk_store_journal **js = NULL;
	size_t nimps = 0, ne = 0, nj = 0;
	long long id;
	char *end;
	json_t *doc;
	int r;

	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &a.ops, &a.nops)) >= 0)
		return r;
	if (a.nops != 1)
		return hk_cli_usage_error(cmd, "expected one ID (from hwkey inventory list)");
	id = strtoll(a.ops[0], &end, 10);
	if (end == a.ops[0] || *end != '\0' || id <= 0)
		return hk_cli_usage_error(cmd, "ID %s: not a key id from hwkey inventory list",
		    a.ops[0]);
	if ((r = hk_cli_inventory_open(a.inventory, &st)) != 0 ||
	    (r = hk_store_key_get(st, id, &k)) != 0)
		goto out;
	if (k == NULL) {
		r = hk_errf(HK_ERR_INVENTORY_NO_RECORD, "inventory %s: no key %lld",
		    hk_store_path(st), id);
		goto out;
	}
	if ((r = hk_store_token_get(st, k->token_id, &t)) != 0 ||
	    (r = hk_store_imports_list(st, k->id, &imps, &nimps)) != 0 ||
	    (r = key_journal(st, k->id, &es, &ne, &js, &nj)) != 0)
		goto out;
	if (a.json) {
		int version = 0;

		(void)hk_store_schema_version(st, &version);
		doc = json_pack("{s:s,s:i,s:o,s:o,s:o}", "inventory", hk_store_path(st),
		    "schema_version", version,
		    "key", hk_cli_inventory_key_json(k, t, imps, nimps),
		    "token", t != NULL ? hk_cli_inventory_token_json(t) : json_null(),
		    "journal", journal_json(es, ne, js, nj));
		r = hk_cli_print_json(doc);
	} else
		print_show(k, t, imps, nimps, es, ne, js, nj);
 out:
	hk_store_journals_free(js, nj);
	hk_store_entries_free(es, ne);
	hk_store_imports_free(imps, nimps);
	hk_store_token_free(t);
	hk_store_key_free(k);
	hk_store_close(st);
	return r != 0 ? hk_cli_inventory_fail(cmd, a.json, r) : HK_EXIT_OK;
}

/* ---- export ---- */

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
static void
csv_field(FILE *fp, const char *s, int last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', fp);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else
		fputs(s, fp);
	fputs(last ? "\r\n" : ",", fp);
}

static const char *const csv_head[] = { "key_id", "backend", "serial", "model",
	"token", "person", "id", "label", "type", "sha256", "md5", "aliyun", "huawei", "aws",
	"proof_kind", "proof_verified", "attestation_format", "public_key", "created",
	"imports", NULL };

static int
write_csv(const struct inv *v, FILE *fp)
{
	char when[32], *line = NULL, *imps = NULL;
	size_t i, j, len;
	int n;

	for (n = 0; csv_head[n] != NULL; n++)
		csv_field(fp, csv_head[n], csv_head[n + 1] == NULL);
	for (i = 0; i < v->nkeys; i++) {
		const struct hk_store_key *k = v->keys[i];
		const struct hk_store_token *t = hk_cli_inventory_token_of(v->toks, v->ntoks,
		    k->token_id);
		char idbuf[24];
		FILE *ip;

		if (hk_key_write(k->key, HK_FMT_OPENSSH, &line) != 0)
			return HK_ERR_ALLOC;
		if ((len = strlen(line)) > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		/* "cloud:region:name=status" for each import, space-separated. */
		if ((ip = open_memstream(&imps, &len)) == NULL) {
			free(line);
			return HK_ERR_ALLOC;
		}
		for (j = 0, n = 0; j < v->nimps; j++) {
			const struct hk_store_import *m = v->imps[j];

			if (m->key_id == k->id)
				fprintf(ip, "%s%s:%s:%s=%s", n++ ? " " : "", m->provider, m->region,
				    m->name, hk_store_import_status_name(m->status));
		}
		fclose(ip);
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)k->id);
		csv_field(fp, idbuf, 0);
		csv_field(fp, t != NULL ? t->backend : NULL, 0);
		csv_field(fp, t != NULL ? t->serial : NULL, 0);
		csv_field(fp, t != NULL ? t->model : NULL, 0);
		csv_field(fp, t != NULL ? t->uri : NULL, 0);
		csv_field(fp, hk_cli_inventory_person(k, t), 0);
		csv_field(fp, k->ref, 0);
		csv_field(fp, k->label, 0);
		csv_field(fp, k->kind, 0);
		for (int f = 0; f < HK_STORE_NFP; f++)
			csv_field(fp, k->fp[f], 0);
		csv_field(fp, k->proof_kind, 0);
		csv_field(fp, k->proof_verified ? "true" : "false", 0);
		csv_field(fp, k->attestation_format, 0);
		csv_field(fp, line, 0);
		csv_field(fp, hk_cli_inventory_time(k->created, when, sizeof(when)), 0);
		csv_field(fp, imps, 1);
		free(line);
		free(imps);
		line = imps = NULL;
	}
	return 0;
}

static json_t *
export_json(const struct inv *v)
{
	struct hk_store_entry **es = NULL;
	struct hk_store_journal **js = NULL;
	size_t ne = 0, nj = 0;
	json_t *doc, *toks, *entries;
	char a[32], b[32];

	if (hk_store_entries_list(v->st, NULL, &es, &ne) != 0 ||
	    hk_store_journal_list(v->st, 0, &js, &nj) != 0) {
		hk_store_entries_free(es, ne);
		return NULL;
	}
	doc = doc_head(v);
	toks = json_array();
	entries = json_array();
	for (size_t i = 0; toks != NULL && i < v->ntoks; i++)
		json_array_append_new(toks, hk_cli_inventory_token_json(v->toks[i]));
	for (size_t i = 0; entries != NULL && i < ne; i++)
		json_array_append_new(entries, json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:s,s:s}",
		    "id", (json_int_t)es[i]->id, "plan", es[i]->plan, "entry", es[i]->entry,
		    "token_id", es[i]->token_id > 0 ? json_integer(es[i]->token_id) : json_null(),
		    "key_id", es[i]->key_id > 0 ? json_integer(es[i]->key_id) : json_null(),
		    "state", es[i]->state != NULL ? json_string(es[i]->state) : json_null(),
		    "created", hk_cli_inventory_time(es[i]->created, a, sizeof(a)),
		    "updated", hk_cli_inventory_time(es[i]->updated, b, sizeof(b))));
	if (doc != NULL) {
		json_object_set_new(doc, "tokens", toks);
		json_object_set_new(doc, "keys", keys_json(v));
		json_object_set_new(doc, "entries", entries);
		json_object_set_new(doc, "journal", journal_json(es, ne, js, nj));
	} else {
		json_decref(toks);
		json_decref(entries);
	}
	hk_store_journals_free(js, nj);
	hk_store_entries_free(es, ne);
	return doc;
}

static int
run_export(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct inv v;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;
	int r;

	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &a.ops, &a.nops)) >= 0)
		return r;
	if (a.nops != 0)
		return hk_cli_usage_error(cmd, "unexpected operand %s", a.ops[0]);
	if (a.json == a.csv)
		return hk_cli_usage_error(cmd, "give one of --json or --csv");
	if ((r = inv_load(a.inventory, &v)) != 0)
		return hk_cli_inventory_fail(cmd, a.json && a.output == NULL, r);
	if ((fp = open_memstream(&out, &len)) == NULL) {
		inv_free(&v);
		return hk_cli_inventory_fail(cmd, 0, HK_ERR_ALLOC);
	}
	if (a.csv)
		r = write_csv(&v, fp);
	else {
		json_t *doc = export_json(&v);
		char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

		if (text == NULL)
			r = hk_errf(HK_ERR_INVENTORY, "inventory %s: cannot export it as JSON",
			    hk_store_path(v.st));
		else
			fprintf(fp, "%s\n", text);
		free(text);
		json_decref(doc);
	}
	fclose(fp);
	inv_free(&v);
	if (r == 0) {
		if (a.output != NULL)
			r = hk_file_write_atomic(a.output, out, len, 0600);
		else if (fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0)
			r = hk_errf(HK_ERR_IO, "standard output: write failed");
	}
	free(out);
	return r != 0 ? hk_cli_inventory_fail(cmd, 0, r) : HK_EXIT_OK;
}

static const struct hk_cmd cmd_list = {
	.name = "list",
	.summary = "Every key in the inventory: token, person, type, fingerprint, proof, imports",
	.opts = list_opts,
	.run = run_list,
	.parent = "inventory",
};

static const struct hk_cmd cmd_show = {
	.name = "show",
	.args = "ID",
	.summary = "One key: token, every fingerprint, proof, attestation, imports, journal",
	.opts = list_opts,
	.run = run_show,
	.parent = "inventory",
};

static const struct hk_cmd cmd_export = {
	.name = "export",
	.summary = "The whole inventory as JSON, or one CSV row per key",
	.opts = export_opts,
	.run = run_export,
	.parent = "inventory",
};

static const struct hk_cmd *const verbs[] = { &cmd_list, &cmd_show, &cmd_export, NULL };

const struct hk_cmd hk_cmd_inventory = {
	.name = "inventory",
	.summary = "What was provisioned: tokens, keys, fingerprints, imports, the journal",
	.verbs = verbs,
};
