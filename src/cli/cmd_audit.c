/* hwkey audit: the cloud's key pairs (--cloud, --region) or the keys of
 * fleet authorized_keys dumps (--authorized-keys FILE...) against the
 * inventory: hardware-backed per the inventory, unknown, or a name whose
 * fingerprint differs from what the inventory recorded. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_cloud.h"
#include "cli_inventory.h"
#include "err.h"
#include "file.h"
#include "key.h"

/* Sorted by name. */
static const struct hk_opt opts[] = {
	{ "authorized-keys", 0, 0, NULL, "audit the authorized_keys FILEs given as operands" },
	{ "cacert", 0, 1, "FILE", "also trust the CA certificates in FILE (PEM)" },
	{ "cloud", 0, 1, "NAME", "audit this cloud's key pairs: aliyun or huawei" },
	{ "endpoint", 0, 1, "URL", "send every request to URL (e.g. hwkey-cloudsim)" },
	{ "inventory", 0, 1, "PATH", "the inventory (default ~/.local/share/hwkey/inventory.db)" },
	{ "jobs", 'j', 1, "N", "requests in flight at once (default 8)" },
	{ "json", 0, 0, NULL, "print the findings as JSON" },
	HK_CLI_CLOUD_TAIL_OPTS("R[,R...]|all", "regions to audit"),
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	struct hk_cli_cloud cc;
	const char *inventory;
	int authorized_keys;
	char **ops;
	int nops;
};

/* What one key pair or authorized key amounts to. */
enum finding {
	F_HARDWARE = 0,	/* in the inventory, same fingerprint, proof verified on the token */
	F_UNPROVEN,	/* in the inventory, same fingerprint, but its proof did not verify */
	F_DIFFERS,	/* the inventory recorded this name with another key */
	F_UNKNOWN,	/* no key in the inventory has this fingerprint */
	F_MISSING,	/* the inventory says imported here; the cloud has no such pair */
	F_COUNT
};
static const char *const finding_name[F_COUNT] = { "hardware", "unproven", "differs",
	"unknown", "missing" };

/* Findings, for the table, the JSON and the exit status. */
struct item {
	enum finding f;
	char *where;		/* region, or FILE:LINE */
	char *file;
	size_t line;
	char *name;		/* key pair name, or the authorized key's comment */
	char *type;
	char *fp;		/* as the cloud returned it, or the key's SHA256 */
	char *expected;		/* differs: the fingerprint the inventory holds */
	int64_t key_id;
	char *serial, *token, *person;
};

struct audit {
	struct hk_store *st;
	struct hk_store_token **toks;
	size_t ntoks;
	struct item *items;
	size_t n, cap;
	size_t count[F_COUNT];
	size_t nbad;		/* authorized_keys entries that do not parse */
	json_t *errors;		/* region or file failures */
	struct hk_error first;	/* the summary's first failure, outliving the listings */
};

