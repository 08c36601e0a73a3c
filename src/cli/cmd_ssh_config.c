/* hwkey ssh-config: a Host block in ~/.ssh/config (or --config) that logs in
 * with a key on a token (PKCS11Provider and the exported .pub) or with a
 * security key's key-handle file (and SecurityKeyProvider when the device
 * needs it). The edit is ops_sshcfg's: in place, atomic, one backup. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_ssh.h"
#include "cli_token.h"
#include "err.h"
#include "file.h"
#include "skfile.h"
#include "ops_sshcfg.h"

static const struct hk_opt opts[] = {
	{ "config", 'F', 1, "FILE", "edit FILE instead of ~/.ssh/config" },
	{ "device", 0, 1, "DEV", "the security key's device (fido:unix:... needs hwkey's SecurityKeyProvider)" },
	{ "hostname", 'H', 1, "NAME", "the server's address (HostName)" },
	{ "json", 0, 0, NULL, "print what was written as JSON" },
	{ "key", 'k', 1, "ID|LABEL", "the key on the token: hex CKA_ID, label, or a pkcs11: object URI" },
	{ "login", 0, 0, NULL, "log in to find the key (tokens that hide public keys until then)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (implies --login)" },
	{ "port", 'p', 1, "PORT", "the server's port (Port)" },
	{ "sk", 0, 1, "FILE", "a security key's key-handle file instead of a TOKEN" },
	{ "user", 'l', 1, "USER", "the login name on the server (User)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *config, *device, *hostname, *key, *module, *pin, *port, *sk, *user;
	int json, login;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "config"))
		a->config = arg;
	else if (hk_opt_is_name(cmd, idx, "device"))
		a->device = arg;
	else if (hk_opt_is_name(cmd, idx, "hostname"))
		a->hostname = arg;
	else if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "key"))
		a->key = arg;
	else if (hk_opt_is_name(cmd, idx, "login"))
		a->login = 1;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "pin")) {
		a->pin = arg;
		a->login = 1;
	} else if (hk_opt_is_name(cmd, idx, "port"))
		a->port = arg;
	else if (hk_opt_is_name(cmd, idx, "sk"))
		a->sk = arg;
	else if (hk_opt_is_name(cmd, idx, "user"))
		a->user = arg;
	return 0;
}

/* An absolute path for the config (ssh resolves relative IdentityFiles against ~). */
static int
absolute(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(buf, size, "%s", path) < (int)size ? 0 :
		    hk_errf(HK_ERR_INVALID_ARGUMENT, "path too long: %s", path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return hk_errf(HK_ERR_SYSTEM, "getcwd: %s", strerror(errno));
	return snprintf(buf, size, "%s/%s", cwd, path) < (int)size ? 0 :
	    hk_errf(HK_ERR_INVALID_ARGUMENT, "path too long: %s", path);
}

/*
 * The .pub IdentityFile next to the config: written when missing; one that
 * holds another key is a conflict (it may be the user's), never replaced.
 */
static int
write_pub(const char *config, const char *host, const struct hk_key *key, char *buf,
    size_t size, int *writtenp)
{
	char *text = NULL, *data = NULL, dir[PATH_MAX], *slash;
	struct hk_key *have = NULL;
	size_t len;
	int r;

	*writtenp = 0;
	if ((r = absolute(config, dir, sizeof(dir))) != 0)
		return r;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (snprintf(buf, size, "%s/hwkey-%s.pub", dir, host) >= (int)size)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "path too long: %s", dir);
	if (access(buf, F_OK) == 0) {
		if ((r = hk_file_read(buf, 1 << 20, &data, &len)) != 0)
			return r;
		r = hk_key_parse(data, len, &have);
		free(data);
		if (r != 0)
			return hk_errf(HK_ERR_EXISTS, "%s exists and is not one public key; "
			    "move it away to let hwkey write the token's key there", buf);
		r = hk_key_equal(have, key);
		hk_key_free(have);
		if (!r)
			return hk_errf(HK_ERR_EXISTS, "%s holds another key than the token's; "
			    "move it away to let hwkey write the token's key there", buf);
		return 0;
	}
	if ((r = hk_key_write(key, HK_FMT_OPENSSH, &text)) != 0)
		return r;
	r = hk_file_write_atomic(buf, text, strlen(text), 0644);
	free(text);
	if (r == 0)
		*writtenp = 1;
	return r;
}

