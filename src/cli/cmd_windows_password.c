/* hwkey windows-password: a Windows instance's Administrator password, as
 * the cloud holds it encrypted to the instance's key pair (Huawei ECS
 * ShowServerPassword, or a blob saved earlier), decrypted on the token with
 * that key pair's private key. The password goes to standard output only,
 * never to a terminal unless --show, and is wiped once written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cli_cloud.h"
#include "cli_token.h"
#include "err.h"
#include "file.h"

#define WP_FILE_MAX	(1024 * 1024)	/* hk_file_read needs room past 64 KiB */

static const struct hk_opt opts[] = {
	{ "cacert", 0, 1, "FILE", "also trust the CA certificates in FILE (PEM)" },
	{ "cloud", 0, 1, "NAME", "huawei (aliyun has no Windows passwords)" },
	{ "endpoint", 0, 1, "URL", "send every request to URL (e.g. hwkey-cloudsim)" },
	{ "from-file", 0, 1, "FILE", "decrypt the encrypted password saved in FILE (base64 or the API's JSON) instead of asking the cloud" },
	{ "instance", 'i', 1, "ID", "the Windows instance (server id)" },
	{ "json", 0, 0, NULL, "print JSON" },
	{ "key", 'k', 1, "ID|LABEL", "the instance's key pair on the token: hex CKA_ID, label, or a pkcs11: object URI" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "region", 'r', 1, "R", "the instance's region" },
	{ "retries", 0, 1, "N", "attempts per request on throttling and errors (default 8)" },
	{ "show", 0, 0, NULL, "print the password even when standard output is a terminal" },
	{ "timeout", 0, 1, "SECONDS", "per request (default 30)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	struct hk_cli_cloud cc;
	const char *from_file, *instance, *key, *module, *pin;
	int show, cloud_opts, bad;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	int r;

	if (hk_opt_is_name(cmd, idx, "from-file"))
		a->from_file = arg;
	else if (hk_opt_is_name(cmd, idx, "instance"))
		a->instance = arg;
	else if (hk_opt_is_name(cmd, idx, "key"))
		a->key = arg;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	else if (hk_opt_is_name(cmd, idx, "show"))
		a->show = 1;
	else if ((r = hk_cli_cloud_opt(cmd, idx, arg, &a->cc)) == 1) {
		/* Which of them ask the cloud (with --from-file nothing is sent). */
		if (!hk_opt_is_name(cmd, idx, "json") && !hk_opt_is_name(cmd, idx, "region"))
			a->cloud_opts = 1;
	} else if (r != 0)
		return r;
	return 0;
}

/* The saved blob of --from-file. */
static int
blob_from_file(const char *path, uint8_t **blobp, size_t *lenp)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if ((r = hk_file_read(path, WP_FILE_MAX, &data, &len)) != 0)
		return r;
	if ((r = hk_cloud_password_decode(data, len, blobp, lenp)) != 0) {
		struct hk_error e;

		hk_error_take(&e, r);
		r = hk_errf(r, "%s: %s", path, hk_error_message(&e));
	}
	free(data);
	return r;
}

/* What Cloudbase-init sets is text: a decryption that gives anything else is wrong. */
static int
password_text(const struct hk_secret *pw)
{
	const unsigned char *s = (const unsigned char *)hk_secret_str(pw);
	size_t i, n = hk_secret_len(pw);

	if (n == 0)
		return hk_errf(HK_ERR_ENCRYPTED_DATA, "the password decrypted to nothing");
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return hk_errf(HK_ERR_ENCRYPTED_DATA, "the password decrypted to "
			    "%zu bytes that are not text (byte %zu is 0x%02x): not a "
			    "Cloudbase-init password", n, i + 1, s[i]);
	return 0;
}

