/* hwkey cloud list|delete|attach|detach: the provider's DescribeKeyPairs,
 * DeleteKeyPairs, AttachKeyPair and DetachKeyPair across regions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_cloud.h"
#include "err.h"

#define CLOUD_COMMON_OPTS \
	{ "cacert", 0, 1, "FILE", "also trust the CA certificates in FILE (PEM)" }, \
	{ "cloud", 0, 1, "NAME", "aliyun or huawei" }, \
	{ "endpoint", 0, 1, "URL", "send every request to URL (e.g. hwkey-cloudsim)" }, \
	{ "jobs", 'j', 1, "N", "requests in flight at once (default 8)" }, \
	{ "json", 0, 0, NULL, "print the results as JSON" }

/* Each table sorted by name. */
static const struct hk_opt list_opts[] = {
	CLOUD_COMMON_OPTS,
	{ "name", 'n', 1, "NAME", "only the key pair of this name" },
	HK_CLI_CLOUD_TAIL_OPTS("R[,R...]|all", "regions to list"),
	{ NULL, 0, 0, NULL, NULL },
};

static const struct hk_opt delete_opts[] = {
	CLOUD_COMMON_OPTS,
	HK_CLI_CLOUD_TAIL_OPTS("R[,R...]|all", "regions to delete from"),
	{ "yes", 'y', 0, NULL, "do not ask for confirmation" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct hk_opt attach_opts[] = {
	CLOUD_COMMON_OPTS,
	{ "name", 'n', 1, "NAME", "the key pair" },
	HK_CLI_CLOUD_TAIL_OPTS("R", "the instances' region"),
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	struct hk_cli_cloud cc;
	const char *name;
	int yes;
	char **ops;		/* operands (borrowed strings) */
	int nops;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	int r;

	if ((r = hk_cli_cloud_opt(cmd, idx, arg, &a->cc)) != 0)
		return r == 1 ? 0 : r;
	if (hk_opt_is_name(cmd, idx, "name"))
		a->name = arg;
	else if (hk_opt_is_name(cmd, idx, "yes"))
		a->yes = 1;
	return 0;
}

/* Parse a verb's options (also after operands); returns -1 to go on, else the exit status. */
static int
parse(const struct hk_cmd *cmd, int argc, char **argv, struct args *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, a, &a->ops, &a->nops)) >= 0)
		return r;
	/* Without --region, the credentials' default region (hk_cli_cloud_open). */
	if (a->cc.opts.provider == NULL)
		return hk_cli_cloud_usage(cmd, &a->cc, "--cloud is required");
	return -1;
}

static int
run_list(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct hk_cloud_listing *l = NULL;
	struct hk_cloud_summary sum;
	struct hk_cloud *c = NULL;
	char **regions = NULL;
	size_t nregions = 0, n = 0, i, j;
	struct args a;
	json_t *arr, *o, *pairs;
	int r, ret;

	if ((ret = parse(cmd, argc, argv, &a)) >= 0)
		return ret;
	if (a.nops != 0)
		return hk_cli_cloud_usage(cmd, &a.cc, "unexpected operand %s", a.ops[0]);
	if ((r = hk_cli_cloud_open(&a.cc, &c, &regions, &nregions)) != 0 ||
	    (r = hk_cloud_list(c, regions, nregions, a.name, &l, &n, &sum)) != 0) {
		ret = hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
		goto out;
	}
	if (a.cc.json) {
		arr = json_array();
		for (i = 0; i < n; i++) {
			pairs = json_array();
			for (j = 0; j < l[i].npairs; j++) {
				const struct hk_cloud_keypair *kp = &l[i].pairs[j];

				o = json_pack("{s:s,s:o,s:s?,s:s?}", "name", kp->name,
				    "fingerprints", hk_cli_cloud_fingerprints(
				    a.cc.opts.provider, kp->fingerprint), "public_key",
				    kp->public_key, "created", kp->created);
				json_array_append_new(pairs, o);
			}
			o = json_pack("{s:s,s:o}", "region", l[i].region, "keypairs", pairs);
			if (o != NULL && l[i].error.code != 0)
				json_object_set_new(o, "error", hk_cli_error_json(&l[i].error));
			json_array_append_new(arr, o);
		}
		hk_cli_print_json(json_pack("{s:s,s:o}", "cloud", a.cc.opts.provider,
		    "regions", arr));
	} else {
		char text[HK_ERROR_MESSAGE_MAX];
		int wr = 16, wn = 32;

		/* Columns as wide as the longest region and name. */
		for (i = 0; i < n; i++) {
			if (strlen(l[i].region) > (size_t)wr && strlen(l[i].region) < 128)
				wr = (int)strlen(l[i].region);
			for (j = 0; j < l[i].npairs; j++)
				if (strlen(l[i].pairs[j].name) > (size_t)wn &&
				    strlen(l[i].pairs[j].name) < 256)
					wn = (int)strlen(l[i].pairs[j].name);
		}
		printf("%-*s %-*s %s\n", wr, "REGION", wn, "NAME", "FINGERPRINT");
		for (i = 0; i < n; i++) {
			if (l[i].error.code != 0) {
				hk_cli_cloud_error_text(&l[i].error, text, sizeof(text));
				printf("%-*s failed: %s: %s\n", wr, l[i].region,
				    hk_strerror(l[i].error.code), text);
			}
			for (j = 0; j < l[i].npairs; j++)
				printf("%-*s %-*s %s\n", wr, l[i].region, wn, l[i].pairs[j].name,
				    l[i].pairs[j].fingerprint != NULL ?
				    l[i].pairs[j].fingerprint : "-");
		}
	}
	fflush(stdout);
	ret = hk_cli_cloud_outcome(cmd, &sum);
 out:
	hk_cloud_listings_free(l, n);
	hk_cloud_strv_free(regions);
	hk_cloud_free(c);
	return ret;
}

