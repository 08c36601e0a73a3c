/* hwkey provision: keygen, proof, export, import per region, verify, attach
 * for one token or a whole plan, concurrently and resumably; a live view on
 * a terminal, plain lines otherwise, a JSON event stream with --json, a
 * summary at the end. --status says where each entry stands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_cloud.h"
#include "cli_interrupt.h"
#include "cli_secret.h"
#include "err.h"
#include "ops_plan.h"
#include "ops_provision.h"

static const struct hk_opt opts[] = {
	{ "attach", 0, 1, "ID[,ID...]", "attach the key pair to these instances (first region)" },
	{ "cacert", 0, 1, "FILE", "also trust the CA certificates in FILE (PEM)" },
	{ "cloud", 0, 1, "NAME", "aliyun or huawei (with TOKEN)" },
	{ "endpoint", 0, 1, "URL", "send every request to URL (e.g. hwkey-cloudsim)" },
	{ "inventory", 0, 1, "PATH", "the inventory (default ~/.local/share/hwkey/inventory.db)" },
	{ "jobs", 'j', 1, "N", "cloud requests in flight at once (default 8)" },
	{ "json", 0, 0, NULL, "print one JSON event per line, then the summary" },
	{ "label", 0, 1, "LABEL", "CKA_LABEL of the new key (with TOKEN)" },
	{ "module", 0, 1, "PATH", "PKCS#11 module (default: p11-kit's registered modules)" },
	{ "name", 'n', 1, "NAME", "key pair name in the cloud (with TOKEN)" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N for entries without one" },
	{ "plan", 0, 1, "FILE", "provision every entry of the JSON plan FILE" },
	{ "profile", 0, 1, "NAME", "aliyun CLI profile in ~/.aliyun/config.json" },
	{ "rate", 0, 1, "N", "at most N requests per second (default 1000)" },
	{ "region", 'r', 1, "R[,R...]", "regions to import into (with TOKEN)" },
	{ "retries", 0, 1, "N", "attempts per request on throttling and errors (default 8)" },
	{ "signature", 0, 1, "v1|v3", "aliyun request signature: RPC v1 (default) or ACS3" },
	{ "status", 0, 0, NULL, "show where each entry stands; change nothing" },
	{ "timeout", 0, 1, "SECONDS", "per request (default 30)" },
	{ "type", 't', 1, "TYPE", "key type of the new key (with TOKEN)" },
	{ "workers", 0, 1, "N", "tokens worked on at once (default: all)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	struct hk_cli_cloud cc;
	const char *attach, *inventory, *label, *module, *name, *pin, *plan, *type;
	unsigned int workers;
	int status;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	const char *name = cmd->opts[idx].name;
	unsigned long v;
	char *end;
	int r;

	if (strcmp(name, "region") != 0 && (r = hk_cli_cloud_opt(cmd, idx, arg, &a->cc)) != 0)
		return r == 1 ? 0 : r;
	if (strcmp(name, "attach") == 0)
		a->attach = arg;
	else if (strcmp(name, "inventory") == 0)
		a->inventory = arg;
	else if (strcmp(name, "label") == 0)
		a->label = arg;
	else if (strcmp(name, "module") == 0)
		a->module = arg;
	else if (strcmp(name, "name") == 0)
		a->name = arg;
	else if (strcmp(name, "pin") == 0)
		a->pin = arg;
	else if (strcmp(name, "plan") == 0)
		a->plan = arg;
	else if (strcmp(name, "region") == 0)
		a->cc.region = arg;
	else if (strcmp(name, "status") == 0)
		a->status = 1;
	else if (strcmp(name, "type") == 0)
		a->type = arg;
	else if (strcmp(name, "workers") == 0) {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 4096 ||
		    arg[0] == '-')
			return hk_cli_usage_error(cmd, "--workers wants 1..4096, not \"%s\"", arg);
		a->workers = (unsigned int)v;
	}
	return 0;
}

/* ---- PINs: one read per source, one prompt per token ---- */

#define PIN_CACHE_MAX 64
struct pins {
	const char *deflt;		/* --pin */
	struct {
		const char *source;
		struct hk_secret *sec;
	} cache[PIN_CACHE_MAX];
	size_t n;
};

