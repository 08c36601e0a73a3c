/* hwkey tokens: every PKCS#11 token present (all p11-kit modules, or
 * --module) and every FIDO2 device, with what it can generate and the URI
 * that selects it. */
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

static const char *
cose_name(int alg, char *buf, size_t size)
{
	switch (alg) {
	case -7:	return "es256";
	case -8:	return "eddsa";
	case -35:	return "es384";
	case -257:	return "rs256";
	}
	snprintf(buf, size, "cose%d", alg);
	return buf;
}

/* What a FIDO2 device says of itself (authenticatorGetInfo). */
static json_t *
fido2_json(const struct hk_token_fido2_info *f)
{
	json_t *o = json_object(), *v = json_array(), *e = json_array(),
	    *op = json_object(), *al = json_array(), *pp = json_array();
	char buf[32];
	size_t i;

	if (o == NULL || v == NULL || e == NULL || op == NULL || al == NULL || pp == NULL) {
		json_decref(o);
		json_decref(v);
		json_decref(e);
		json_decref(op);
		json_decref(al);
		json_decref(pp);
		return NULL;
	}
	json_object_set_new(o, "aaguid", json_string(f->aaguid));
	for (i = 0; f->versions != NULL && f->versions[i] != NULL; i++)
		json_array_append_new(v, json_string(f->versions[i]));
	json_object_set_new(o, "versions", v);
	for (i = 0; f->extensions != NULL && f->extensions[i] != NULL; i++)
		json_array_append_new(e, json_string(f->extensions[i]));
	json_object_set_new(o, "extensions", e);
	for (i = 0; f->option_names != NULL && f->option_names[i] != NULL; i++)
		json_object_set_new(op, f->option_names[i],
		    json_boolean(f->option_values[i]));
	json_object_set_new(o, "options", op);
	for (i = 0; i < f->nalgorithms; i++)
		json_array_append_new(al, json_string(cose_name(f->algorithms[i], buf,
		    sizeof(buf))));
	json_object_set_new(o, "algorithms", al);
	for (i = 1; i < 32; i++)
		if (f->pin_protocols & (1u << i))
			json_array_append_new(pp, json_integer((json_int_t)i));
	json_object_set_new(o, "pin_protocols", pp);
	json_object_set_new(o, "pin_set", json_boolean(f->has_pin));
	json_object_set_new(o, "pin_retries", f->pin_retries >= 0 ?
	    json_integer(f->pin_retries) : json_null());
	json_object_set_new(o, "rk_remaining", f->rk_remaining >= 0 ?
	    json_integer((json_int_t)f->rk_remaining) : json_null());
	json_object_set_new(o, "firmware_version", json_integer((json_int_t)f->fw_version));
	json_object_set_new(o, "max_msg_size", json_integer((json_int_t)f->max_msg_size));
	return o;
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
	if (ti->fido2 != NULL)
		json_object_set_new(o, "fido2", ti->error == NULL ?
		    fido2_json(ti->fido2) : json_null());
	if (ti->error != NULL)
		json_object_set_new(o, "error", json_string(ti->error));
	return o;
}

/* An option as "rk=yes"; the four hwkey relies on are always named. */
static void
fido2_print(const struct hk_token_info *ti)
{
	static const char *const main_opts[] = { "rk", "uv", "clientPin", "credMgmt" };
	const struct hk_token_fido2_info *f = ti->fido2;
	char buf[32];
	size_t i, j;
	int v;

	printf("%s: %s\n", ti->uri, ti->model[0] != '\0' ? ti->model : "(no product name)");
	if (ti->manufacturer[0] != '\0')
		printf("  manufacturer: %s\n", ti->manufacturer);
	if (ti->error != NULL) {
		printf("  error: %s\n  uri: %s\n", ti->error, ti->uri);
		return;
	}
	printf("  aaguid: %s\n  versions:", f->aaguid[0] != '\0' ? f->aaguid : "(none)");
	for (i = 0; f->versions != NULL && f->versions[i] != NULL; i++)
		printf(" %s", f->versions[i]);
	printf("\n  options:");
	for (j = 0; j < sizeof(main_opts) / sizeof(main_opts[0]); j++) {
		v = hk_token_fido2_option(f, main_opts[j]);
		printf(" %s=%s", main_opts[j], v == 1 ? "yes" : v == 0 ? "no" :
		    "unsupported");
	}
	for (i = 0; f->option_names != NULL && f->option_names[i] != NULL; i++) {
		for (j = 0; j < sizeof(main_opts) / sizeof(main_opts[0]); j++)
			if (strcmp(f->option_names[i], main_opts[j]) == 0)
				break;
		if (j == sizeof(main_opts) / sizeof(main_opts[0]))
			printf(" %s=%s", f->option_names[i],
			    f->option_values[i] ? "yes" : "no");
	}
	printf("\n  extensions:");
	for (i = 0; f->extensions != NULL && f->extensions[i] != NULL; i++)
		printf(" %s", f->extensions[i]);
	if (f->extensions == NULL || f->extensions[0] == NULL)
		printf(" none");
	printf("\n  algorithms:");
	for (i = 0; i < f->nalgorithms; i++)
		printf(" %s", cose_name(f->algorithms[i], buf, sizeof(buf)));
	if (f->nalgorithms == 0)
		printf(" (not reported: es256)");
	printf("\n  firmware: %s\n", ti->firmware);
	if (!f->has_pin)
		printf("  pin: not set\n");
	else if (f->pin_retries >= 0)
		printf("  pin: set, %d retries left\n", f->pin_retries);
	else
		printf("  pin: set\n");
	if (f->rk_remaining >= 0)
		printf("  resident keys: room for %lld more\n", (long long)f->rk_remaining);
	printf("  keygen:");
	for (v = 0; v < HK_KIND_COUNT; v++)
		if (hk_token_info_can_make(ti, (enum hk_kind)v))
			printf(" %s", hk_key_kind_name((enum hk_kind)v));
	printf("\n  uri: %s\n", ti->uri);
}

static void
info_print(const struct hk_token_info *ti)
{
	unsigned int f;
	enum hk_kind k;
	int first;

	if (ti->fido2 != NULL) {
		fido2_print(ti);
		return;
	}
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
			fprintf(stderr, "hwkey tokens: no tokens or FIDO2 devices present\n");
	}
	return hk_cli_token_done(cmd, &ct, r);
}

const struct hk_cmd hk_cmd_tokens = {
	.name = "tokens",
	.args = "",
	.summary = "List PKCS#11 tokens and FIDO2 devices, what they can generate, and their URIs",
	.opts = opts,
	.run = run,
};
