/* hwkey tokens: every PKCS#11 token present (all p11-kit modules, or
 * --module), with what it can generate and the URI that selects it. */
#include <stdio.h>
#include <string.h>

#include "cli_token.h"
#include "err.h"

static const struct hk_opt opts[] = {
	{ "json", 0, 0, NULL, "print JSON" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	int json;
	const char *module;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	(void)cmd;
	if (idx == 0)
		a->json = 1;
	else
		a->module = arg;
	return 0;
}

static json_t *
info_json(const struct hk_token_info *ti)
{
	json_t *o = json_object(), *fl = json_array(), *gen = json_array();
	unsigned int f;
	enum hk_kind k;

	if (o == NULL || fl == NULL || gen == NULL) {
		json_decref(o);
		json_decref(fl);
		json_decref(gen);
		return NULL;
	}
	json_object_set_new(o, "backend", json_string(ti->backend));
	json_object_set_new(o, "module", json_string(ti->module));
	json_object_set_new(o, "module_path", ti->module_path != NULL ?
	    json_string(ti->module_path) : json_null());
	json_object_set_new(o, "library", json_string(ti->library));
	json_object_set_new(o, "slot", json_integer((json_int_t)ti->slot));
	json_object_set_new(o, "label", json_string(ti->label));
	json_object_set_new(o, "manufacturer", json_string(ti->manufacturer));
	json_object_set_new(o, "model", json_string(ti->model));
	json_object_set_new(o, "serial", json_string(ti->serial));
	json_object_set_new(o, "firmware", json_string(ti->firmware));
	json_object_set_new(o, "hardware", json_string(ti->hardware));
	for (f = 1; f <= HK_TOKEN_F_PROTECTED_AUTH_PATH; f <<= 1)
		if ((ti->flags & f) != 0)
			json_array_append_new(fl, json_string(hk_token_flag_name(f)));
	json_object_set_new(o, "flags", fl);
	for (k = 0; k < HK_KIND_COUNT; k++)
		if (hk_token_info_can_make(ti, k))
			json_array_append_new(gen, json_string(hk_key_kind_name(k)));
	json_object_set_new(o, "keygen", gen);
	if (ti->rsa_max_bits != 0) {
		json_object_set_new(o, "rsa_min_bits", json_integer((json_int_t)ti->rsa_min_bits));
		json_object_set_new(o, "rsa_max_bits", json_integer((json_int_t)ti->rsa_max_bits));
	}
	if (ti->ec_max_bits != 0) {
		json_object_set_new(o, "ec_min_bits", json_integer((json_int_t)ti->ec_min_bits));
		json_object_set_new(o, "ec_max_bits", json_integer((json_int_t)ti->ec_max_bits));
	}
	if (ti->pin_max_len != 0) {
		json_object_set_new(o, "pin_min_len", json_integer((json_int_t)ti->pin_min_len));
		json_object_set_new(o, "pin_max_len", json_integer((json_int_t)ti->pin_max_len));
	}
	json_object_set_new(o, "quirk", ti->quirk != NULL ? json_string(ti->quirk) :
	    json_null());
	json_object_set_new(o, "uri", json_string(ti->uri));
	return o;
}

static void
info_print(const struct hk_token_info *ti)
{
	unsigned int f;
	enum hk_kind k;
	int first;

	printf("%s slot %lu: %s\n", ti->module, ti->slot,
	    ti->label[0] != '\0' ? ti->label : "(no label)");
	printf("  manufacturer: %s\n  model: %s\n  serial: %s\n  firmware: %s\n",
	    ti->manufacturer, ti->model, ti->serial, ti->firmware);
	printf("  flags:");
	for (f = 1, first = 1; f <= HK_TOKEN_F_PROTECTED_AUTH_PATH; f <<= 1) {
		if ((ti->flags & f) == 0)
			continue;
		printf("%s%s", first ? " " : ", ", hk_token_flag_name(f));
		first = 0;
	}
	if ((ti->flags & HK_TOKEN_F_INITIALIZED) == 0)
		printf("%snot initialized", first ? " " : ", ");
	printf("\n  keygen:");
	for (k = 0, first = 1; k < HK_KIND_COUNT; k++) {
		if (!hk_token_info_can_make(ti, k))
			continue;
		printf(" %s", hk_key_kind_name(k));
		first = 0;
	}
	if (first)
		printf(" none");
	if (ti->rsa_max_bits != 0)
		printf(" (RSA %lu-%lu bits)", ti->rsa_min_bits, ti->rsa_max_bits);
	printf("\n");
	if (ti->quirk != NULL)
		printf("  quirks: %s\n", ti->quirk);
	printf("  uri: %s\n", ti->uri);
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_info *const *infos;
	char **ops;
	json_t *arr;
	size_t n, i;
	int r, nops;

	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 0)
		return hk_cli_token_usage(cmd, a.json, "no operands expected");
	r = hk_cli_token_open(&ct, a.module, NULL, NULL, NULL, NULL);
	ct.json = a.json;
	if (r != 0 || (r = hk_tokens_list(ct.ts, &infos, &n)) != 0)
		return hk_cli_token_done(cmd, &ct, r);
	if (a.json) {
		if ((arr = json_array()) == NULL)
			return hk_cli_token_done(cmd, &ct, HK_ERR_ALLOC);
		for (i = 0; i < n; i++)
			json_array_append_new(arr, info_json(infos[i]));
		r = hk_cli_print_json(arr);
	} else {
		for (i = 0; i < n; i++) {
			if (i > 0)
				printf("\n");
			info_print(infos[i]);
		}
		if (n == 0)
			fprintf(stderr, "hwkey tokens: no tokens present\n");
	}
	return hk_cli_token_done(cmd, &ct, r);
}

const struct hk_cmd hk_cmd_tokens = {
	.name = "tokens",
	.args = "",
	.summary = "List PKCS#11 tokens, what they can generate, and their URIs",
	.opts = opts,
	.run = run,
};
