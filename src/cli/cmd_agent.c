/* hwkey agent add|remove: load a token's keys into ssh-agent (as ssh-add -s
 * does, the PIN through hwkey's askpass after hwkey checked it) or a
 * security key's key-handle file (ssh-add [-S provider] FILE); remove them
 * again (ssh-add -e / -d). When the agent refuses a module outside its -P
 * allowlist, the exact ssh-agent -P line that admits it is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ssh.h"
#include "cli_token.h"
#include "err.h"
#include "skfile.h"

static const struct hk_opt opts[] = {
	{ "device", 0, 1, "DEV", "the security key's device (fido:unix:... needs hwkey's SecurityKeyProvider)" },
	{ "json", 0, 0, NULL, "print what was done as JSON" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "sk", 0, 1, "FILE", "a security key's key-handle file instead of a TOKEN" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *device, *module, *pin, *sk;
	int json;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "device"))
		a->device = arg;
	else if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	else if (hk_opt_is_name(cmd, idx, "sk"))
		a->sk = arg;
	return 0;
}

/* The ssh-agent -P pattern list that admits path, for the hint. */
static void
allowlist_hint(const char *path)
{
	fprintf(stderr, "hwkey agent: ssh-agent loads PKCS#11 modules and security key "
	    "providers only from its allowlist "
	    "(default /usr/lib*/*,/usr/local/lib*/*; it compares the resolved path %s).\n"
	    "hwkey agent: start the agent with:\n  ssh-agent -P '%s'\n", path, path);
}

static int
run_verb(const struct hk_cmd *cmd, int argc, char **argv, int add)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_key *k = NULL;
	struct hk_secret *pin = NULL;
	struct hk_cli_askpass ap = { 0 };
	struct hk_sk_file *sk = NULL;
	char prov[4096], module[4096] = "", *errtext = NULL, *sargv[6];
	const char *token = NULL;
	char **ops;
	int r, nops, status = 0, n = 0;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != (a.sk != NULL ? 0 : 1))
		return hk_cli_token_usage(cmd, a.json, "expected TOKEN or --sk FILE");
	if (a.sk != NULL && (a.module != NULL || a.pin != NULL))
		return hk_cli_token_usage(cmd, a.json, "--sk takes no --module or --pin");
	if (a.device != NULL && a.sk == NULL)
		return hk_cli_token_usage(cmd, a.json, "--device goes with --sk");
	if (getenv("SSH_AUTH_SOCK") == NULL || *getenv("SSH_AUTH_SOCK") == '\0') {
		r = hk_errf(HK_ERR_SSH_TOOL, "SSH_AUTH_SOCK is not set: no ssh-agent to talk to "
		    "(eval $(ssh-agent))");
		goto out;
	}
	sargv[n++] = (char *)hk_cli_ssh_add_program();
	if (a.sk != NULL) {
		if ((r = hk_sk_file_read(a.sk, &sk)) != 0)
			goto out;
		if (add && a.device != NULL && strncmp(a.device, "fido:unix:", 10) == 0) {
			char real[4096];

			/* ssh-agent compares the resolved path with its -P list. */
			if (realpath(hk_cli_sk_provider(prov, sizeof(prov)), real) != NULL)
				snprintf(prov, sizeof(prov), "%s", real);
			sargv[n++] = (char *)"-S";
			sargv[n++] = prov;
			/* ssh-add cannot pass a device: the agent's helper has its own environment. */
			if (!a.json)
				fprintf(stderr, "hwkey agent: note: the agent signs on %s only when it "
				    "runs with %s=%s (else its provider takes the first device "
				    "it finds)\n", a.device, HK_CLI_SK_DEVICE_ENV, a.device);
		}
		sargv[n++] = (char *)(add ? "--" : "-d");
		sargv[n++] = (char *)a.sk;
	} else {
		r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, NULL, NULL);
		ct.json = a.json;
		if (r != 0)
			goto out;
		token = hk_token_get_info(ct.tok)->uri;
		if (hk_token_get_info(ct.tok)->module_path == NULL) {
			r = hk_errf(HK_ERR_MODULE_LOAD, "the module of %s has no file path "
			    "for ssh-add; give --module PATH", token);
			goto out;
		}
		snprintf(module, sizeof(module), "%s", hk_token_get_info(ct.tok)->module_path);
		if (add && (r = hk_cli_ssh_token_check(&ct, NULL, &pin, &k)) != 0)
			goto out;
		sargv[n++] = (char *)(add ? "-s" : "-e");
		sargv[n++] = module;
		ap.pin = pin;
	}
	sargv[n] = NULL;
	if ((r = hk_cli_askpass_run(sargv, &ap, &status, &errtext)) != 0)
		goto out;
	if (status != 0) {
		if (strstr(errtext, "agent refused operation") != NULL) {
			r = hk_errf(HK_ERR_AGENT_REFUSED, "ssh-agent refused %s", module[0] != '\0' ?
			    module : a.sk);
			if (module[0] != '\0')
				allowlist_hint(module);
			else if (n > 3)	/* ssh-add -S PROVIDER -- FILE */
				allowlist_hint(prov);
		} else
			r = hk_errf(HK_ERR_SSH_TOOL, "%s exited with status %d", sargv[0], status);
		goto out;
	}
	if (a.json)
		r = hk_cli_print_json(json_pack("{s:s, s:o, s:o, s:o, s:i}",
		    "action", add ? "add" : "remove",
		    "token", token != NULL ? json_string(token) : json_null(),
		    "module", module[0] != '\0' ? json_string(module) : json_null(),
		    "sk_file", a.sk != NULL ? json_string(a.sk) : json_null(),
		    "ssh_add_status", status));
 out:
	free(errtext);
	hk_secret_free(pin);
	hk_token_key_free(k);
	hk_sk_file_free(sk);
	return hk_cli_token_done(cmd, &ct, r);
}

static int
run_add(const struct hk_cmd *cmd, int argc, char **argv)
{
	return run_verb(cmd, argc, argv, 1);
}

static int
run_remove(const struct hk_cmd *cmd, int argc, char **argv)
{
	return run_verb(cmd, argc, argv, 0);
}

static const struct hk_cmd cmd_add = {
	.name = "add",
	.args = "(TOKEN | --sk FILE)",
	.summary = "Load a token's keys or a security key into ssh-agent",
	.opts = opts,
	.run = run_add,
	.parent = "agent",
};

static const struct hk_cmd cmd_remove = {
	.name = "remove",
	.args = "(TOKEN | --sk FILE)",
	.summary = "Remove them from ssh-agent again",
	.opts = opts,
	.run = run_remove,
	.parent = "agent",
};

static const struct hk_cmd *const verbs[] = { &cmd_add, &cmd_remove, NULL };

const struct hk_cmd hk_cmd_agent = {
	.name = "agent",
	.args = "add|remove ...",
	.summary = "Load hardware keys into ssh-agent, or remove them",
	.verbs = verbs,
};