/* {cloud, region, instance, source, token, key {id, label}, password}: hwkey-json.7. */
static int
print_json(const struct args *a, const struct hk_token_info *info,
    const struct hk_token_key *k, const struct hk_secret *pw)
{
	json_t *doc, *pv;
	int r;

	pv = json_stringn(hk_secret_str(pw), hk_secret_len(pw));
	doc = json_pack("{s:o, s:o, s:o, s:s, s:s, s:{s:s, s:s}}",
	    "cloud", a->from_file == NULL ? json_string(a->cc.opts.provider) : json_null(),
	    "region", a->cc.region != NULL ? json_string(a->cc.region) : json_null(),
	    "instance", a->instance != NULL ? json_string(a->instance) : json_null(),
	    "source", a->from_file != NULL ? "file" : "cloud",
	    "token", info->uri, "key", "id", k->id_hex, "label", k->label);
	if (doc == NULL || pv == NULL) {
		json_decref(doc);
		json_decref(pv);
		return HK_ERR_ALLOC;
	}
	if (a->from_file != NULL)
		json_object_set_new(doc, "file", json_string(a->from_file));
	json_object_set(doc, "password", pv);
	r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) == EOF ? HK_ERR_IO : 0;
	/* jansson's copy of the password is not wiped by it: wipe it here. */
	hk_wipe((char *)(uintptr_t)json_string_value(pv), hk_secret_len(pw));
	json_decref(pv);
	json_decref(doc);
	return r;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a;
	struct hk_cli_token ct;
	struct hk_cloud *c = NULL;
	struct hk_token_key *k = NULL;
	struct hk_secret *pw = NULL;
	const struct hk_cloud_caps *caps;
	struct hk_error e, shown;
	char text[HK_ERROR_MESSAGE_MAX - 160];
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char **ops;
	int r, nops;

	memset(&a, 0, sizeof(a));
	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.cc.json, "expected one TOKEN (a pkcs11: URI) "
		    "holding the instance's key pair");
	if (a.key == NULL)
		return hk_cli_token_usage(cmd, a.cc.json, "--key is required: the key pair "
		    "the instance was created with");
	if (a.from_file != NULL && a.cloud_opts)
		return hk_cli_token_usage(cmd, a.cc.json, "--from-file decrypts a saved "
		    "password and asks no cloud: leave out --cloud, --endpoint, --cacert, "
		    "--retries and --timeout");
	if (a.from_file == NULL && (a.cc.opts.provider == NULL || a.instance == NULL))
		return hk_cli_token_usage(cmd, a.cc.json, "--cloud and --instance are "
		    "required (or --from-file FILE with a password saved earlier)");
	/* Before any request or PIN: the password is never put on a screen unasked. */
	if (!a.show && isatty(STDOUT_FILENO))
		return hk_cli_token_usage(cmd, a.cc.json, "standard output is a terminal: "
		    "the password would show on the screen; redirect it (> FILE, | "
		    "clip) or give --show");
	if (a.from_file == NULL) {
		caps = hk_cloud_caps_find(a.cc.opts.provider);
		if ((r = hk_cloud_caps_check_server_password(caps)) != 0) {
			hk_error_take(&e, r);
			return hk_cli_token_fail(cmd, &e, a.cc.json);
		}
	}

	/* The encrypted password first: it needs no secret of the token. */
	if (a.from_file != NULL) {
		if ((r = blob_from_file(a.from_file, &blob, &bloblen)) != 0) {
			hk_error_take(&e, r);
			return hk_cli_token_fail(cmd, &e, a.cc.json);
		}
	} else {
		if ((r = hk_cli_cloud_open(&a.cc, &c, NULL, NULL)) != 0)
			return hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
		r = hk_cloud_server_password(c, a.cc.region, a.instance, &blob, &bloblen, &e);
		hk_cloud_free(c);
		if (r != 0) {
			/* As the cloud tables print it: code, message, request id; and where. */
			hk_error_copy(&shown, &e);
			hk_cli_cloud_error_text(&e, text, sizeof(text));
			snprintf(shown.message, sizeof(shown.message), "instance %.64s in %.64s: %s",
			    a.instance, a.cc.region, text);
			return hk_cli_cloud_fail(cmd, &a.cc, r, &shown);
		}
	}

	r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, NULL, NULL);
	ct.json = a.cc.json;
	if (r != 0 || (r = hk_token_key_find(ct.tok, a.key, 1, &k)) != 0 ||
	    (r = hk_token_decrypt(ct.tok, k, HK_DECRYPT_RSA_PKCS1, blob, bloblen, &pw)) != 0 ||
	    (r = password_text(pw)) != 0)
		goto out;
	if (a.cc.json)
		r = print_json(&a, hk_token_get_info(ct.tok), k, pw);
	else if (fwrite(hk_secret_str(pw), 1, hk_secret_len(pw), stdout) !=
	    hk_secret_len(pw) || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		r = hk_errf(HK_ERR_IO, "standard output: write failed");
 out:
	hk_secret_free(pw);
	hk_token_key_free(k);
	free(blob);
	return hk_cli_token_done(cmd, &ct, r);
}

const struct hk_cmd hk_cmd_windows_password = {
	.name = "windows-password",
	.args = "TOKEN",
	.summary = "Decrypt a Windows instance's password with its key pair on a token",
	.opts = opts,
	.run = run,
};