/* Entries often share a source (defaults: "pin": "env:PIN"): it is read once. */
static int
pin_ask(void *arg, const struct hk_plan_entry *e, const char *prompt, struct hk_secret **secp)
{
	struct pins *ps = ((void **)arg)[0];
	struct hk_cli_secret cs;
	const char *src = e->pin != NULL ? e->pin : ps->deflt;
	size_t i;
	int r;

	*secp = NULL;
	memset(&cs, 0, sizeof(cs));
	if (src == NULL)
		return hk_cli_secret_ask(&cs, prompt, secp);	/* the terminal, per token */
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->cache[i].source, src) == 0)
			return hk_secret_new(hk_secret_str(ps->cache[i].sec),
			    hk_secret_len(ps->cache[i].sec), secp);
	cs.source = src;
	if ((r = hk_cli_secret_ask(&cs, prompt, secp)) != 0 || ps->n == PIN_CACHE_MAX)
		return r;
	if (hk_secret_new(hk_secret_str(*secp), hk_secret_len(*secp),
	    &ps->cache[ps->n].sec) == 0)
		ps->cache[ps->n++].source = src;
	return 0;
}

static void
pins_free(struct pins *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		hk_secret_free(ps->cache[i].sec);
	ps->n = 0;
}

/* ---- output ---- */

enum outmode { OUT_PLAIN, OUT_LIVE, OUT_JSON };

struct view {
	enum outmode mode;
	const struct hk_plan *plan;
	size_t n;
	char (*line)[160];		/* live: each entry's current step, "" when idle */
	size_t drawn;			/* live lines on the screen now */
};

static const char *
status_id(enum hk_import_status s, char *buf, size_t size)
{
	return hk_cli_cloud_status_id(hk_import_status_name(s), buf, size);
}

static json_t *
import_json(const struct hk_prov_import *pi)
{
	char id[32];
	json_t *o;

	o = json_pack("{s:s,s:s}", "region", pi->region, "status",
	    status_id(pi->status, id, sizeof(id)));
	if (o == NULL)
		return NULL;
	if (pi->cloud_fingerprint != NULL)
		json_object_set_new(o, "cloud_fingerprint", json_string(pi->cloud_fingerprint));
	if (pi->error.code != 0)
		json_object_set_new(o, "error", hk_cli_error_json(&pi->error));
	return o;
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v != NULL ? json_string(v) : json_null());
}

/* The entry object of the summary and of --status (docs/json/provision.schema.json). */
static json_t *
entry_json(const struct hk_prov_entry *e, int status)
{
	json_t *o, *imps;
	size_t i;

	o = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s}", "entry", e->plan->id, "token", e->plan->token,
	    "cloud", e->plan->cloud != NULL ? json_string(e->plan->cloud) : json_null(),
	    "name", e->plan->name, "state", hk_prov_state_name(e->state), "step",
	    hk_prov_step_name(e->step));
	if (o == NULL)
		return NULL;
	if (e->key_file != NULL)
		set_str(o, "key_file", e->key_file);
	set_str(o, "serial", e->serial);
	set_str(o, "key_id", e->key_id);
	set_str(o, "fingerprint", e->fingerprint);
	set_str(o, "public_key", e->public_key);
	if (!status) {
		json_object_set_new(o, "already_done", json_boolean(e->already_done));
		json_object_set_new(o, "key_made", json_boolean(e->key_made));
		json_object_set_new(o, "key_found", json_boolean(e->key_found));
	} else {
		set_str(o, "last_step", e->last_step);
		set_str(o, "last_phase", e->last_phase);
		set_str(o, "last_outcome", e->last_outcome);
	}
	imps = json_array();
	for (i = 0; i < e->nimports; i++)
		json_array_append_new(imps, import_json(&e->imports[i]));
	json_object_set_new(o, "imports", imps);
	if (e->error.code != 0)
		json_object_set_new(o, "error", hk_cli_error_json(&e->error));
	return o;
}

static json_t *
counts_json(const struct hk_prov_result *res)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)res->n,
	    "done", (json_int_t)res->ndone, "already_done", (json_int_t)res->nalready,
	    "failed", (json_int_t)res->nfailed, "cancelled", (json_int_t)res->ncancelled);
}

static void
live_erase(struct view *v)
{
	if (v->drawn > 0)
		fprintf(stderr, "\033[%zuA\033[J", v->drawn);
	v->drawn = 0;
}

static void
live_draw(struct view *v, const struct hk_prov_event *ev)
{
	size_t i, total = v->n, done = ev->ndone + ev->nfailed, w = 30, fill;
	char bar[64];

	for (i = 0; i < v->n; i++)
		if (v->line[i][0] != '\0') {
			fprintf(stderr, "\033[2K  %-24s %s\n", v->plan->entries[i].id, v->line[i]);
			v->drawn++;
		}
	fill = total > 0 ? done * w / total : w;
	memset(bar, '#', fill);
	memset(bar + fill, '-', w - fill);
	bar[w] = '\0';
	fprintf(stderr, "\033[2K[%s] %zu done, %zu failed, %zu remaining\n", bar, ev->ndone,
	    ev->nfailed, ev->nremaining);
	v->drawn++;
	fflush(stderr);
}

