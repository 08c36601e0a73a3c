/* hwkey login: ssh to a host hwkey ssh-config set up. The token, the key
 * and the PIN are checked first (a clear error instead of ssh's "Permission
 * denied"); then ssh runs as hwkey's child and gets the PIN from hwkey's
 * askpass over a private socket, never through argv. Exit status: ssh's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ssh.h"
#include "cli_token.h"
#include "err.h"
#include "ops_sshcfg.h"
#include "skfile.h"

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

/*
 * A security key's block: its key-handle file must be one; the device the
 * block records becomes HWKEY_SK_DEVICE for the middleware inside ssh and
 * its ssh-sk-helper (ssh_config cannot carry it); a verify-required key
 * has its PIN checked on that device before ssh runs (*pinp, else NULL).
 */
static int
sk_prepare(struct hk_cli_token *ct, const struct hk_sshcfg_entry *ent, const char *pinsrc,
    struct hk_secret **pinp)
{
	struct hk_sk_file *sk = NULL;
	const char *file = ent->sk_file != NULL ? ent->sk_file : ent->identity_file;
	int r, uv;

	*pinp = NULL;
	if (file == NULL)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "the hwkey block of %s names no "
		    "key (run hwkey ssh-config %s again)", ent->host, ent->host);
	if ((r = hk_sk_file_read(file, &sk)) != 0)
		return r;
	uv = (sk->flags & HK_SK_USER_VERIFICATION_REQD) != 0;
	hk_sk_file_free(sk);
	if (ent->sk_device == NULL) {
		/* OpenSSH's own USB support, or the provider's first device. */
		hk_cli_ui_init(&ct->cu, pinsrc, NULL, NULL);
		return 0;
	}
	if (setenv(HK_CLI_SK_DEVICE_ENV, ent->sk_device, 1) != 0)
		return hk_errf(HK_ERR_SYSTEM, "setenv %s: %s", HK_CLI_SK_DEVICE_ENV,
		    strerror(errno));
	if (!uv) {
		hk_cli_ui_init(&ct->cu, pinsrc, NULL, NULL);
		return 0;
	}
	if ((r = hk_cli_token_open(ct, NULL, ent->sk_device, pinsrc, NULL, NULL)) != 0 ||
	    (r = hk_cli_sk_pin_check(ct, pinp)) != 0)
		return r;
	/* ssh's provider opens the device itself: hwkey lets go of it first. */
	hk_cli_token_close(ct);
	return 0;
}

static void
hint(const char *host, const struct hk_sshcfg_entry *ent, const struct hk_token_key *k,
    const char *errtext)
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
	else if (ent->sk_file != NULL && errtext != NULL &&
	    strstr(errtext, "signing failed") != NULL)
		fprintf(stderr, "hwkey login: the security key%s%s did not sign with %s: "
		    "the touch was refused or timed out, the PIN was refused, or the key "
		    "was made on another device (HWKEY_SK_DEBUG=1 says which)\n",
		    ent->sk_device != NULL ? " " : "", ent->sk_device != NULL ?
		    ent->sk_device : "", ent->sk_file);
	else if (ent->sk_file != NULL)
		fprintf(stderr, "hwkey login: the key for %s is the security key of %s; the "
		    "server must list its public key (%s.pub) in authorized_keys\n", host,
		    ent->sk_file, ent->sk_file);
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
	char cfgbuf[4096], **sargv = NULL, *errtext = NULL;
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
		/* A security key: ssh asks for the PIN only when the key wants one. */
		if ((r = sk_prepare(&ct, ent, a.pin, &pin)) != 0)
			goto out;
		ap.pin = pin;
		ap.src = &ct.cu.secret[HK_UI_SECRET_PIN];
	}
	if ((sargv = ssh_argv(config, ops, nops)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	/* ssh's stderr is copied only for a security key, to explain a failed signature. */
	if ((r = hk_cli_askpass_run(sargv, &ap, &status, ent->token == NULL ? &errtext :
	    NULL)) != 0)
		goto out;
	hk_secret_free(pin);
	pin = NULL;
	if (status == 255)
		hint(ops[0], ent, k, errtext);
 out:
	free(errtext);
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
