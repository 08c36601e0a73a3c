/* hwkey export: the public key of one key on a token, in OpenSSH (the same
 * type and base64 as ssh-keygen -D), RFC 4716, PEM SPKI or PKCS#1 form; for
 * a FIDO2 device the resident keys' key-handle files and .pub, as
 * ssh-keygen -K writes them. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_token.h"
#include "err.h"
#include "file.h"
#include "skfile.h"

static const struct hk_opt opts[] = {
	{ "force", 0, 0, NULL, "fido: overwrite key-handle files that exist" },
	{ "format", 'f', 1, "FMT", "openssh (default), rfc4716, pem or pkcs1" },
	{ "json", 0, 0, NULL, "print the key and what was written as JSON" },
	{ "key", 'k', 1, "ID|LABEL", "the key: hex CKA_ID, label, or a pkcs11: object URI (fido: credential id prefix, label, user or application; default every resident key)" },
	{ "login", 0, 0, NULL, "log in first (tokens that hide public keys until then)" },
	{ "module", 0, 1, "PATH", "use this PKCS#11 module instead of the p11-kit registry" },
	{ "output", 'o', 1, "FILE", "write to FILE (atomically) instead of standard output (fido: FILE and FILE.pub, or a directory; default .)" },
	{ "pin", 0, 1, "SRC", "user PIN from env:VAR, file:PATH or fd:N (implies --login)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct args {
	const char *format, *key, *module, *output, *pin;
	int json, login, force;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;

	if (hk_opt_is_name(cmd, idx, "force"))
		a->force = 1;
	else if (hk_opt_is_name(cmd, idx, "format"))
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

/* One resident key's two files. */
struct fido_out {
	struct hk_token_key *k;
	char *priv, *pub;
	int wrote_priv;
};

/*
 * ssh-keygen -K's name: id_<ecdsa_sk|ed25519_sk>_rk[_<application>][_<user>]
 * with the application's "ssh:" (or "ssh://") cut off; a "/" in it becomes
 * "_" so that a name never leaves the directory.
 */
static char *
fido_file_name(const char *dir, const struct hk_token_key *k)
{
	const char *app = hk_key_sk_application(k->key), *user = "";
	char *ext = NULL, *path = NULL, *c;
	size_t n;

	if (strncmp(app, "ssh://", 6) == 0)
		app += 6;
	else if (strncmp(app, "ssh:", 4) == 0)
		app += 4;
	/* The label is "APPLICATION USER" (tokens/fido2_cred.c). */
	n = strlen(hk_key_sk_application(k->key));
	if (strncmp(k->label, hk_key_sk_application(k->key), n) == 0 &&
	    k->label[n] == ' ')
		user = k->label + n + 1;
	if (asprintf(&ext, "%s%s%s", app, app[0] != '\0' && user[0] != '\0' ?
	    "_" : "", user) < 0)
		return NULL;
	for (c = ext; *c != '\0'; c++)
		if (*c == '/')
			*c = '_';
	/* The current directory, as ssh-keygen -K writes: bare names. */
	if (dir != NULL && strcmp(dir, ".") == 0)
		dir = NULL;
	if (asprintf(&path, "%s%sid_%s_rk%s%s", dir != NULL ? dir : "",
	    dir != NULL && dir[0] != '\0' && dir[strlen(dir) - 1] != '/' ? "/" : "",
	    hk_key_type(k->key) == HK_KEY_ED25519_SK ? "ed25519_sk" : "ecdsa_sk",
	    ext[0] != '\0' ? "_" : "", ext) < 0)
		path = NULL;
	free(ext);
	return path;
}

/* Write one key-handle file and its .pub, both commented with the application. */
static int
fido_write(struct fido_out *o)
{
	struct hk_key *pub = NULL;
	const char *app = hk_key_sk_application(o->k->key);
	char *priv = NULL, *line = NULL;
	size_t len;
	int r;

	if ((r = hk_sk_file_write(o->k->key, o->k->sk_flags, o->k->id, o->k->idlen,
	    app, &priv, &len)) != 0)
		return r;
	r = hk_file_write_atomic(o->priv, priv, len, 0600);
	/* The handle is no secret, but the file is wiped like one. */
	explicit_bzero(priv, len);
	free(priv);
	if (r != 0)
		return r;
	o->wrote_priv = 1;
	if ((r = hk_key_dup(o->k->key, &pub)) != 0 ||
	    (r = hk_key_set_comment(pub, app)) != 0 ||
	    (r = hk_key_write(pub, HK_FMT_OPENSSH, &line)) != 0)
		goto out;
	r = hk_file_write_atomic(o->pub, line, strlen(line), 0644);
 out:
	free(line);
	hk_key_free(pub);
	return r;
}

/*
 * A FIDO2 device: the key-handle file and .pub of one resident key (--key)
 * or of every one, into -o FILE or -o DIR (default the current directory),
 * as ssh-keygen -K names and writes them. Every target is checked before the
 * first is written; a file that exists is replaced only with --force.
 */