static char *
dup0(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
add_item(struct audit *au, enum finding f, const char *where, const char *name,
    const char *type, const char *fp, const char *expected, const struct hk_store_key *k)
{
	const struct hk_store_token *t = NULL;
	struct item *it;

	if (au->n == au->cap) {
		size_t cap = au->cap ? au->cap * 2 : 16;
		struct item *v = realloc(au->items, cap * sizeof(*v));

		if (v == NULL)
			return HK_ERR_ALLOC;
		au->items = v;
		au->cap = cap;
	}
	it = &au->items[au->n++];
	memset(it, 0, sizeof(*it));
	it->f = f;
	au->count[f]++;
	if (k != NULL) {
		t = hk_cli_inventory_token_of(au->toks, au->ntoks, k->token_id);
		it->key_id = k->id;
		it->person = dup0(hk_cli_inventory_person(k, t));
		if (t != NULL) {
			it->serial = dup0(t->serial);
			it->token = dup0(t->uri);
		}
		if (type == NULL)
			type = k->kind;
	}
	it->where = dup0(where);
	it->name = dup0(name);
	it->type = dup0(type);
	it->fp = dup0(fp);
	it->expected = dup0(expected);
	return 0;
}

static void
audit_free(struct audit *au)
{
	for (size_t i = 0; i < au->n; i++) {
		struct item *it = &au->items[i];

		free(it->where);
		free(it->file);
		free(it->name);
		free(it->type);
		free(it->fp);
		free(it->expected);
		free(it->serial);
		free(it->token);
		free(it->person);
	}
	free(au->items);
	json_decref(au->errors);
	hk_store_tokens_free(au->toks, au->ntoks);
	hk_store_close(au->st);
}

static enum finding
proven(const struct hk_store_key *k)
{
	return k->proof_verified ? F_HARDWARE : F_UNPROVEN;
}

/* ---- the cloud ---- */

/* One key pair of a region against the inventory's imports and keys. */
static int
audit_pair(struct audit *au, const char *provider, enum hk_fp fpkind, const char *region,
    const struct hk_cloud_keypair *kp, struct hk_store_import *const *imps, size_t nimps)
{
	const struct hk_store_import *imp = NULL;
	struct hk_store_key *k = NULL;
	int r;

	/* What the inventory recorded under this name (any account), a match first. */
	for (size_t i = 0; i < nimps; i++) {
		const struct hk_store_import *m = imps[i];

		if (strcmp(m->provider, provider) != 0 || strcmp(m->region, region) != 0 ||
		    strcmp(m->name, kp->name) != 0 || m->status == HK_STORE_IMPORT_DELETED)
			continue;
		if (imp == NULL)
			imp = m;
	}
	if (imp != NULL) {
		if ((r = hk_store_key_get(au->st, imp->key_id, &k)) != 0)
			return r;
		if (k != NULL && kp->fingerprint != NULL && k->fp[fpkind] != NULL &&
		    hk_fp_equal(k->fp[fpkind], kp->fingerprint))
			r = add_item(au, proven(k), region, kp->name, NULL, kp->fingerprint, NULL, k);
		else
			r = add_item(au, F_DIFFERS, region, kp->name, NULL, kp->fingerprint,
			    k != NULL ? k->fp[fpkind] : NULL, k);
		hk_store_key_free(k);
		return r;
	}
	/* Not recorded under this name: is the key itself one of ours? */
	if (kp->fingerprint != NULL && kp->fingerprint[0] != '\0' &&
	    (r = hk_store_key_find_fp(au->st, fpkind, kp->fingerprint, &k)) != 0)
		return r;
	r = add_item(au, k != NULL ? proven(k) : F_UNKNOWN, region, kp->name, NULL,
	    kp->fingerprint, NULL, k);
	hk_store_key_free(k);
	return r;
}

/* Imports the inventory holds as verified in region that the cloud did not list. */
static int
audit_missing(struct audit *au, const char *provider, enum hk_fp fpkind,
    const struct hk_cloud_listing *l, struct hk_store_import *const *imps, size_t nimps)
{
	struct hk_store_key *k = NULL;
	size_t j;
	int r;

	for (size_t i = 0; i < nimps; i++) {
		const struct hk_store_import *m = imps[i];

		if (strcmp(m->provider, provider) != 0 || strcmp(m->region, l->region) != 0 ||
		    m->status != HK_STORE_IMPORT_VERIFIED)
			continue;
		for (j = 0; j < l->npairs && strcmp(l->pairs[j].name, m->name) != 0; j++)
			;
		if (j < l->npairs)
			continue;
		if ((r = hk_store_key_get(au->st, m->key_id, &k)) != 0)
			return r;
		r = add_item(au, F_MISSING, l->region, m->name, NULL, NULL,
		    k != NULL ? k->fp[fpkind] : NULL, k);
		hk_store_key_free(k);
		k = NULL;
		if (r != 0)
			return r;
	}
	return 0;
}

static int
audit_cloud(const struct hk_cmd *cmd, struct args *a, struct audit *au,
    struct hk_cloud_summary *sum)
{
	struct hk_cloud_listing *l = NULL;
	struct hk_store_import **imps = NULL;
	struct hk_cloud *c = NULL;
	char **regions = NULL;
	size_t nregions = 0, n = 0, nimps = 0;
	enum hk_fp fpkind;
	int r;

	(void)cmd;
	if ((r = hk_cli_cloud_open(&a->cc, &c, &regions, &nregions)) != 0 ||
	    (r = hk_cloud_list(c, regions, nregions, NULL, &l, &n, sum)) != 0)
		goto out;
	fpkind = hk_cloud_get_caps(c)->fp;
	if ((r = hk_store_imports_list(au->st, 0, &imps, &nimps)) != 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (l[i].error.code != 0) {
			json_array_append_new(au->errors, json_pack("{s:s,s:o}", "region",
			    l[i].region, "error", hk_cli_error_json(&l[i].error)));
			continue;
		}
		for (size_t j = 0; j < l[i].npairs && r == 0; j++)
			r = audit_pair(au, a->cc.opts.provider, fpkind, l[i].region, &l[i].pairs[j],
			    imps, nimps);
		if (r == 0)
			r = audit_missing(au, a->cc.opts.provider, fpkind, &l[i], imps, nimps);
	}
 out:
	if (sum->first != NULL) {
		hk_error_copy(&au->first, sum->first);
		sum->first = &au->first;
	}
	hk_store_imports_free(imps, nimps);
	hk_cloud_listings_free(l, n);
	hk_cloud_strv_free(regions);
	hk_cloud_free(c);
	return r;
}

/* ---- authorized_keys dumps ---- */

struct akctx {
	struct audit *au;
	const char *file;
	int json;
	int r;
};

static int
ak_entry(const struct hk_key_entry *e, void *arg)
{
	struct akctx *x = arg;
	struct hk_store_key *k = NULL;
	char fp[HK_FP_MAX], kind[HK_KEY_KIND_MAX], where[PATH_MAX + 32];
	struct item *it;
	int r;

	snprintf(where, sizeof(where), "%s:%zu", x->file, e->line);
	if (e->key == NULL) {
		x->au->nbad++;
		hk_cli_entry_error(x->file, e->line, e->err, e->reason);
		json_array_append_new(x->au->errors, json_pack("{s:s,s:i,s:s,s:s}", "file",
		    x->file, "line", (int)e->line, "code", hk_err_name(e->err), "message",
		    e->reason != NULL ? e->reason : hk_strerror(e->err)));
		return 0;
	}
	if ((r = hk_key_fingerprint_buf(e->key, HK_FP_SHA256, fp, sizeof(fp))) != 0 ||
	    (r = hk_store_key_find_fp(x->au->st, HK_FP_SHA256, fp, &k)) != 0)
		return x->r = r;
	r = add_item(x->au, k != NULL ? proven(k) : F_UNKNOWN, where, hk_key_comment(e->key),
	    hk_key_kind_of(e->key, kind, sizeof(kind)), fp, NULL, k);
	hk_store_key_free(k);
	if (r == 0) {
		it = &x->au->items[x->au->n - 1];
		it->file = dup0(x->file);
		it->line = e->line;
	}
	return x->r = r;
}

static int
audit_authorized_keys(struct args *a, struct audit *au)
{
	struct akctx x = { .au = au, .json = a->cc.json };
	char *data = NULL;
	size_t len = 0;
	int r = 0;

	for (int i = 0; i < a->nops && r == 0; i++) {
		x.file = a->ops[i];
		if ((r = hk_file_read(x.file, HK_FILE_MAX, &data, &len)) != 0)
			break;
		r = hk_keyfile_parse(data, len, ak_entry, &x);
		free(data);
		data = NULL;
		if (r == 0)
			r = x.r;
	}
	return r;
}

/* ---- output ---- */

static const char *
dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static void
print_table(const struct audit *au, int cloud)
{
	static const char *const chead[] = { "REGION", "NAME", "STATUS", "SERIAL", "PERSON",
	    "FINGERPRINT", "NOTE" };
	static const char *const ahead[] = { "WHERE", "STATUS", "TYPE", "SERIAL", "PERSON",
	    "FINGERPRINT", "COMMENT" };
	const char *const *head = cloud ? chead : ahead;
	size_t w[7], i, c, len;
	const char *cell[7];
	char note[HK_FP_MAX + 32];

	for (c = 0; c < 7; c++)
		w[c] = strlen(head[c]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (c = 0; c < 6; c++)
				printf("%-*s  ", (int)w[c], head[c]);
			printf("%s\n", head[6]);
		}
		for (i = 0; i < au->n; i++) {
			const struct item *it = &au->items[i];

			note[0] = '\0';
			if (it->f == F_DIFFERS)
				snprintf(note, sizeof(note), "inventory: %s", dash(it->expected));
			else if (it->f == F_MISSING)
				snprintf(note, sizeof(note), "inventory key %lld not in the cloud",
				    (long long)it->key_id);
			else if (it->f == F_UNPROVEN)
				snprintf(note, sizeof(note), "on-token proof not verified");
			if (cloud) {
				cell[0] = it->where;
				cell[1] = it->name;
				cell[2] = finding_name[it->f];
				cell[3] = dash(it->serial);
				cell[4] = dash(it->person);
				cell[5] = dash(it->fp);
				cell[6] = dash(note);
			} else {
				cell[0] = it->where;
				cell[1] = finding_name[it->f];
				cell[2] = dash(it->type);
				cell[3] = dash(it->serial);
				cell[4] = dash(it->person);
				cell[5] = dash(it->fp);
				cell[6] = dash(it->name);
			}
			for (c = 0; c < 7; c++) {
				if (pass == 0) {
					if ((len = strlen(cell[c])) > w[c])
						w[c] = len;
				} else if (c < 6)
					printf("%-*s  ", (int)w[c], cell[c]);
				else
					printf("%s\n", cell[c]);
			}
		}
	}
}