/* 1 yes; 0 declined (or the prompt was interrupted). */
static int
confirm(const char *what)
{
	char line[16];

	fprintf(stderr, "%s? [y/N] ", what);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		fputc('\n', stderr);
		return 0;
	}
	return line[0] == 'y' || line[0] == 'Y';
}

/* What a result came to, for the table and for --json. */
static const char *
op_status(const struct hk_cloud_op_result *r, const char *verb, int json)
{
	if (r->error.code != 0)
		return "failed";
	if (r->absent && strcmp(verb, "deleted") == 0)
		return "absent";
	if (r->absent)
		return json ? "not_attached" : "not attached";
	return verb;
}

/* Shared output of delete / attach / detach: one line per region × target. */
static int
op_results(const struct hk_cmd *cmd, const struct args *a, const char *verb,
    const struct hk_cloud_op_result *res, size_t n, const struct hk_cloud_summary *sum)
{
	char text[HK_ERROR_MESSAGE_MAX];
	size_t i, nabsent = 0, ndone = 0;
	int wr = 16, wt = 32;
	json_t *arr, *o;

	for (i = 0; i < n; i++) {
		if (strlen(res[i].region) > (size_t)wr && strlen(res[i].region) < 128)
			wr = (int)strlen(res[i].region);
		if (strlen(res[i].target) > (size_t)wt && strlen(res[i].target) < 256)
			wt = (int)strlen(res[i].target);
		nabsent += res[i].error.code == 0 && res[i].absent;
		ndone += res[i].error.code == 0 && !res[i].absent;
	}
	if (a->cc.json) {
		arr = json_array();
		for (i = 0; i < n; i++) {
			/* The same keys as everywhere: name is a key pair's, instance an id. */
			if (a->name == NULL)
				o = json_pack("{s:s,s:s,s:s}", "region", res[i].region, "name",
				    res[i].target, "status", op_status(&res[i], verb, 1));
			else
				o = json_pack("{s:s,s:s,s:s,s:s}", "region", res[i].region,
				    "name", a->name, "instance", res[i].target, "status",
				    op_status(&res[i], verb, 1));
			if (o != NULL && res[i].error.code != 0)
				json_object_set_new(o, "error", hk_cli_error_json(&res[i].error));
			json_array_append_new(arr, o);
		}
		hk_cli_print_json(json_pack("{s:s,s:o}", "cloud", a->cc.opts.provider,
		    "results", arr));
	} else {
		for (i = 0; i < n; i++) {
			if (res[i].error.code == 0) {
				printf("%-*s %-*s %s\n", wr, res[i].region, wt, res[i].target,
				    op_status(&res[i], verb, 0));
				continue;
			}
			hk_cli_cloud_error_text(&res[i].error, text, sizeof(text));
			printf("%-*s %-*s failed: %s: %s\n", wr, res[i].region, wt, res[i].target,
			    hk_strerror(res[i].error.code), text);
		}
		/* Nothing to do for some: say so, so "deleted" is never a guess. */
		if (nabsent > 0)
			printf("%zu %s, %zu %s\n", ndone, verb, nabsent,
			    strcmp(verb, "deleted") == 0 ? "absent" : "not attached");
	}
	fflush(stdout);
	for (i = 0; i < n; i++)
		if (res[i].in_use) {
			fprintf(stderr, "hwkey cloud %s: %s is bound to instances in %s; unbind it "
			    "first: hwkey cloud detach --cloud %s --region %s --name %s "
			    "INSTANCE...\n", cmd->name, res[i].target, res[i].region,
			    a->cc.opts.provider, res[i].region, res[i].target);
			break;
		}
	return hk_cli_cloud_outcome(cmd, sum);
}

