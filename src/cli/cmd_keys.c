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
	{ "no-login", 0, 0, NULL, "do not log in: public objects only; private halves and flags not checked (not for fido: devices)" },
	{ "pin", 0, 1, "SRC", "user PIN (fido: the device PIN) from env:VAR, file:PATH or fd:N (default: ask)" },
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

/* One row of the table, every cell owned. */
#define KEYS_NCOLS	6
struct row {
	char *cell[KEYS_NCOLS];
};

static void
rows_free(struct row *rows, size_t n)
{
	size_t i, c;

	for (i = 0; rows != NULL && i < n; i++)
		for (c = 0; c < KEYS_NCOLS; c++)
			free(rows[i].cell[c]);
	free(rows);
}

/* A table whose columns are as wide as their widest cell: long labels never shift the rest. */
static int
print_table(struct hk_token_key **keys, size_t n, int checked)
{
	static const char *const head[KEYS_NCOLS] = { "ID", "LABEL", "TYPE", "BITS",
	    "FINGERPRINT", "FLAGS" };
	struct row *rows;
	char kind[HK_KEY_KIND_MAX], flags[160], bits[16], *fp;
	size_t w[KEYS_NCOLS], i, c, len;
	int r = 0;

	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL)
		return HK_ERR_ALLOC;
	for (c = 0; c < KEYS_NCOLS; c++)
		if ((rows[0].cell[c] = strdup(head[c])) == NULL)
			r = HK_ERR_ALLOC;
	for (i = 0; i < n && r == 0; i++) {
		struct hk_token_key *k = keys[i];
		struct row *row = &rows[i + 1];

		fp = NULL;
		if (k->key != NULL && (r = hk_key_fingerprint(k->key, HK_FP_SHA256, &fp)) != 0)
			break;
		hk_cli_key_flags(k, checked, flags, sizeof(flags));
		snprintf(bits, sizeof(bits), "%u", k->key != NULL ? hk_key_bits(k->key) : 0);
		/* A credential id is 100+ bytes: a prefix selects it (--key). */
		if (k->sk_flags != 0 && strlen(k->id_hex) > 16) {
			if ((row->cell[0] = malloc(20)) != NULL)
				snprintf(row->cell[0], 20, "%.16s...", k->id_hex);
		} else
			row->cell[0] = strdup(k->id_hex[0] != '\0' ? k->id_hex : "-");
		row->cell[1] = strdup(k->label[0] != '\0' ? k->label : "-");
		row->cell[2] = strdup(hk_key_kind_of(k->key, kind, sizeof(kind)));
		row->cell[3] = strdup(bits);
		row->cell[4] = fp != NULL ? fp : strdup(k->error != NULL ? k->error : "-");
		row->cell[5] = strdup(flags);
		for (c = 0; c < KEYS_NCOLS; c++)
			if (row->cell[c] == NULL)
				r = HK_ERR_ALLOC;
	}
	if (r != 0)
		goto out;
	for (c = 0; c < KEYS_NCOLS; c++) {
		w[c] = 0;
		for (i = 0; i <= n; i++)
			if ((len = strlen(rows[i].cell[c])) > w[c])
				w[c] = len;
	}
	for (i = 0; i <= n; i++) {
		for (c = 0; c + 1 < KEYS_NCOLS; c++)
			printf("%-*s  ", (int)w[c], rows[i].cell[c]);
		printf("%s\n", rows[i].cell[c]);
	}
 out:
	rows_free(rows, n + 1);
	return r;
}

/* What a FIDO2 listing cannot show, said where the listing is (not an error). */
#define FIDO_NOTE	"only resident keys are listed: a non-resident key " \
	"lives in its key-handle file, not on the device"

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	struct hk_cli_token ct;
	struct hk_token_key **keys = NULL;
	char **ops;
	json_t *doc, *arr;
	size_t n = 0, i;
	int r, nops, fido;

	memset(&ct, 0, sizeof(ct));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI or a fido: device)");
	r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, NULL, NULL);
	ct.json = a.json;
	if (r != 0)
		goto out;
	fido = hk_token_get_info(ct.tok)->fido2 != NULL;
	if (fido && a.nologin) {
		r = hk_errf(HK_ERR_USAGE, "--no-login: a FIDO2 device lists its "
		    "resident keys only with its PIN");
		goto out;
	}
	/* FIDO2: the PIN is asked for and checked here, and kept for the listing. */
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
			json_array_append_new(arr, hk_cli_key_json(keys[i], !a.nologin));
		json_object_set_new(doc, "token", json_string(hk_token_get_info(ct.tok)->uri));
		json_object_set_new(doc, "keys", arr);
		if (fido)
			json_object_set_new(doc, "note", json_string(FIDO_NOTE));
		r = hk_cli_print_json(doc);
		goto out;
	}
	if (n == 0)
		fprintf(stderr, "hwkey keys: no %skeys on %s\n", fido ? "resident " : "",
		    fido ? hk_token_get_info(ct.tok)->uri : hk_token_get_info(ct.tok)->label);
	r = n > 0 ? print_table(keys, n, !a.nologin) : 0;
	if (r == 0 && fido)
		fprintf(stderr, "hwkey keys: %s\n", FIDO_NOTE);
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