static json_t *
null_or(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
items_json(const struct audit *au, int cloud)
{
	json_t *arr = json_array(), *o;

	for (size_t i = 0; arr != NULL && i < au->n; i++) {
		const struct item *it = &au->items[i];

		o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		    "status", finding_name[it->f], "type", null_or(it->type),
		    "fingerprint", null_or(it->fp),
		    "inventory_fingerprint", null_or(it->expected),
		    "key_id", it->key_id > 0 ? json_integer(it->key_id) : json_null(),
		    "serial", null_or(it->serial), "token", null_or(it->token),
		    "person", null_or(it->person));
		if (o == NULL)
			continue;
		if (cloud) {
			json_object_set_new(o, "region", json_string(it->where));
			json_object_set_new(o, "name", json_string(it->name));
		} else {
			json_object_set_new(o, "file", json_string(it->file));
			json_object_set_new(o, "line", json_integer((json_int_t)it->line));
			json_object_set_new(o, "comment", null_or(it->name));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
opt_fn(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	int r;

	if ((r = hk_cli_cloud_opt(cmd, idx, arg, &a->cc)) != 0)
		return r == 1 ? 0 : r;
	if (hk_opt_is_name(cmd, idx, "inventory"))
		a->inventory = arg;
	else if (hk_opt_is_name(cmd, idx, "authorized-keys"))
		a->authorized_keys = 1;
	return 0;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a;
	struct audit au;
	struct hk_cloud_summary sum;
	size_t findings;
	int r, ret, cloud;

	memset(&a, 0, sizeof(a));
	memset(&au, 0, sizeof(au));
	memset(&sum, 0, sizeof(sum));
	if ((ret = hk_opt_parse(cmd, argc, argv, opt_fn, &a, &a.ops, &a.nops)) >= 0)
		return ret;
	cloud = a.cc.opts.provider != NULL;
	if (cloud == a.authorized_keys)
		return hk_cli_cloud_usage(cmd, &a.cc, "give --cloud C --region R, or "
		    "--authorized-keys FILE...");
	if (cloud && a.nops != 0)
		return hk_cli_cloud_usage(cmd, &a.cc, "unexpected operand %s", a.ops[0]);
	if (!cloud && a.nops == 0)
		return hk_cli_cloud_usage(cmd, &a.cc, "--authorized-keys needs one or more FILEs");
	if ((au.errors = json_array()) == NULL)
		return hk_cli_inventory_fail(cmd, a.cc.json, HK_ERR_ALLOC);
	if ((r = hk_cli_inventory_open(a.inventory, &au.st)) != 0 ||
	    (r = hk_store_tokens_list(au.st, &au.toks, &au.ntoks)) != 0)
		goto fail;
	r = cloud ? audit_cloud(cmd, &a, &au, &sum) : audit_authorized_keys(&a, &au);
	if (r != 0)
		goto fail;
	if (a.cc.json) {
		json_t *s = json_object(), *doc;

		for (int f = 0; s != NULL && f < F_COUNT; f++)
			json_object_set_new(s, finding_name[f], json_integer((json_int_t)au.count[f]));
		doc = json_pack("{s:s,s:s,s:o,s:o,s:o}", "mode", cloud ? "cloud" :
		    "authorized_keys", "inventory", hk_store_path(au.st),
		    "items", items_json(&au, cloud), "summary", s, "errors", au.errors);
		au.errors = NULL;
		if (doc != NULL && cloud)
			json_object_set_new(doc, "cloud", json_string(a.cc.opts.provider));
		hk_cli_print_json(doc);
	} else if (au.n > 0)
		print_table(&au, cloud);
	findings = au.count[F_UNPROVEN] + au.count[F_DIFFERS] + au.count[F_UNKNOWN];
	fprintf(stderr, "hwkey audit: %zu hardware, %zu unproven, %zu differ, %zu unknown, "
	    "%zu missing from the cloud%s\n", au.count[F_HARDWARE], au.count[F_UNPROVEN],
	    au.count[F_DIFFERS], au.count[F_UNKNOWN], au.count[F_MISSING],
	    au.nbad > 0 ? "; some entries could not be read" : "");
	/* An audit that could not see everything says so before what it found. */
	if (cloud && sum.nfailed > 0)
		ret = hk_cli_cloud_outcome(cmd, &sum);
	else if (au.nbad > 0)
		ret = HK_EXIT_INPUT;
	else
		ret = findings > 0 ? HK_EXIT_VERIFY : HK_EXIT_OK;
	audit_free(&au);
	return ret;
 fail:
	ret = hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
	audit_free(&au);
	return ret;
}

const struct hk_cmd hk_cmd_audit = {
	.name = "audit",
	.args = "[FILE...]",
	.summary = "Cloud key pairs or authorized_keys dumps against the inventory",
	.opts = opts,
	.run = run,
};
