/* hwkey login: ssh to a host hwkey ssh-config set up. The token, the key
 * and the PIN are checked first (a clear error instead of ssh's "Permission
 * denied"); then ssh runs as hwkey's child and gets the PIN from hwkey's
 * askpass over a private socket, never through argv. Exit status: ssh's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ssh.h"
#include "cli_token.h"
#include "err.h"
#include "ops_sshcfg.h"

static const struct hk_opt opts[] = {
	{ "config", 'F', 1, "FILE", "the config hwkey ssh-config wrote (default ~/.ssh/config)" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *config, *pin;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "config"))
		a->config = arg;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	return 0;
}

/* ssh [-F CONFIG] HOST SSH_ARGS...: ssh takes options after the destination too. */
static char **
ssh_argv(const char *config, char **ops, int nops)
{
	char **argv;
	int n = 0, i;

	if ((argv = calloc((size_t)nops + 4, sizeof(*argv))) == NULL)
		return NULL;
	argv[n++] = (char *)hk_cli_ssh_program();
	if (!hk_cli_ssh_config_is_default(config)) {
		argv[n++] = (char *)"-F";
		argv[n++] = (char *)config;
	}
	for (i = 0; i < nops; i++)
		argv[n++] = ops[i];
	return argv;
}

static void
hint(const char *host, const struct hk_sshcfg_entry *ent, const struct hk_token_key *k)
{
	char fp[128] = "";

	if (k != NULL && k->key != NULL)
		(void)hk_key_fingerprint_buf(k->key, HK_FP_SHA256, fp, sizeof(fp));
	fprintf(stderr, "hwkey login: ssh exited with status 255: it could not connect to "
	    "or authenticate with '%s'.\n", host);
	if (fp[0] != '\0')
		fprintf(stderr, "hwkey login: the key for %s is %s %s on %s; the server must "
		    "list it in authorized_keys (see %s)\n", host, hk_key_type_name(k->key), fp,
		    ent->token, ent->identity_file != NULL ? ent->identity_file : "hwkey export");
	else if (ent->sk_file != NULL)
		fprintf(stderr, "hwkey login: the key for %s is the security key of %s; the "
		    "server must list its public key in authorized_keys\n", host, ent->sk_file);
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_sshcfg_entry *ent = NULL;
	struct hk_token_key *k = NULL;
	struct hk_secret *pin = NULL;
	struct hk_cli_askpass ap = { 0 };
	struct hk_error err;
	char cfgbuf[4096], **sargv = NULL;
	const char *config;
	char **ops;
	int r, nops, status = 0;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops < 1)
		return hk_cli_usage_error(cmd, "expected HOST [-- SSH_ARGS...]");
	if ((r = hk_sshcfg_host_check(ops[0])) != 0) {
		hk_error_take(&err, r);
		return hk_cli_usage_error(cmd, "%s", err.message);
	}
	if ((config = hk_cli_ssh_config_path(a.config, cfgbuf, sizeof(cfgbuf))) == NULL)
		return hk_cli_usage_error(cmd, "HOME is not set: give --config FILE");
	if ((r = hk_sshcfg_lookup_file(config, ops[0], &ent, &err)) != 0)
		return hk_cli_fail_error(cmd, &err);
	if (ent->token != NULL) {
		if ((r = hk_cli_token_open(&ct, ent->module, ent->token, a.pin, NULL, NULL)) != 0 ||
		    (r = hk_cli_ssh_token_check(&ct, ent->key, &pin, &k)) != 0)
			goto out;
		/* ssh loads the module itself: hwkey lets go of the token first. */
		hk_cli_token_close(&ct);
		ap.pin = pin;
	} else {
		/* A security key: ssh asks for the PIN only when the device wants one. */
		hk_cli_ui_init(&ct.cu, a.pin, NULL, NULL);
		ap.src = &ct.cu.secret[HK_UI_SECRET_PIN];
	}
	if ((sargv = ssh_argv(config, ops, nops)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_cli_askpass_run(sargv, &ap, &status, NULL)) != 0)
		goto out;
	hk_secret_free(pin);
	pin = NULL;
	if (status == 255)
		hint(ops[0], ent, k);
 out:
	hk_secret_free(pin);
	free(sargv);
	hk_token_key_free(k);
	if (r != 0) {
		status = hk_cli_token_done(cmd, &ct, r);
		hk_sshcfg_entry_free(ent);
		return status;
	}
	hk_cli_token_close(&ct);
	hk_sshcfg_entry_free(ent);
	return status;
}

const struct hk_cmd hk_cmd_login = {
	.name = "login",
	.args = "HOST [-- SSH_ARGS...]",
	.summary = "Log in with ssh to a host set up by ssh-config, the PIN through hwkey's askpass",
	.opts = opts,
	.run = run,
};