static int
run_delete(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct hk_cloud_op_result *res = NULL;
	struct hk_cloud_summary sum;
	struct hk_cloud *c = NULL;
	char **regions = NULL, what[256];
	size_t nregions = 0, n = 0;
	struct args a;
	int r, ret;

	if ((ret = parse(cmd, argc, argv, &a)) >= 0)
		return ret;
	if (a.nops == 0)
		return hk_cli_cloud_usage(cmd, &a.cc, "name the key pairs to delete");
	if ((r = hk_cli_cloud_open(&a.cc, &c, &regions, &nregions)) != 0) {
		ret = hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
		goto out;
	}
	snprintf(what, sizeof(what), "Delete %d %s in %zu %s", a.nops,
	    a.nops == 1 ? "key pair" : "key pairs", nregions, nregions == 1 ? "region" : "regions");
	/* No one to ask is a usage error; a "no" is a cancel, as a Ctrl-C is. */
	if (!a.yes && !isatty(STDIN_FILENO)) {
		ret = hk_cli_cloud_usage(cmd, &a.cc, "standard input is not a terminal: give --yes "
		    "to delete without confirmation");
		goto out;
	}
	if (!a.yes && !confirm(what)) {
		ret = hk_cli_cloud_fail(cmd, &a.cc, hk_errf(HK_ERR_CANCELLED, "not confirmed; "
		    "nothing was deleted"), NULL);
		goto out;
	}
	if ((r = hk_cloud_delete(c, regions, nregions, a.ops, (size_t)a.nops, &res, &n,
	    &sum)) != 0) {
		ret = hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
		goto out;
	}
	ret = op_results(cmd, &a, "deleted", res, n, &sum);
 out:
	hk_cloud_op_results_free(res, n);
	hk_cloud_strv_free(regions);
	hk_cloud_free(c);
	return ret;
}

static int
attach_common(const struct hk_cmd *cmd, int argc, char **argv, int detach)
{
	struct hk_cloud_op_result *res = NULL;
	struct hk_cloud_summary sum;
	struct hk_cloud *c = NULL;
	char **regions = NULL;
	size_t nregions = 0, n = 0, ok = 0;
	struct args a;
	int r, ret;

	if ((ret = parse(cmd, argc, argv, &a)) >= 0)
		return ret;
	if (a.name == NULL)
		ret = hk_cli_cloud_usage(cmd, &a.cc, "--name is required");
	else if (a.nops == 0)
		ret = hk_cli_cloud_usage(cmd, &a.cc, "name the instances");
	else if (a.cc.region != NULL &&
	    (strchr(a.cc.region, ',') != NULL || strcmp(a.cc.region, "all") == 0))
		ret = hk_cli_cloud_usage(cmd, &a.cc, "--region: one region (instance ids are regional)");
	if (ret >= 0) {
		return ret;
	}
	if ((r = hk_cli_cloud_open(&a.cc, &c, &regions, &nregions)) != 0 ||
	    (r = hk_cloud_attach(c, regions[0], a.name, a.ops, (size_t)a.nops, detach,
	    &res, &n, &sum)) != 0) {
		ret = hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
		goto out;
	}
	ret = op_results(cmd, &a, detach ? "detached" : "attached", res, n, &sum);
	ok = sum.nitems - sum.nfailed - sum.ncancelled;
	/* The vendors' semantics, which surprise people: say them every time. */
	if (ok > 0 && !a.cc.json && detach)
		fprintf(stderr, "hwkey cloud %s: restart %s for the change to take effect\n",
		    cmd->name, ok == 1 ? "the instance" : "the instances");
	else if (ok > 0 && !a.cc.json)
		fprintf(stderr, "hwkey cloud %s: restart %s for the change to take effect; "
		    "the key pair replaces any previous one and password login is disabled\n",
		    cmd->name, ok == 1 ? "the instance" : "the instances");
 out:
	hk_cloud_op_results_free(res, n);
	hk_cloud_strv_free(regions);
	hk_cloud_free(c);
	return ret;
}

static int
run_attach(const struct hk_cmd *cmd, int argc, char **argv)
{
	return attach_common(cmd, argc, argv, 0);
}

static int
run_detach(const struct hk_cmd *cmd, int argc, char **argv)
{
	return attach_common(cmd, argc, argv, 1);
}

static const struct hk_cmd cmd_list = {
	.name = "list",
	.summary = "list key pairs (DescribeKeyPairs)",
	.opts = list_opts,
	.run = run_list,
	.parent = "cloud",
};

static const struct hk_cmd cmd_delete = {
	.name = "delete",
	.args = "NAME...",
	.summary = "delete key pairs (DeleteKeyPairs)",
	.opts = delete_opts,
	.run = run_delete,
	.parent = "cloud",
};

static const struct hk_cmd cmd_attach = {
	.name = "attach",
	.args = "INSTANCE...",
	.summary = "bind a key pair to instances (AttachKeyPair; needs a restart)",
	.opts = attach_opts,
	.run = run_attach,
	.parent = "cloud",
};

static const struct hk_cmd cmd_detach = {
	.name = "detach",
	.args = "INSTANCE...",
	.summary = "unbind a key pair from instances (DetachKeyPair; needs a restart)",
	.opts = attach_opts,
	.run = run_detach,
	.parent = "cloud",
};

static const struct hk_cmd *const verbs[] = {
	&cmd_attach, &cmd_delete, &cmd_detach, &cmd_list, NULL,
};

const struct hk_cmd hk_cmd_cloud = {
	.name = "cloud",
	.summary = "manage cloud key pairs: list, delete, attach, detach",
	.verbs = verbs,
};
