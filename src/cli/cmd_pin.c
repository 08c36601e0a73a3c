/* hwkey pin: set (C_InitPIN as SO), change (C_SetPIN) and unblock (C_InitPIN
 * as SO on a locked PIN) a token's PIN. Every PIN comes from a source or the
 * terminal, never from argv, and each is used once. */
#include <stdio.h>
#include <string.h>

#include "cli_token.h"
#include "err.h"

static const struct hk_opt set_opts[] = {
	{ "json", 0, 0, NULL, "print the result as JSON" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "new-pin", 0, 1, "SRC", "the new user PIN (fido: the device's first PIN) from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "so-pin", 0, 1, "SRC", "SO PIN from env:VAR, file:PATH or fd:N (default: ask; not for fido: devices)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct hk_opt change_opts[] = {
	{ "json", 0, 0, NULL, "print the result as JSON" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "new-pin", 0, 1, "SRC", "the new PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "pin", 0, 1, "SRC", "the current user PIN, or a fido: device's PIN (default: ask)" },
	{ "so", 0, 0, NULL, "change the SO PIN instead of the user PIN" },
	{ "so-pin", 0, 1, "SRC", "the current SO PIN, with --so (default: ask)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *module, *new_pin, *pin, *so_pin;
	int json, so;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "new-pin"))
		a->new_pin = arg;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	else if (hk_opt_is_name(cmd, idx, "so"))
		a->so = 1;
	else if (hk_opt_is_name(cmd, idx, "so-pin"))
		a->so_pin = arg;
	return 0;
}

static int
run_pin(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	char **ops;
	int r, nops, fido;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI or a fido: device)");
	r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, a.so_pin, a.new_pin);
	ct.json = a.json;
	if (r != 0)
		goto out;
	fido = hk_token_get_info(ct.tok)->fido2 != NULL;
	if (fido && strcmp(cmd->name, "unblock") == 0) {
		/* CTAP has no unblock: a PIN blocked is a PIN gone, with the keys. */
		r = hk_errf(HK_ERR_NOT_SUPPORTED, "%s: a FIDO2 PIN cannot be "
		    "unblocked; only a reset (hwkey token init %s) clears it, and it "
		    "erases every credential on the device",
		    hk_token_get_info(ct.tok)->uri, hk_token_get_info(ct.tok)->uri);
		goto out;
	}
	if (strcmp(cmd->name, "change") == 0)
		r = hk_token_pin_change(ct.tok, a.so ? HK_TOKEN_SO : HK_TOKEN_USER);
	else
		r = hk_token_pin_init(ct.tok);
	if (r == 0 && a.json) {
		json_t *doc = json_object();

		if (doc != NULL) {
			json_object_set_new(doc, "token",
			    json_string(hk_token_get_info(ct.tok)->uri));
			json_object_set_new(doc, "pin", json_string(a.so ? "so" : "user"));
			json_object_set_new(doc, "action", json_string(cmd->name));
			json_object_set_new(doc, "status", json_string(
			    strcmp(cmd->name, "unblock") == 0 ? "unblocked" :
			    strcmp(cmd->name, "set") == 0 ? "set" : "changed"));
		}
		r = hk_cli_print_json(doc);
	} else if (r == 0 && fido)
		fprintf(stderr, "hwkey pin %s: PIN of security key %s %s\n", cmd->name,
		    hk_token_get_info(ct.tok)->uri, strcmp(cmd->name, "set") == 0 ?
		    "set" : "changed");
	else if (r == 0)
		fprintf(stderr, "hwkey pin %s: %s PIN of token %s %s\n", cmd->name,
		    a.so ? "SO" : "user", hk_token_get_info(ct.tok)->label,
		    strcmp(cmd->name, "unblock") == 0 ? "unblocked and set" :
		    strcmp(cmd->name, "set") == 0 ? "set" : "changed");
 out:
	return hk_cli_token_done(cmd, &ct, r);
}

static const struct hk_cmd cmd_set = {
	.name = "set",
	.args = "TOKEN",
	.summary = "Set the user PIN as SO (C_InitPIN), or a FIDO2 device's first PIN",
	.opts = set_opts,
	.run = run_pin,
	.parent = "pin",
};

static const struct hk_cmd cmd_change = {
	.name = "change",
	.args = "TOKEN",
	.summary = "Change the user PIN (or a FIDO2 device's PIN), or with --so the SO PIN (C_SetPIN)",
	.opts = change_opts,
	.run = run_pin,
	.parent = "pin",
};

static const struct hk_cmd cmd_unblock = {
	.name = "unblock",
	.args = "TOKEN",
	.summary = "Unblock a locked user PIN as SO, setting a new one (C_InitPIN)",
	.opts = set_opts,
	.run = run_pin,
	.parent = "pin",
};

static const struct hk_cmd *const verbs[] = { &cmd_change, &cmd_set, &cmd_unblock, NULL };

const struct hk_cmd hk_cmd_pin = {
	.name = "pin",
	.summary = "Set, change or unblock a token's PIN",
	.verbs = verbs,
};
