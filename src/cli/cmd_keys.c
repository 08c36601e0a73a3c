/* hwkey keys: every key pair on a token with its id, label, type, size,
 * SHA256 fingerprint and the on-token flags that prove where it lives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_token.h"
#include "err.h"

static const struct hk_opt opts[] = {
	{ "json", 0, 0, NULL, "print JSON" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "no-login", 0, 0, NULL, "do not log in: public objects only, no private-key flags" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *module, *pin;
	int json, nologin;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "no-login"))
		a->nologin = 1;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	return 0;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_key **keys = NULL;
	char **ops;
	json_t *doc, *arr;
	char kind[HK_KEY_KIND_MAX], flags[160], *fp;
	size_t n = 0, i;
	int r, nops;

	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_usage_error(cmd, "expected one TOKEN (a pkcs11: URI)");
	if ((r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, NULL, NULL)) != 0)
		goto out;
	if (!a.nologin && (r = hk_token_login(ct.tok, HK_TOKEN_USER)) != 0)
		goto out;
	if ((r = hk_token_keys(ct.tok, &keys, &n)) != 0)
		goto out;
	if (a.json) {
		if ((doc = json_object()) == NULL || (arr = json_array()) == NULL) {
			json_decref(doc);
			r = HK_ERR_ALLOC;
			goto out;
		}
		for (i = 0; i < n; i++)
			json_array_append_new(arr, hk_cli_key_json(keys[i]));
		json_object_set_new(doc, "token", json_string(hk_token_get_info(ct.tok)->uri));
		json_object_set_new(doc, "keys", arr);
		r = hk_cli_print_json(doc);
		goto out;
	}
	for (i = 0; i < n; i++) {
		fp = NULL;
		if (keys[i]->key != NULL &&
		    (r = hk_key_fingerprint(keys[i]->key, HK_FP_SHA256, &fp)) != 0)
			goto out;
		hk_cli_key_flags(keys[i], flags, sizeof(flags));
		printf("id %s label \"%s\" %s %u %s %s\n", keys[i]->id_hex[0] != '\0' ?
		    keys[i]->id_hex : "-", keys[i]->label,
		    hk_key_kind_of(keys[i]->key, kind, sizeof(kind)),
		    keys[i]->key != NULL ? hk_key_bits(keys[i]->key) : 0,
		    fp != NULL ? fp : (keys[i]->error != NULL ? keys[i]->error : "-"), flags);
		free(fp);
	}
	r = 0;
 out:
	hk_token_keys_free(keys, n);
	return hk_cli_token_done(cmd, &ct, r);
}

const struct hk_cmd hk_cmd_keys = {
	.name = "keys",
	.args = "TOKEN",
	.summary = "List the key pairs on a token with fingerprints and on-token flags",
	.opts = opts,
	.run = run,
};
