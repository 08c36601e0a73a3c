/* hwkey export: the public key of one key on a token, in OpenSSH (the same
 * type and base64 as ssh-keygen -D), RFC 4716, PEM SPKI or PKCS#1 form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_token.h"
#include "err.h"
#include "file.h"

static const struct hk_opt opts[] = {
	{ "format", 'f', 1, "FMT", "openssh (default), rfc4716, pem or pkcs1" },
	{ "json", 0, 0, NULL, "print the key and what was written as JSON" },
	{ "key", 'k', 1, "ID|LABEL", "the key: hex CKA_ID, label, or a pkcs11: object URI" },
	{ "login", 0, 0, NULL, "log in first (tokens that hide public keys until then)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "output", 'o', 1, "FILE", "write to FILE (atomically) instead of standard output" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (implies --login)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *format, *key, *module, *output, *pin;
	int json, login;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "format"))
		a->format = arg;
	else if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "key"))
		a->key = arg;
	else if (hk_opt_is_name(cmd, idx, "login"))
		a->login = 1;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "output"))
		a->output = arg;
	else if (hk_opt_is_name(cmd, idx, "pin")) {
		a->pin = arg;
		a->login = 1;
	}
	return 0;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_key *k = NULL;
	char **ops;
	enum hk_fmt fmt = HK_FMT_OPENSSH;
	char *text = NULL;
	int r, nops;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI)");
	if (a.format != NULL && (hk_fmt_from_name(a.format, &fmt) != 0 ||
	    (fmt != HK_FMT_OPENSSH && fmt != HK_FMT_RFC4716 && fmt != HK_FMT_PEM &&
	    fmt != HK_FMT_PKCS1)))
		return hk_cli_token_usage(cmd, a.json, "--format is openssh, rfc4716, pem or pkcs1");
	r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, NULL, NULL);
	ct.json = a.json;
	if (r != 0 || (r = hk_token_key_find(ct.tok, a.key, a.login, &k)) != 0)
		goto out;
	if (k->key == NULL) {
		r = hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "key %s: %s", k->id_hex,
		    k->error != NULL ? k->error : "public key unreadable");
		goto out;
	}
	if ((r = hk_key_write(k->key, fmt, &text)) != 0)
		goto out;
	if (a.output != NULL &&
	    (r = hk_file_write_atomic(a.output, text, strlen(text), 0644)) != 0)
		goto out;
	if (a.json) {
		json_t *doc = json_object();

		if (doc != NULL) {
			json_object_set_new(doc, "token",
			    json_string(hk_token_get_info(ct.tok)->uri));
			json_object_set_new(doc, "format", json_string(hk_fmt_name(fmt)));
			json_object_set_new(doc, "output", a.output != NULL ?
			    json_string(a.output) : json_null());
			/* Without --output stdout holds the document: the text goes in it. */
			if (a.output == NULL)
				json_object_set_new(doc, "text", json_string(text));
			json_object_set_new(doc, "key", hk_cli_key_json(k, a.login));
		}
		r = hk_cli_print_json(doc);
	} else if (a.output == NULL && fputs(text, stdout) == EOF)
		r = HK_ERR_IO;
 out:
	free(text);
	hk_token_key_free(k);
	return hk_cli_token_done(cmd, &ct, r);
}

const struct hk_cmd hk_cmd_export = {
	.name = "export",
	.args = "TOKEN",
	.summary = "Export the public key of a key on a token",
	.opts = opts,
	.run = run,
};
