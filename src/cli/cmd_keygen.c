/* hwkey keygen: generate key pairs on a token, prove each private key was
 * made there and cannot leave, print the OpenSSH public key and fingerprints. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli_interrupt.h"
#include "cli_token.h"
#include "err.h"
#include "file.h"
#include "ops_keygen.h"

static const struct hk_opt opts[] = {
	{ "allow-self-attestation", 0, 0, NULL, "fido: accept a key whose attestation proves no hardware (self or none)" },
	{ "application", 0, 1, "ssh:NAME", "fido: the FIDO application (rp id) of the key (default: ssh:)" },
	{ "attestation", 0, 1, "FILE", "fido: also write the attestation (ssh-sk-attest-v01) to FILE" },
	{ "attestation-roots", 0, 1, "DIR", "fido: also check the attestation certificate chains to a root in DIR" },
	{ "challenge", 0, 1, "FILE", "fido: the client data the attestation signs (default: 32 random bytes)" },
	{ "comment", 'C', 1, "TEXT", "comment of the public key line (default: the label)" },
	{ "count", 0, 1, "N", "make N keys labelled LABEL-1..LABEL-N with one login" },
	{ "force", 0, 0, NULL, "replace a key with the same id or label (after the new one is proven); fido: replace -o files" },
	{ "id", 0, 1, "HEX", "CKA_ID of the new key (default: fresh random; YubiKey: free PIV slot)" },
	{ "json", 0, 0, NULL, "print JSON" },
	{ "label", 0, 1, "LABEL", "CKA_LABEL of the new key (required for pkcs11:; fido: the comment, default user@host)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "no-touch-required", 0, 0, NULL, "fido: signatures need no touch (OpenSSH no-touch-required)" },
	{ "output", 'o', 1, "FILE", "also write the public key(s) to FILE (atomically); fido: FILE is the key-handle file, FILE.pub the public key" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (default: ask)" },
	{ "resident", 0, 0, NULL, "fido: store the key on the device (discoverable; ssh-keygen -K recovers it)" },
	{ "so-pin", 0, 1, "SRC", "SO PIN / YubiKey management key source, where keygen needs it" },
	{ "type", 't', 1, "TYPE", "rsa2048, rsa3072, rsa4096, ecdsa-p256, ecdsa-p384, ecdsa-p521, ed25519 (ecdsa-sk, ed25519-sk: FIDO2)" },
	{ "usage", 0, 1, "LIST", "what the key is for: ssh (default), windows-password (RSA: may decrypt), or both" },
	{ "user", 0, 1, "NAME", "fido: the user id of the credential (at most 31 bytes; default: none)" },
	{ "verify-required", 0, 0, NULL, "fido: signatures need user verification (PIN); OpenSSH verify-required" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *comment, *id, *label, *module, *output, *pin, *so_pin, *type, *usage;
	const char *application, *attestation, *roots, *challenge, *user;
	long count;
	int force, json, resident, verify, no_touch, allow_self, have_count;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	const char *name = cmd->opts[idx].name;
	char *end;

	if (strcmp(name, "allow-self-attestation") == 0)
		a->allow_self = 1;
	else if (strcmp(name, "application") == 0)
		a->application = arg;
	else if (strcmp(name, "attestation") == 0)
		a->attestation = arg;
	else if (strcmp(name, "attestation-roots") == 0)
		a->roots = arg;
	else if (strcmp(name, "challenge") == 0)
		a->challenge = arg;
	else if (strcmp(name, "comment") == 0)
		a->comment = arg;
	else if (strcmp(name, "count") == 0) {
		errno = 0;
		a->count = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno != 0 || a->count < 1 ||
		    a->count > 10000)
			return hk_cli_usage_error(cmd, "--count wants 1..10000, not \"%s\"", arg);
		a->have_count = 1;
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
	else if (strcmp(name, "no-touch-required") == 0)
		a->no_touch = 1;
	else if (strcmp(name, "output") == 0)
		a->output = arg;
	else if (strcmp(name, "pin") == 0)
		a->pin = arg;
	else if (strcmp(name, "resident") == 0)
		a->resident = 1;
	else if (strcmp(name, "so-pin") == 0)
		a->so_pin = arg;
	else if (strcmp(name, "type") == 0)
		a->type = arg;
	else if (strcmp(name, "usage") == 0)
		a->usage = arg;
	else if (strcmp(name, "user") == 0)
		a->user = arg;
	else if (strcmp(name, "verify-required") == 0)
		a->verify = 1;
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
key_text(const struct hk_token_key *k, struct hk_buf *text)
{
	char *line = NULL, *sha = NULL, *md5 = NULL;
	const char *c = hk_key_comment(k->key);
	int r;

	if ((r = hk_key_write(k->key, HK_FMT_OPENSSH, &line)) != 0 ||
	    (r = hk_key_fingerprint(k->key, HK_FP_SHA256, &sha)) != 0 ||
	    (r = hk_key_fingerprint(k->key, HK_FP_MD5, &md5)) != 0)
		goto out;
	r = hk_buf_putf(text, "%s%u %s %s (%s)\n%u %s %s (%s)\n", line,
	    hk_key_bits(k->key), sha, c != NULL ? c : "no comment",
	    hk_key_type_label(k->key), hk_key_bits(k->key), md5,
	    c != NULL ? c : "no comment", hk_key_type_label(k->key));
 out:
	free(line);
	free(sha);
	free(md5);
	return r;
}

/*
 * What was made, text or --json, from the one result; even after a failure
 * (err: what stopped the batch, put into the document beside the keys made).
 */
