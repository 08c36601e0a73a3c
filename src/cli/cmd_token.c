/* hwkey token: verbs on a whole token; "init" runs C_InitToken (erases it,
 * sets the label and the SO PIN), confirming first if it holds data. */
#include <stdio.h>
#include <string.h>

#include "cli_token.h"
#include "err.h"

static const struct hk_opt init_opts[] = {
	{ "json", 0, 0, NULL, "print the result as JSON" },
	{ "label", 0, 1, "LABEL", "the token label (required for PKCS#11, at most 32 bytes; not for fido: devices)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "so-pin", 0, 1, "SRC", "SO PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "yes", 'y', 0, NULL, "do not ask before erasing an initialized token or resetting a fido: device" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *label, *module, *so_pin;
	int json, yes;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "json"))
		a->json = 1;
	else if (hk_opt_is_name(cmd, idx, "label"))
		a->label = arg;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "so-pin"))
		a->so_pin = arg;
	else if (hk_opt_is_name(cmd, idx, "yes"))
		a->yes = 1;
	return 0;
}

/*
 * A FIDO2 device: authenticatorReset erases every credential and the PIN,
 * so it is never done without a yes (typed, or --yes).
 */
static int
run_reset(const struct hk_cmd *cmd, const struct args *a, const char *uri)
{
	struct hk_cli_token ct;
	const struct hk_token_info *ti;
	char q[512];
	int r, yes;

	if (a->label != NULL)
		return hk_cli_token_usage(cmd, a->json, "--label: a FIDO2 device has "
		    "no label to set");
	if (a->so_pin != NULL)
		return hk_cli_token_usage(cmd, a->json, "--so-pin: a FIDO2 device "
		    "has no SO PIN; its reset needs none");
	/* Decide before touching the device: a script without --yes must not hang. */
	if (!a->yes && hk_cli_confirm(NULL) == -1)
		return hk_cli_token_usage(cmd, a->json, "resetting %s erases every "
		    "credential on it; no terminal to confirm on, pass --yes", uri);
	r = hk_cli_token_open(&ct, a->module, uri, NULL, NULL, NULL);
	ct.json = a->json;
	if (r != 0)
		goto out;
	ti = hk_token_get_info(ct.tok);
	if (!a->yes) {
		snprintf(q, sizeof(q), "Reset security key %s (%s)? This erases "
		    "every credential on it (the sk keys made on it stop working) "
		    "and its PIN.", ti->uri, ti->model);
		if ((yes = hk_cli_confirm(q)) != 1) {
			r = yes == -1 ? hk_errf(HK_ERR_USAGE, "no terminal to confirm "
			    "on; pass --yes to reset %s", ti->uri) :
			    hk_errf(HK_ERR_CANCELLED, "%s not reset", ti->uri);
			goto out;
		}
	}
	if ((r = hk_token_init(ct.tok, NULL)) != 0)
		goto out;
	ti = hk_token_get_info(ct.tok);
	if (a->json) {
		json_t *doc = json_object();

		if (doc != NULL) {
			json_object_set_new(doc, "token", json_string(ti->uri));
			json_object_set_new(doc, "module", json_string(ti->module));
			json_object_set_new(doc, "slot", json_integer(0));
			/* A FIDO2 device has no label (its product name is not one). */
			json_object_set_new(doc, "label", json_string(""));
			json_object_set_new(doc, "status", json_string("reset"));
		}
		r = hk_cli_print_json(doc);
	} else
		fprintf(stderr, "hwkey token init: %s reset: no credentials and no "
		    "PIN on it now (set one with hwkey pin set %s)\n", ti->uri,
		    ti->uri);
 out:
	return hk_cli_token_done(cmd, &ct, r);
}

static int
run_init(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	const struct hk_token_info *ti;
	char **ops;
	char q[256];
	int r, nops, yes;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI or a fido: device)");
	if (strncmp(ops[0], "fido:", 5) == 0)
		return run_reset(cmd, &a, ops[0]);
	if (a.label == NULL)
		return hk_cli_token_usage(cmd, a.json, "--label is required");
	if (strlen(a.label) > 32)
		return hk_cli_token_usage(cmd, a.json, "--label is at most 32 bytes");
	r = hk_cli_token_open(&ct, a.module, ops[0], NULL, a.so_pin, NULL);
	ct.json = a.json;
	if (r != 0)
		goto out;
	ti = hk_token_get_info(ct.tok);
	/*
	 * On a fresh token C_InitToken sets the SO PIN it is given: a new
	 * secret, typed twice. An initialized token checks it against its own.
	 */
	ct.cu.secret[HK_UI_SECRET_SO_PIN].confirm =
	    (ti->flags & HK_TOKEN_F_INITIALIZED) == 0;
	/* Re-initializing destroys every key: never without a yes. */
	if ((ti->flags & HK_TOKEN_F_INITIALIZED) != 0 && !a.yes) {
		snprintf(q, sizeof(q), "Erase token %s (serial %s) and every key on it?",
		    ti->label, ti->serial);
		if ((yes = hk_cli_confirm(q)) != 1) {
			r = yes == -1 ? hk_errf(HK_ERR_USAGE, "token %s is initialized; "
			    "no terminal to confirm on, pass --yes to erase it", ti->label) :
			    hk_errf(HK_ERR_CANCELLED, "token %s not erased", ti->label);
			goto out;
		}
	}
	if ((r = hk_token_init(ct.tok, a.label)) != 0)
		goto out;
	if (a.json) {
		json_t *doc = json_object();

		if (doc != NULL) {
			json_object_set_new(doc, "token", json_string(ti->uri));
			json_object_set_new(doc, "module", json_string(ti->module));
			json_object_set_new(doc, "slot", json_integer((json_int_t)ti->slot));
			json_object_set_new(doc, "label", json_string(a.label));
			json_object_set_new(doc, "status", json_string("initialized"));
		}
		r = hk_cli_print_json(doc);
	} else
		fprintf(stderr, "hwkey token init: token in slot %lu initialized as "
		    "\"%s\"; set its user PIN with hwkey pin set\n", ti->slot, a.label);
 out:
	return hk_cli_token_done(cmd, &ct, r);
}

static const struct hk_cmd cmd_init = {
	.name = "init",
	.args = "TOKEN",
	.summary = "Initialize (erase) a token, setting its label and SO PIN; reset a FIDO2 device",
	.opts = init_opts,
	.run = run_init,
	.parent = "token",
};

static const struct hk_cmd *const verbs[] = { &cmd_init, NULL };

const struct hk_cmd hk_cmd_token = {
	.name = "token",
	.summary = "Initialize a token (init)",
	.verbs = verbs,
};