static int
export_fido(const struct args *a, struct hk_cli_token *ct)
{
	struct hk_token_key **keys = NULL, *one = NULL;
	struct fido_out *outs = NULL;
	const char *dir = ".";
	struct stat st;
	json_t *doc, *arr, *o;
	size_t n = 0, i, j;
	int r;

	if (a->format != NULL && strcmp(a->format, "openssh") != 0)
		return hk_errf(HK_ERR_USAGE, "--format %s: a FIDO2 device's keys "
		    "are exported as OpenSSH key-handle files", a->format);
	if (a->output != NULL && (strcmp(a->output, "-") == 0 ||
	    strncmp(a->output, "/dev/", 5) == 0))
		return hk_errf(HK_ERR_USAGE, "-o %s: a key-handle file and its .pub "
		    "are two files; name a file or a directory", a->output);
	if (a->key != NULL) {
		if ((r = hk_token_key_find(ct->tok, a->key, 1, &one)) != 0)
			return r;
		if ((keys = calloc(1, sizeof(*keys))) == NULL) {
			hk_token_key_free(one);
			return HK_ERR_ALLOC;
		}
		keys[0] = one;
		n = 1;
	} else if ((r = hk_token_keys(ct->tok, &keys, &n)) != 0)
		return r;
	if (n == 0) {
		r = hk_errf(HK_ERR_KEY_NOT_FOUND, "%s: no resident keys to export "
		    "(a non-resident key lives in its key-handle file already)",
		    hk_token_get_info(ct->tok)->uri);
		goto out;
	}
	if (a->output != NULL && stat(a->output, &st) == 0 && S_ISDIR(st.st_mode))
		dir = a->output;
	else if (a->output != NULL && n > 1) {
		r = hk_errf(HK_ERR_USAGE, "-o %s: %zu resident keys need a directory "
		    "(or pick one with --key)", a->output, n);
		goto out;
	} else if (a->output != NULL)
		dir = NULL;
	if ((outs = calloc(n, sizeof(*outs))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		outs[i].k = keys[i];
		if (keys[i]->key == NULL) {
			r = hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "resident key %s: %s",
			    keys[i]->id_hex, keys[i]->error != NULL ? keys[i]->error :
			    "public key unreadable");
			goto out;
		}
		outs[i].priv = dir != NULL ? fido_file_name(dir, keys[i]) :
		    strdup(a->output);
		if (outs[i].priv == NULL ||
		    asprintf(&outs[i].pub, "%s.pub", outs[i].priv) < 0) {
			outs[i].pub = NULL;
			r = HK_ERR_ALLOC;
			goto out;
		}
		if (a->force)
			continue;
		if (access(outs[i].priv, F_OK) == 0 || access(outs[i].pub, F_OK) == 0) {
			r = hk_errf(HK_ERR_EXISTS, "%s%s exists; nothing was written "
			    "(--force replaces it)", outs[i].priv,
			    access(outs[i].priv, F_OK) == 0 ? "" : ".pub");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if ((r = fido_write(&outs[i])) != 0) {
			/* All or nothing: what this run wrote goes again. */
			for (j = 0; j <= i; j++) {
				if (!a->force && outs[j].wrote_priv) {
					(void)unlink(outs[j].priv);
					if (j < i)
						(void)unlink(outs[j].pub);
				}
			}
			goto out;
		}
	}
	if (a->json) {
		if ((doc = json_object()) == NULL || (arr = json_array()) == NULL) {
			json_decref(doc);
			r = HK_ERR_ALLOC;
			goto out;
		}
		json_object_set_new(doc, "token",
		    json_string(hk_token_get_info(ct->tok)->uri));
		json_object_set_new(doc, "format", json_string("openssh"));
		json_object_set_new(doc, "output", json_string(a->output != NULL ?
		    a->output : "."));
		for (i = 0; i < n; i++) {
			if ((o = json_object()) == NULL)
				continue;
			json_object_set_new(o, "private_file", json_string(outs[i].priv));
			json_object_set_new(o, "public_file", json_string(outs[i].pub));
			json_object_set_new(o, "key", hk_cli_key_json(outs[i].k, 1));
			json_array_append_new(arr, o);
		}
		json_object_set_new(doc, "keys", arr);
		r = hk_cli_print_json(doc);
	} else {
		for (i = 0; i < n; i++)
			fprintf(stderr, "hwkey export: %s: wrote %s and %s\n",
			    outs[i].k->label, outs[i].priv, outs[i].pub);
	}
 out:
	for (i = 0; outs != NULL && i < n; i++) {
		free(outs[i].priv);
		free(outs[i].pub);
	}
	free(outs);
	hk_token_keys_free(keys, n);
	return r;
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
		return hk_cli_token_usage(cmd, a.json, "expected one TOKEN (a pkcs11: URI or a fido: device)");
	if (a.format != NULL && (hk_fmt_from_name(a.format, &fmt) != 0 ||
	    (fmt != HK_FMT_OPENSSH && fmt != HK_FMT_RFC4716 && fmt != HK_FMT_PEM &&
	    fmt != HK_FMT_PKCS1)))
		return hk_cli_token_usage(cmd, a.json, "--format is openssh, rfc4716, pem or pkcs1");
	r = hk_cli_token_open(&ct, a.module, ops[0], a.pin, NULL, NULL);
	ct.json = a.json;
	if (r == 0 && hk_token_get_info(ct.tok)->fido2 != NULL) {
		r = export_fido(&a, &ct);
		goto out;
	}
	if (a.force) {
		r = hk_errf(HK_ERR_USAGE, "--force is for fido: devices (key-handle "
		    "files); a public key file is always replaced");
		goto out;
	}
	if (r != 0 || (r = hk_cli_token_pubkey_find(&ct, a.key, a.login, &k)) != 0)
		goto out;
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