static int
print_result(const struct hk_op_keygen_result *res, int json, const struct hk_error *err,
    const char *output)
{
	struct hk_buf *text = NULL;
	json_t *doc = NULL, *arr = NULL;
	char flags[160], proof[1024];
	size_t i;
	int r = 0;

	if (res->nkeys == 0)
		return 0;
	if (json) {
		if ((doc = json_object()) == NULL || (arr = json_array()) == NULL) {
			json_decref(doc);
			return HK_ERR_ALLOC;
		}
		for (i = 0; i < res->nkeys; i++)
			json_array_append_new(arr, hk_cli_key_json(res->keys[i], 1));
		json_object_set_new(doc, "token", json_string(res->token_uri));
		json_object_set_new(doc, "keys", arr);
		if (err != NULL)
			json_object_set_new(doc, "error", hk_cli_error_json(err));
		return hk_cli_print_json(doc);
	}
	if ((text = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < res->nkeys && r == 0; i++) {
		hk_cli_key_flags(res->keys[i], 1, flags, sizeof(flags));
		if (res->keys[i]->proof.kind == HK_PROOF_FIDO2_ATTESTATION) {
			hk_cli_proof_text(res->keys[i], proof, sizeof(proof));
			fprintf(stderr, "hwkey keygen: %s key \"%s\" on %s: %s; %s\n",
			    hk_key_kind_name(res->kind), res->keys[i]->label,
			    res->token_uri, flags, proof);
			if (output != NULL)
				fprintf(stderr, "hwkey keygen: key-handle file %s, "
				    "public key %s.pub\n", output, output);
		} else
			fprintf(stderr, "hwkey keygen: %s key id %s label \"%s\" on "
			    "token %s: %s\n", hk_key_kind_name(res->kind),
			    res->keys[i]->id_hex, res->keys[i]->label,
			    res->token_label, flags);
		r = key_text(res->keys[i], text);
	}
	fwrite(hk_buf_ptr(text), 1, hk_buf_len(text), stdout);
	hk_buf_free(text);
	return r;
}

static const char *
pkcs11_only(const struct args *a)
{
	return a->id != NULL ? "--id" : a->so_pin != NULL ? "--so-pin" :
	    a->module != NULL ? "--module" : a->have_count ? "--count" : NULL;
}

static const char *
fido_only(const struct args *a)
{
	return a->allow_self ? "--allow-self-attestation" :
	    a->application != NULL ? "--application" :
	    a->attestation != NULL ? "--attestation" :
	    a->roots != NULL ? "--attestation-roots" :
	    a->challenge != NULL ? "--challenge" :
	    a->no_touch ? "--no-touch-required" : a->resident ? "--resident" :
	    a->user != NULL ? "--user" : a->verify ? "--verify-required" : NULL;
}

/* ssh-keygen's default comment: user@host. */
static void
default_label(char *buf, size_t size)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, size, "%s@%s", pw != NULL ? pw->pw_name : "user", host);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The security-key options into the request (the challenge read here). */
static int
fido_args(const struct hk_cmd *cmd, struct args *a, struct hk_op_keygen_req *req,
    char *deflabel, size_t size, char **challengep, size_t *lenp)
{
	struct hk_error err;
	int r;

	if (a->output == NULL)
		return hk_cli_token_usage(cmd, a->json, "a security key needs -o FILE: "
		    "FILE is the key-handle file ssh uses the key through, FILE.pub "
		    "its public key");
	if (a->application != NULL && strncmp(a->application, "ssh:", 4) != 0)
		return hk_cli_token_usage(cmd, a->json, "--application must start "
		    "with \"ssh:\", not \"%s\"", a->application);
	if (a->user != NULL && (a->user[0] == '\0' || strlen(a->user) > 31))
		return hk_cli_token_usage(cmd, a->json, "--user wants 1 to 31 bytes "
		    "(OpenSSH's limit)");
	if (a->roots != NULL && !is_dir(a->roots))
		return hk_cli_token_usage(cmd, a->json, "--attestation-roots %s is "
		    "not a directory", a->roots);
	if (a->challenge != NULL) {
		/* hk_file_read refuses every non-empty file when max <= 64 KiB (src/file.c):
		 * read with 1 MiB and check the challenge's own limit here. */
		if ((r = hk_file_read(a->challenge, 1 << 20, challengep, lenp)) != 0) {
			hk_error_take(&err, r);
			return hk_cli_token_fail(cmd, &err, a->json);
		}
		if (*lenp > HK_KEYGEN_CHALLENGE_MAX) {
			free(*challengep);
			*challengep = NULL;
			return hk_cli_token_usage(cmd, a->json, "--challenge %s is %zu "
			    "bytes; at most %d", a->challenge, *lenp,
			    HK_KEYGEN_CHALLENGE_MAX);
		}
		if (*lenp == 0) {
			free(*challengep);
			*challengep = NULL;
			return hk_cli_token_usage(cmd, a->json, "--challenge %s is empty",
			    a->challenge);
		}
	}
	if (a->label == NULL) {
		if (a->comment != NULL)
			snprintf(deflabel, size, "%s", a->comment);
		else
			default_label(deflabel, size);
		a->label = deflabel;
	}
	req->resident = a->resident;
	req->user_verification = a->verify;
	req->no_touch = a->no_touch;
	req->application = a->application;
	req->user_id = (const uint8_t *)a->user;
	req->user_id_len = a->user != NULL ? strlen(a->user) : 0;
	req->challenge = (const uint8_t *)*challengep;
	req->challenge_len = *lenp;
	req->attestation = a->attestation;
	req->attestation_roots = a->roots;
	req->allow_self_attestation = a->allow_self;
	return HK_EXIT_OK;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a = { .count = 1 };
	struct hk_op_keygen_req req;
	struct hk_op_keygen_result *res = NULL;
	struct hk_cli_ui cu;
	struct hk_error err;
	char **ops, deflabel[512], *challenge = NULL;
	const char *bad;
	uint8_t id[HK_KEYGEN_ID_MAX];
	size_t challenge_len = 0;
	int r, p, nops, made = 0, fido;

	memset(&req, 0, sizeof(req));
	if ((r = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return r;
	if (nops != 1)
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI "
		    "or a fido: device)");
	fido = strncmp(ops[0], "fido:", 5) == 0;
	if ((bad = fido ? pkcs11_only(&a) : fido_only(&a)) != NULL)
		return hk_cli_token_usage(cmd, a.json, fido ? "%s is a PKCS#11 option; "
		    "fido: devices do not take it" : "%s is for fido: security keys, "
		    "not PKCS#11 tokens", bad);
	if (a.type == NULL || (!fido && a.label == NULL))
		return hk_cli_token_usage(cmd, a.json, fido ? "--type is required" :
		    "--type and --label are required");
	if ((r = hk_key_kind_from_name(a.type, &req.kind)) != 0) {
		hk_error_take(&err, r);
		return hk_cli_token_usage(cmd, a.json, "%s", hk_error_message(&err));
	}
	if (a.id != NULL) {
		if (unhex(a.id, id, sizeof(id), &req.idlen) != 0)
			return hk_cli_token_usage(cmd, a.json, "--id wants hex bytes, not \"%s\"", a.id);
		if (a.count > 1)
			return hk_cli_token_usage(cmd, a.json, "--id and --count > 1 exclude each other");
		req.id = id;
	}
	if (a.usage != NULL) {
		if ((r = hk_key_usage_parse(a.usage, &req.usage)) != 0) {
			hk_error_take(&err, r);
			return hk_cli_token_usage(cmd, a.json, "%s", hk_error_message(&err));
		}
		/* Refused before the token is opened or a PIN asked for. */
		if ((req.usage & HK_KEY_USAGE_WINDOWS_PASSWORD) != 0 &&
		    hk_key_kind(req.kind)->type != HK_KEY_RSA) {
			hk_error_set(&err, HK_ERR_KEY_USAGE, "--usage windows-password needs "
			    "an RSA key (rsa2048, rsa3072, rsa4096), not %s: clouds encrypt "
			    "Windows passwords with RSA PKCS#1 v1.5", a.type);
			return hk_cli_token_fail(cmd, &err, a.json);
		}
	}
	if (a.label != NULL && strlen(a.label) > 200)
		return hk_cli_token_usage(cmd, a.json, "--label is too long");
	/* Last of the checks: it reads the challenge file. */
	if (fido && (r = fido_args(cmd, &a, &req, deflabel, sizeof(deflabel),
	    &challenge, &challenge_len)) != HK_EXIT_OK)
		return r;
	req.uri = ops[0];
	req.module = a.module;
	req.label = a.label;
	req.count = (size_t)a.count;
	req.force = a.force;
	req.comment = a.comment;
	req.output = a.output;
	hk_cli_ui_init(&cu, a.pin, a.so_pin, NULL);
	/* Ctrl-C while a security key waits for its touch cancels the request. */
	if (fido)
		hk_cli_interrupt_install(&cu.ui);
	r = hk_op_keygen(&req, &cu.ui, &res);
	free(challenge);
	if (r != 0 && res != NULL)
		hk_error_copy(&err, &res->err);
	else
		hk_error_take(&err, r);
	/* Keys already made are proven and stay: report them even after a failure. */
	if (res != NULL && res->nkeys > 0) {
		if ((p = print_result(res, a.json, r != 0 ? &err : NULL,
		    a.output)) != 0 && r == 0)
			r = hk_error_take(&err, p);
		made = 1;
	}
	hk_op_keygen_result_free(res);
	if (r == 0)
		return HK_EXIT_OK;
	/* Under --json the document printed above already holds the error. */
	return hk_cli_token_fail(cmd, &err, a.json && !made);
}

const struct hk_cmd hk_cmd_keygen = {
	.name = "keygen",
	.args = "TOKEN",
	.summary = "Generate a key pair on a token and prove it cannot leave it",
	.opts = opts,
	.run = run,
};
