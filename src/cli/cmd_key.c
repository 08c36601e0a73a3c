/* hwkey key: verbs on one key of a token; "delete" destroys a key pair
 * after a confirmation on the terminal (or --yes in scripts). */
#include <stdio.h>
#include <string.h>

#include "cli_token.h"
#include "err.h"

static const struct hk_opt delete_opts[] = {
	{ "json", 0, 0, NULL, "print the deleted key as JSON" },
	{ "key", 'k', 1, "ID|LABEL", "the key: hex CKA_ID, label, or a pkcs11: object URI (fido: credential id prefix, label, user or application)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "pin", 0, 1, "SRC", "user PIN (fido: the device PIN) from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "so-pin", 0, 1, "SRC", "SO PIN / YubiKey management key source, where deletion needs it" },
	{ "yes", 'y', 0, NULL, "do not ask for confirmation" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *key, *module, *pin, *so_pin;
	int json, yes;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "key"))
		a->key = arg;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	else if (hk_opt_is_name(cmd, idx, "so-pin"))
		a->so_pin = arg;
	else if (hk_opt_is_name(cmd, idx, "yes"))
		a->yes = 1;
	return 0;
}

static int
run_delete(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_key *k = NULL;
	char **ops;
	char q[512], kind[HK_KEY_KIND_MAX];
	int r, nops, yes;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI or a fido: device)");
	/* Decide before touching the token: a script without --yes must not hang or half-run. */
	if (!a.yes && hk_cli_confirm(NULL) == -1)
		return hk_cli_token_usage(cmd, a.json, "no terminal to confirm on; pass --yes to delete");
	r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, a.so_pin, NULL);
	ct.json = a.json;
	if (r != 0 || (r = hk_token_key_find(ct.tok, a.key, 1, &k)) != 0)
		goto out;
	if (!a.yes) {
		snprintf(q, sizeof(q), "Delete %s key id %s label \"%s\" from token %s? "
		    "This cannot be undone.", hk_key_kind_of(k->key, kind, sizeof(kind)),
		    k->id_hex, k->label, hk_token_get_info(ct.tok)->label);
		if ((yes = hk_cli_confirm(q)) != 1) {
			/* The terminal went away between the two asks: still a usage error. */
			r = yes == -1 ? hk_errf(HK_ERR_USAGE, "no terminal to confirm on; "
			    "pass --yes to delete") : hk_errf(HK_ERR_CANCELLED,
			    "key id %s not deleted", k->id_hex);
			goto out;
		}
	}
	if ((r = hk_token_key_delete(ct.tok, k)) != 0)
		goto out;
	if (a.json) {
		json_t *doc = json_object();

		if (doc != NULL) {
			json_object_set_new(doc, "token",
			    json_string(hk_token_get_info(ct.tok)->uri));
			json_object_set_new(doc, "status", json_string("deleted"));
			json_object_set_new(doc, "key", hk_cli_key_json(k, 1));
		}
		r = hk_cli_print_json(doc);
	} else
		fprintf(stderr, "hwkey key delete: deleted key id %s label \"%s\"\n",
		    k->id_hex, k->label);
 out:
	hk_token_key_free(k);
	return hk_cli_token_done(cmd, &ct, r);
}

static const struct hk_cmd cmd_delete = {
	.name = "delete",
	.args = "TOKEN",
	.summary = "Delete a key pair from a token",
	.opts = delete_opts,
	.run = run_delete,
	.parent = "key",
};

static const struct hk_cmd *const verbs[] = { &cmd_delete, NULL };

const struct hk_cmd hk_cmd_key = {
	.name = "key",
	.summary = "Manage one key on a token (delete)",
	.verbs = verbs,
};