static json_t *
notes_json(const struct hk_sshcfg_result *res)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < res->nnotes; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s}", "kind",
		    hk_sshcfg_note_kind_name(res->notes[i].kind), "line",
		    (json_int_t)res->notes[i].line, "text", res->notes[i].text));
	return arr;
}

static void
print_notes(const char *path, const struct hk_sshcfg_result *res)
{
	const struct hk_sshcfg_note *n;
	size_t i;

	for (i = 0; i < res->nnotes; i++) {
		n = &res->notes[i];
		switch (n->kind) {
		case HK_SSHCFG_NOTE_INCLUDE:
			fprintf(stderr, "hwkey ssh-config: note: %s:%lu: '%s': the included "
			    "files may set this host too; ssh takes the first value it reads\n",
			    path, n->line, n->text);
			break;
		case HK_SSHCFG_NOTE_HOST_BEFORE:
			fprintf(stderr, "hwkey ssh-config: warning: %s:%lu: '%s' comes before "
			    "hwkey's block and wins for every keyword it sets\n", path, n->line,
			    n->text);
			break;
		case HK_SSHCFG_NOTE_HOST_AFTER:
			fprintf(stderr, "hwkey ssh-config: note: %s:%lu: '%s' also matches; "
			    "hwkey's block comes first, so it only adds keywords hwkey does not "
			    "set\n", path, n->line, n->text);
			break;
		case HK_SSHCFG_NOTE_MATCH:
			fprintf(stderr, "hwkey ssh-config: note: %s:%lu: '%s' may also apply "
			    "(Match is not evaluated)\n", path, n->line, n->text);
			break;
		}
	}
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_key *k = NULL;
	struct hk_sshcfg_host h;
	struct hk_sshcfg_result *res = NULL;
	struct hk_sk_file *sk = NULL;
	struct hk_error err;
	const struct hk_key *key = NULL;
	char cfgbuf[PATH_MAX], pub[PATH_MAX], skabs[PATH_MAX], prov[PATH_MAX], *end;
	const char *config;
	char **ops;
	unsigned long port = 0;
	int r, nops, written = 0;

	memset(&ct, 0, sizeof(ct));
	memset(&h, 0, sizeof(h));
	hk_error_clear(&err);
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != (a.sk != NULL ? 1 : 2))
		return hk_cli_token_usage(cmd, a.json, a.sk != NULL ?
		    "expected HOST (with --sk, no TOKEN)" : "expected HOST and TOKEN (or HOST --sk FILE)");
	if (a.sk == NULL && a.key == NULL)
		return hk_cli_token_usage(cmd, a.json, "--key is required with a TOKEN");
	if (a.sk != NULL && (a.key != NULL || a.module != NULL || a.pin != NULL))
		return hk_cli_token_usage(cmd, a.json, "--sk takes no --key, --module or --pin");
	if (a.device != NULL && a.sk == NULL)
		return hk_cli_token_usage(cmd, a.json, "--device goes with --sk");
	if (a.hostname == NULL)
		return hk_cli_token_usage(cmd, a.json, "--hostname is required");
	if ((r = hk_sshcfg_host_check(ops[0])) != 0) {
		hk_error_take(&err, r);
		return hk_cli_token_usage(cmd, a.json, "%s", err.message);
	}
	if (a.port != NULL) {
		errno = 0;
		port = strtoul(a.port, &end, 10);
		if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
			return hk_cli_token_usage(cmd, a.json, "--port '%s' is not 1..65535", a.port);
	}
	if ((config = hk_cli_ssh_config_path(a.config, cfgbuf, sizeof(cfgbuf))) == NULL)
		return hk_cli_token_usage(cmd, a.json, "HOME is not set: give --config FILE");
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	h.host = ops[0];
	h.hostname = a.hostname;
	h.user = a.user;
	h.port = (unsigned int)port;
	if (a.sk != NULL) {
		if ((r = hk_sk_file_read(a.sk, &sk)) != 0 ||
		    (r = absolute(a.sk, skabs, sizeof(skabs))) != 0)
			goto out;
		key = sk->key;
		h.identity_file = skabs;
		h.sk_file = skabs;
		h.sk_device = a.device;	/* hwkey login hands it to the provider */
		/* OpenSSH's built-in support reaches USB HID keys; a Unix-socket device only the middleware. */
		if (a.device != NULL && strncmp(a.device, "fido:unix:", 10) == 0) {
			h.sk_provider = hk_cli_sk_provider(prov, sizeof(prov));
			if (access(prov, R_OK) != 0)
				fprintf(stderr, "hwkey ssh-config: warning: SecurityKeyProvider %s "
				    "does not exist yet (build libhwkey-sk.so or set "
				    "HWKEY_SK_PROVIDER)\n", prov);
		}
	} else {
		r = hk_cli_token_open(&ct, a.module, ops[1], a.pin, NULL, NULL);
		ct.json = a.json;
		if (r != 0 || (r = hk_cli_token_pubkey_find(&ct, a.key, a.login, &k)) != 0)
			goto out;
		key = k->key;
		if ((h.pkcs11_provider = hk_token_get_info(ct.tok)->module_path) == NULL) {
			r = hk_errf(HK_ERR_MODULE_LOAD, "the module of %s has no file path "
			    "for PKCS11Provider; give --module PATH", hk_token_get_info(ct.tok)->uri);
			goto out;
		}
		h.token = hk_token_get_info(ct.tok)->uri;
		h.module = a.module;
		h.key = k->id_hex[0] != '\0' ? k->id_hex : k->label;
		if ((r = write_pub(config, ops[0], key, pub, sizeof(pub), &written)) != 0)
			goto out;
		h.identity_file = pub;
	}
	if ((r = hk_sshcfg_update(config, &h, res, &err)) != 0)
		goto out;
	if (a.json) {
		char fp[128] = "";

		(void)hk_key_fingerprint_buf(key, HK_FP_SHA256, fp, sizeof(fp));
		r = hk_cli_print_json(json_pack("{s:s, s:s, s:s, s:o, s:b, s:b, s:I, s:s, s:b, "
		    "s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s}, s:o}",
		    "host", h.host, "config", config, "path", res->path,
		    "backup", res->backup[0] != '\0' ? json_string(res->backup) : json_null(),
		    "replaced", res->replaced, "changed", res->changed,
		    "line", (json_int_t)res->line, "identity_file", h.identity_file,
		    "identity_written", written,
		    "pkcs11_provider", h.pkcs11_provider != NULL ?
		    json_string(h.pkcs11_provider) : json_null(),
		    "security_key_provider", h.sk_provider != NULL ?
		    json_string(h.sk_provider) : json_null(),
		    "sk_device", h.sk_device != NULL ? json_string(h.sk_device) : json_null(),
		    "token", h.token != NULL ? json_string(h.token) : json_null(),
		    "key", "type", hk_key_type_name(key), "sha256", fp,
		    "comment", hk_key_comment(key) != NULL ? hk_key_comment(key) : "",
		    "notes", notes_json(res)));
	} else {
		if (written)
			printf("wrote %s\n", pub);
		printf("%s Host %s in %s (line %lu)%s\n", !res->changed ? "unchanged:" :
		    res->replaced ? "replaced" : "added", h.host, res->path, res->line,
		    res->backup[0] != '\0' && res->changed ? "; previous content in the backup" : "");
	}
	if (res->nnotes > 0)
		print_notes(res->path, res);
 out:
	if (r != 0 && err.code == r)
		hk_error_copy(&ct.err, &err);
	free(res);
	hk_sk_file_free(sk);
	hk_token_key_free(k);
	return hk_cli_token_done(cmd, &ct, r);
}

const struct hk_cmd hk_cmd_ssh_config = {
	.name = "ssh-config",
	.args = "HOST (TOKEN --key K | --sk FILE)",
	.summary = "Write a Host block that logs in with a hardware key",
	.opts = opts,
	.run = run,
};
