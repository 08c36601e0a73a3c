/* hwkey keygen: generate key pairs on a token, prove each private key was
 * made there and cannot leave, print the OpenSSH public key and fingerprints. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli_token.h"
#include "err.h"
#include "file.h"

static const struct hk_opt opts[] = {
	{ "comment", 'C', 1, "TEXT", "comment of the public key line (default: the label)" },
	{ "count", 0, 1, "N", "make N keys labelled LABEL-1..LABEL-N with one login" },
	{ "force", 0, 0, NULL, "replace a key with the same id or label (after the new one is proven)" },
	{ "id", 0, 1, "HEX", "CKA_ID of the new key (default: fresh random; YubiKey: free PIV slot)" },
	{ "json", 0, 0, NULL, "print JSON" },
	{ "label", 0, 1, "LABEL", "CKA_LABEL of the new key (required)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "output", 'o', 1, "FILE", "also write the public key(s) to FILE (atomically)" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "so-pin", 0, 1, "SRC", "SO PIN / YubiKey management key source, where keygen needs it" },
	{ "type", 't', 1, "TYPE", "rsa2048, rsa3072, rsa4096, ecdsa-p256, ecdsa-p384, ecdsa-p521, ed25519" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *comment, *id, *label, *module, *output, *pin, *so_pin, *type;
	long count;
	int force, json;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	const char *name = cmd->opts[idx].name;
	char *end;

	if (strcmp(name, "comment") == 0)
		a->comment = arg;
	else if (strcmp(name, "count") == 0) {
		errno = 0;
		a->count = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno != 0 || a->count < 1 ||
		    a->count > 10000)
			return hk_cli_usage_error(cmd, "--count wants 1..10000, not \"%s\"", arg);
	} else if (strcmp(name, "force") == 0)
		a->force = 1;
	else if (strcmp(name, "id") == 0)
		a->id = arg;
	else if (strcmp(name, "json") == 0)
		a->json = 1;
	else if (strcmp(name, "label") == 0)
		a->label = arg;
	else if (strcmp(name, "module") == 0)
		a->module = arg;
	else if (strcmp(name, "output") == 0)
		a->output = arg;
	else if (strcmp(name, "pin") == 0)
		a->pin = arg;
	else if (strcmp(name, "so-pin") == 0)
		a->so_pin = arg;
	else if (strcmp(name, "type") == 0)
		a->type = arg;
	return 0;
}

static int
unhex(const char *s, uint8_t *out, size_t max, size_t *lenp)
{
	size_t n = strlen(s), i;
	unsigned int v;

	if (n == 0 || n % 2 != 0 || n / 2 > max ||
	    strspn(s, "0123456789abcdefABCDEF") != n)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*lenp = n / 2;
	return 0;
}

/* Public key line and ssh-keygen -l style fingerprints, appended to text. */
static int
key_text(const struct hk_token_key *k, struct hk_buf *pub, struct hk_buf *text)
{
	char *line = NULL, *sha = NULL, *md5 = NULL;
	const char *c = hk_key_comment(k->key);
	int r;

	if ((r = hk_key_write(k->key, HK_FMT_OPENSSH, &line)) != 0 ||
	    (r = hk_key_fingerprint(k->key, HK_FP_SHA256, &sha)) != 0 ||
	    (r = hk_key_fingerprint(k->key, HK_FP_MD5, &md5)) != 0)
		goto out;
	if ((r = hk_buf_put(pub, line, strlen(line))) != 0 ||
	    (r = hk_buf_putf(text, "%s%u %s %s (%s)\n%u %s %s (%s)\n", line,
	    hk_key_bits(k->key), sha, c != NULL ? c : "no comment",
	    hk_key_type_label(k->key), hk_key_bits(k->key), md5,
	    c != NULL ? c : "no comment", hk_key_type_label(k->key))) != 0)
		goto out;
 out:
	free(line);
	free(sha);
	free(md5);
	return r;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { .count = 1 };
	struct hk_keygen_req req;
	struct hk_cli_token ct;
	struct hk_token_key *k = NULL;
	struct hk_buf *pub = NULL, *text = NULL;
	char **ops;
	json_t *doc = NULL, *arr = NULL;
	uint8_t id[64];
	char label[256], flags[160];
	long i;
	int r, nops, made = 0;

	memset(&ct, 0, sizeof(ct));
	memset(&req, 0, sizeof(req));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_usage_error(cmd, "expected one TOKEN (a pkcs11: URI)");
	if (a.type == NULL || a.label == NULL)
		return hk_cli_usage_error(cmd, "--type and --label are required");
	if (hk_token_ktype_from_name(a.type, &req.type) != 0)
		return hk_cli_usage_error(cmd, "%s", hk_err_detail());
	if (a.id != NULL) {
		if (unhex(a.id, id, sizeof(id), &req.idlen) != 0)
			return hk_cli_usage_error(cmd, "--id wants hex bytes, not \"%s\"", a.id);
		if (a.count > 1)
			return hk_cli_usage_error(cmd, "--id and --count > 1 exclude each other");
		req.id = id;
	}
	if (strlen(a.label) > 200)
		return hk_cli_usage_error(cmd, "--label is too long");
	req.force = a.force;
	req.batch = a.count > 1;
	if ((pub = hk_buf_new()) == NULL || (text = hk_buf_new()) == NULL ||
	    (a.json && ((doc = json_object()) == NULL || (arr = json_array()) == NULL))) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, a.so_pin, NULL)) != 0)
		goto out;
	for (i = 1; i <= a.count; i++) {
		if (a.count > 1)
			snprintf(label, sizeof(label), "%s-%ld", a.label, i);
		else
			snprintf(label, sizeof(label), "%s", a.label);
		req.label = label;
		if ((r = hk_token_keygen(ct.tok, &req, &k)) != 0)
			goto out;
		made++;
		if (a.comment != NULL && (r = hk_key_set_comment(k->key, a.comment)) != 0)
			goto out;
		if ((r = key_text(k, pub, text)) != 0)
			goto out;
		if (a.json)
			json_array_append_new(arr, hk_cli_key_json(k));
		hk_cli_key_flags(k, flags, sizeof(flags));
		if (!a.json)
			fprintf(stderr, "hwkey keygen: %s key id %s label \"%s\" on token %s: %s\n",
			    hk_token_ktype_name(req.type), k->id_hex, k->label,
			    hk_token_get_info(ct.tok)->label, flags);
		hk_token_key_free(k);
		k = NULL;
	}
	r = 0;
 out:
	hk_token_key_free(k);
	/* Keys already made are proven and stay: report them even after a failure. */
	if (made > 0 && a.output != NULL) {
		int w = hk_file_write_atomic(a.output, hk_buf_ptr(pub), hk_buf_len(pub), 0644);

		if (r == 0)
			r = w;
	}
	if (made > 0 && a.json) {
		json_object_set_new(doc, "token", json_string(hk_token_get_info(ct.tok)->uri));
		json_object_set_new(doc, "keys", arr);
		arr = NULL;
		hk_cli_print_json(doc);
		doc = NULL;
	} else if (made > 0)
		fwrite(hk_buf_ptr(text), 1, hk_buf_len(text), stdout);
	json_decref(arr);
	json_decref(doc);
	hk_buf_free(pub);
	hk_buf_free(text);
	hk_cli_token_close(&ct);
	return r != 0 ? hk_cli_fail(cmd, r) : HK_EXIT_OK;
}

const struct hk_cmd hk_cmd_keygen = {
	.name = "keygen",
	.args = "TOKEN",
	.summary = "Generate a key pair on a token and prove it cannot leave it",
	.opts = opts,
	.run = run,
};