static void
plain_line(const struct hk_prov_event *ev)
{
	const char *id = ev->entry->plan->id, *step = hk_prov_step_name(ev->step);
	char text[HK_ERROR_MESSAGE_MAX], sid[32];

	switch (ev->kind) {
	case HK_PROV_EV_STEP:
		return;
	case HK_PROV_EV_TOUCH:
		fprintf(stderr, "%s: keygen: touch the security key %s now\n", id,
		    ev->entry->plan->token);
		return;
	case HK_PROV_EV_STEP_END:
		if (ev->error != NULL) {
			hk_cli_cloud_error_text(ev->error, text, sizeof(text));
			fprintf(stderr, "%s: %s%s%s failed: %s\n", id, step, ev->region != NULL ?
			    " " : "", ev->region != NULL ? ev->region : "", text);
		} else if (ev->step != HK_PROV_STEP_IMPORT)
			fprintf(stderr, "%s: %s%s%s ok%s%s\n", id, step, ev->region != NULL ?
			    " " : "", ev->region != NULL ? ev->region : "",
			    ev->detail != NULL ? ": " : "", ev->detail != NULL ? ev->detail : "");
		return;
	case HK_PROV_EV_IMPORT:
		fprintf(stderr, "%s: import %s: %s\n", id, ev->region,
		    status_id(ev->import->status, sid, sizeof(sid)));
		return;
	case HK_PROV_EV_ENTRY:
		if (ev->entry->state == HK_PROV_DONE)
			fprintf(stderr, "%s: %s (%zu done, %zu failed, %zu remaining)\n", id,
			    ev->entry->already_done ? "done earlier" : "done", ev->ndone,
			    ev->nfailed, ev->nremaining);
		else {
			hk_cli_cloud_error_text(&ev->entry->error, text, sizeof(text));
			fprintf(stderr, "%s: %s at %s: %s (%zu done, %zu failed, %zu remaining)\n",
			    id, hk_prov_state_name(ev->entry->state), step, text, ev->ndone,
			    ev->nfailed, ev->nremaining);
		}
		return;
	}
}

