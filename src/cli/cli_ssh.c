/* Where the OpenSSH pieces are: the config, the SecurityKeyProvider, the
 * programs. See cli_ssh.h. */
#include <sys/stat.h>

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_ssh.h"
#include "cli_token.h"
#include "ops_sshcfg.h"

#ifndef HK_SK_PROVIDER_INSTALLED
#define HK_SK_PROVIDER_INSTALLED	"/usr/local/lib/libhwkey-sk.so"
#endif
#define SK_PROVIDER_NAME		"libhwkey-sk.so"

const char *
hk_cli_ssh_config_path(const char *opt, char *buf, size_t size)
{
	if (opt != NULL) {
		if (snprintf(buf, size, "%s", opt) >= (int)size)
			return NULL;
		return buf;
	}
	return hk_sshcfg_default_path(buf, size);
}

int
hk_cli_ssh_config_is_default(const char *path)
{
	char own[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL || pw->pw_dir == NULL ||
	    snprintf(own, sizeof(own), "%s/.ssh/config", pw->pw_dir) >= (int)sizeof(own))
		return 0;
	if (realpath(own, a) == NULL || realpath(path, b) == NULL)
		return strcmp(own, path) == 0;
	return strcmp(a, b) == 0;
}

const char *
hk_cli_sk_provider(char *buf, size_t size)
{
	const char *env = getenv("HWKEY_SK_PROVIDER");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		snprintf(buf, size, "%s", env);
		return buf;
	}
	/* A build directory: the middleware is built next to the hwkey binary. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(buf, size, "%s/" SK_PROVIDER_NAME, self) < (int)size &&
			    access(buf, F_OK) == 0)
				return buf;
		}
	}
	snprintf(buf, size, "%s", HK_SK_PROVIDER_INSTALLED);
	return buf;
}

const char *
hk_cli_ssh_program(void)
{
	const char *p = getenv("HWKEY_SSH");

	return p != NULL && *p != '\0' ? p : "ssh";
}

const char *
hk_cli_ssh_add_program(void)
{
	const char *p = getenv("HWKEY_SSH_ADD");

	return p != NULL && *p != '\0' ? p : "ssh-add";
}

/* The token's ui while checking: the PIN asked once, handed out as copies. */
static int
checked_pin(void *arg, enum hk_ui_secret which, const char *prompt, struct hk_secret **secp)
{
	const struct hk_secret *pin = arg;

	(void)prompt;
	if (which != HK_UI_SECRET_PIN || pin == NULL)
		return hk_errf(HK_ERR_PIN_REQUIRED, "only the user PIN is known here");
	return hk_secret_new(hk_secret_str(pin), hk_secret_len(pin), secp);
}

int
hk_cli_ssh_token_check(struct hk_cli_token *ct, const char *key, struct hk_secret **pinp,
    struct hk_token_key **keyp)
{
	const struct hk_token_info *info = hk_token_get_info(ct->tok);
	struct hk_secret *pin = NULL;
	struct hk_token_key *k = NULL;
	struct hk_token_key **keys = NULL;
	struct hk_ui ui = { 0 };
	char prompt[256];
	size_t n = 0;
	int r;

	*pinp = NULL;
	*keyp = NULL;
	if (info->flags & HK_TOKEN_F_LOGIN_REQUIRED) {
		snprintf(prompt, sizeof(prompt), "PIN for token %s", info->label);
		if ((r = hk_cli_secret_ask(&ct->cu.secret[HK_UI_SECRET_PIN], prompt, &pin)) != 0)
			goto out;
		ui.secret = checked_pin;
		ui.arg = pin;
		hk_token_set_ui(ct->tok, &ui);
		if ((r = hk_token_login(ct->tok, HK_TOKEN_USER)) != 0)
			goto out;
	}
	if (key != NULL)
		r = hk_token_key_find(ct->tok, key, 1, &k);
	else if ((r = hk_token_keys(ct->tok, &keys, &n)) == 0 && n == 0)
		r = hk_errf(HK_ERR_KEY_NOT_FOUND, "token %s holds no key", info->uri);
	if (r != 0)
		goto out;
	*pinp = pin;
	pin = NULL;
	*keyp = k;
	k = NULL;
 out:
	if (ct->tok != NULL)
		hk_token_set_ui(ct->tok, &ct->cu.ui);
	hk_token_keys_free(keys, n);
	hk_token_key_free(k);
	hk_secret_free(pin);
	return r;
}

int
hk_cli_sk_pin_check(struct hk_cli_token *ct, struct hk_secret **pinp)
{
	const struct hk_token_info *info = hk_token_get_info(ct->tok);
	struct hk_secret *pin = NULL;
	struct hk_ui ui = { 0 };
	char prompt[300];
	int r;

	*pinp = NULL;
	if (!(info->flags & HK_TOKEN_F_USER_PIN_INITIALIZED))
		return 0;	/* no PIN to check: the device verifies otherwise, or ssh fails */
	snprintf(prompt, sizeof(prompt), "PIN for security key %s", info->uri);
	if ((r = hk_cli_secret_ask(&ct->cu.secret[HK_UI_SECRET_PIN], prompt, &pin)) != 0)
		return r;
	ui.secret = checked_pin;
	ui.arg = pin;
	hk_token_set_ui(ct->tok, &ui);
	r = hk_token_login(ct->tok, HK_TOKEN_USER);
	hk_token_set_ui(ct->tok, &ct->cu.ui);
	if (r != 0) {
		hk_secret_free(pin);
		return r;
	}
	*pinp = pin;
	return 0;
}