/* One document per line: the stream is read line by line (jq -c, a pipe). */
static void
print_line(json_t *doc)
{
	if (doc == NULL)
		return;
	if (json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
		fputc('\n', stdout);
	json_decref(doc);
}

static void
json_event(const struct hk_prov_event *ev)
{
	const char *kinds[] = { "step", "step_end", "import", "entry", "touch" };
	json_t *o;

	o = json_pack("{s:s,s:s,s:I,s:s}", "event", kinds[ev->kind], "entry",
	    ev->entry->plan->id, "index", (json_int_t)ev->index, "step",
	    hk_prov_step_name(ev->step));
	if (o == NULL)
		return;
	if (ev->region != NULL)
		json_object_set_new(o, "region", json_string(ev->region));
	if (ev->kind == HK_PROV_EV_TOUCH && ev->detail != NULL)
		json_object_set_new(o, "detail", json_string(ev->detail));
	if (ev->kind == HK_PROV_EV_STEP_END) {
		json_object_set_new(o, "outcome", json_string(ev->error == NULL ? "ok" :
		    ev->error->code == HK_ERR_CANCELLED ? "cancelled" : "failed"));
		if (ev->detail != NULL)
			json_object_set_new(o, "detail", json_string(ev->detail));
	}
	if (ev->kind == HK_PROV_EV_IMPORT)
		json_object_set_new(o, "import", import_json(ev->import));
	if (ev->kind == HK_PROV_EV_ENTRY) {
		json_object_set_new(o, "state", json_string(hk_prov_state_name(ev->entry->state)));
		json_object_set_new(o, "already_done", json_boolean(ev->entry->already_done));
		set_str(o, "key_id", ev->entry->key_id);
		set_str(o, "fingerprint", ev->entry->fingerprint);
	}
	if (ev->error != NULL)
		json_object_set_new(o, "error", hk_cli_error_json(ev->error));
	json_object_set_new(o, "progress", json_pack("{s:I,s:I,s:I}", "done",
	    (json_int_t)ev->ndone, "failed", (json_int_t)ev->nfailed, "remaining",
	    (json_int_t)ev->nremaining));
	print_line(o);
	fflush(stdout);
}

static void
on_event(void *arg, const struct hk_prov_event *ev)
{
	struct view *v = ((void **)arg)[1];
	char *l;

	switch (v->mode) {
	case OUT_JSON:
		json_event(ev);
		return;
	case OUT_PLAIN:
		plain_line(ev);
		fflush(stderr);
		return;
	case OUT_LIVE:
		break;
	}
	l = v->line[ev->index];
	if (ev->kind == HK_PROV_EV_STEP)
		snprintf(l, sizeof(v->line[0]), "%s%s%s", hk_prov_step_name(ev->step),
		    ev->region != NULL ? " " : "", ev->region != NULL ? ev->region : "");
	else if (ev->kind == HK_PROV_EV_TOUCH)
		snprintf(l, sizeof(v->line[0]), "keygen: touch the security key now");
	live_erase(v);
	if (ev->kind == HK_PROV_EV_ENTRY) {
		l[0] = '\0';
		plain_line(ev);		/* a permanent line above the live block */
	} else if (ev->kind == HK_PROV_EV_STEP_END && ev->error != NULL)
		plain_line(ev);
	live_draw(v, ev);
}

static void
print_table(const struct hk_prov_result *res, int status)
{
	const struct hk_prov_entry *e;
	char sid[32], text[HK_ERROR_MESSAGE_MAX];
	size_t i, j;
	int wid = 16;

	for (i = 0; i < res->n; i++)
		if ((int)strlen(res->entries[i].plan->id) > wid &&
		    strlen(res->entries[i].plan->id) < 64)
			wid = (int)strlen(res->entries[i].plan->id);
	printf("%-*s %-10s %-8s %-32s %-50s %s\n", wid, "ENTRY", "STATE", "STEP", "KEY ID",
	    "FINGERPRINT", "REGIONS");
	for (i = 0; i < res->n; i++) {
		e = &res->entries[i];
		printf("%-*s %-10s %-8s %-32s %-50s ", wid, e->plan->id,
		    e->already_done && !status ? "done*" : hk_prov_state_name(e->state),
		    hk_prov_step_name(e->step), e->key_id != NULL ? e->key_id : "-",
		    e->fingerprint != NULL ? e->fingerprint : "-");
		for (j = 0; j < e->nimports; j++)
			printf("%s%s:%s", j > 0 ? "," : "", e->imports[j].region,
			    status_id(e->imports[j].status, sid, sizeof(sid)));
		printf("\n");
		if (e->error.code != 0 && e->state != HK_PROV_DONE) {
			hk_cli_cloud_error_text(&e->error, text, sizeof(text));
			printf("%-*s   %s\n", wid, "", text);
		}
	}
	printf("%zu of %zu done", res->ndone, res->n);
	if (res->nalready > 0)
		printf(" (%zu* earlier)", res->nalready);
	printf(", %zu failed, %zu %s\n", res->nfailed, res->ncancelled,
	    status ? "cancelled" : "cancelled or not started");
}

/* ---- the command ---- */

static int
load_plan(const struct hk_cmd *cmd, struct args *a, char **ops, int nops,
    struct hk_plan **planp, struct hk_error *err)
{
	*planp = NULL;
	if (a->plan != NULL) {
		if (nops != 0 || a->type != NULL || a->label != NULL || a->name != NULL ||
		    a->cc.opts.provider != NULL || a->cc.region != NULL || a->attach != NULL)
			return hk_cli_cloud_usage(cmd, &a->cc, "--plan FILE holds the tokens, "
			    "types, labels, names, clouds, regions and instances; give them there");
		if (hk_plan_load(a->plan, planp, err) != 0)
			return -1;
		return 0;
	}
	if (nops != 1)
		return hk_cli_cloud_usage(cmd, &a->cc, "expected TOKEN, or --plan FILE");
	if (a->status)
		return hk_cli_cloud_usage(cmd, &a->cc, "--status goes with --plan FILE");
	/* A security key goes to no cloud: its type and name (the key file) will do. */
	if (a->type != NULL && (strcmp(a->type, "ecdsa-sk") == 0 ||
	    strcmp(a->type, "ed25519-sk") == 0) && strncmp(ops[0], "fido:", 5) == 0) {
		if (a->name == NULL)
			return hk_cli_cloud_usage(cmd, &a->cc, "a fido: TOKEN needs --type and "
			    "--name (the key file written in the current directory)");
	} else if (a->type == NULL || a->label == NULL || a->name == NULL ||
	    a->cc.opts.provider == NULL || a->cc.region == NULL)
		return hk_cli_cloud_usage(cmd, &a->cc, "TOKEN needs --type, --label, --name, "
		    "--cloud and --region");
	if (hk_plan_single(ops[0], a->type, a->label, a->name, a->cc.opts.provider,
	    a->cc.region, NULL, a->attach, planp, err) != 0)
		return -1;
	return 0;
}

static int
run_status(const struct hk_cmd *cmd, struct args *a, const struct hk_plan *plan)
{
	struct hk_prov_result *res = NULL;
	json_t *doc, *arr;
	size_t i;
	int r;

	r = hk_prov_status(a->inventory, plan, &res);
	if (r != 0) {
		if (res == NULL)
			return hk_cli_fail(cmd, r);
		r = hk_cli_cloud_fail(cmd, &a->cc, r, &res->err);
		hk_prov_result_free(res);
		return r;
	}
	if (a->cc.json) {
		arr = json_array();
		for (i = 0; i < res->n; i++)
			json_array_append_new(arr, entry_json(&res->entries[i], 1));
		doc = json_pack("{s:s,s:o,s:o}", "plan", plan->id, "entries", arr, "counts",
		    counts_json(res));
		hk_cli_print_json(doc);
	} else
		print_table(res, 1);
	hk_prov_result_free(res);
	return 0;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a;
	struct hk_plan *plan = NULL;
	struct hk_prov_result *res = NULL;
	struct hk_prov_req req;
	struct hk_error err;
	struct pins pins;
	struct view view;
	void *cbarg[2];
	char **ops = NULL;
	json_t *doc, *arr;
	size_t i;
	int ret, nops = 0, r;

	memset(&a, 0, sizeof(a));
	memset(&pins, 0, sizeof(pins));
	memset(&view, 0, sizeof(view));
	hk_error_clear(&err);
	if ((ret = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return ret;
	if ((ret = load_plan(cmd, &a, ops, nops, &plan, &err)) > 0)
		return ret;
	if (ret < 0)
		return hk_cli_cloud_fail(cmd, &a.cc, err.code, &err);
	if (a.status) {
		ret = run_status(cmd, &a, plan);
		hk_plan_free(plan);
		return ret;
	}
	view.plan = plan;
	view.n = plan->n;
	view.mode = a.cc.json ? OUT_JSON : isatty(STDERR_FILENO) ? OUT_LIVE : OUT_PLAIN;
	if (view.mode == OUT_LIVE && (view.line = calloc(plan->n, sizeof(*view.line))) == NULL)
		view.mode = OUT_PLAIN;
	pins.deflt = a.pin;
	cbarg[0] = &pins;
	cbarg[1] = &view;
	hk_cli_interrupt_install(&a.cc.ui);
	memset(&req, 0, sizeof(req));
	req.plan = plan;
	req.module = a.module;
	req.inventory = a.inventory;
	req.cloud = &a.cc.opts;
	req.pin = pin_ask;
	req.event = on_event;
	req.arg = cbarg;
	req.ui = &a.cc.ui;
	req.workers = a.workers;
	r = hk_prov_run(&req, &res);
	pins_free(&pins);
	if (view.mode == OUT_LIVE)
		live_erase(&view);
	if (res == NULL) {
		ret = hk_cli_fail(cmd, r);
		goto out;
	}
	if (a.cc.json) {
		arr = json_array();
		for (i = 0; i < res->n; i++)
			json_array_append_new(arr, entry_json(&res->entries[i], 0));
		doc = json_pack("{s:s,s:s,s:o,s:o,s:f}", "event", "summary", "plan", plan->id,
		    "entries", arr, "counts", counts_json(res), "seconds", res->seconds);
		if (doc != NULL)
			json_object_set_new(doc, "inventory", json_pack("{s:I,s:f,s:f,s:f,s:f}",
			    "calls", (json_int_t)res->store_calls, "seconds", res->store_seconds,
			    "share", res->store_share, "busy_seconds", res->store_busy_seconds,
			    "wall_share", res->store_wall_share));
		if (doc != NULL && r != 0)
			json_object_set_new(doc, "error", hk_cli_error_json(&res->err));
		print_line(doc);
	} else
		print_table(res, 0);
	fflush(stdout);
	if (r != 0) {
		char text[HK_ERROR_MESSAGE_MAX];

		hk_cli_cloud_error_text(&res->err, text, sizeof(text));
		fprintf(stderr, "hwkey %s: %s\n", cmd->name, text);
	}
	ret = hk_err_exit(r);
 out:
	hk_prov_result_free(res);
	hk_plan_free(plan);
	free(view.line);
	return ret;
}

const struct hk_cmd hk_cmd_provision = {
	.name = "provision",
	.args = "TOKEN | --plan FILE",
	.summary = "generate, prove, export, import and record keys for one token or a plan",
	.opts = opts,
	.run = run,
};
