/* A batch of keygens on one token: the token request built once, labels
 * numbered, every key made kept and reported even after a failure. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "ops.h"
#include "ops_keygen.h"
#include "skfile.h"

#define KEYGEN_LABEL_MAX	256

void
hk_op_keygen_result_free(struct hk_op_keygen_result *res)
{
	if (res == NULL)
		return;
	hk_token_keys_free(res->keys, res->nkeys);
	free(res->token_uri);
	free(res->token_label);
	free(res);
}

/* The token's request from the operation's. */
static int
keygen_req_build(const struct hk_op_keygen_req *req, struct hk_keygen_req **kp)
{
	struct hk_keygen_req *k;
	int r;

	*kp = NULL;
	if ((k = hk_keygen_req_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_keygen_req_set_kind(k, req->kind)) != 0 ||
	    (r = hk_keygen_req_set_id(k, req->id, req->idlen)) != 0 ||
	    (r = hk_keygen_req_set_force(k, req->force)) != 0 ||
	    (r = hk_keygen_req_set_batch(k, req->count > 1)) != 0 ||
	    (r = hk_keygen_req_set_resident(k, req->resident)) != 0 ||
	    (r = hk_keygen_req_set_user_verification(k, req->user_verification)) != 0 ||
	    (r = hk_keygen_req_set_touch_required(k, !req->no_touch)) != 0 ||
	    (r = hk_keygen_req_set_application(k, req->application)) != 0 ||
	    (r = hk_keygen_req_set_user_id(k, req->user_id, req->user_id_len)) != 0 ||
	    (r = hk_keygen_req_set_challenge(k, req->challenge,
	    req->challenge_len)) != 0 ||
	    (r = hk_keygen_req_set_attestation_roots(k, req->attestation_roots)) != 0 ||
	    (r = hk_keygen_req_set_allow_self_attestation(k,
	    req->allow_self_attestation)) != 0 ||
	    (r = hk_keygen_req_set_usage(k, req->usage)) != 0) {
		hk_keygen_req_free(k);
		return r;
	}
	*kp = k;
	return 0;
}

static int
keygen_add(struct hk_op_keygen_result *res, struct hk_token_key *k)
{
	struct hk_token_key **nk;

	if ((nk = reallocarray(res->keys, res->nkeys + 1, sizeof(*nk))) == NULL)
		return HK_ERR_ALLOC;
	res->keys = nk;
	res->keys[res->nkeys++] = k;
	return 0;
}

/* The public key lines of the keys made, to req->output. */
static int
keygen_write(const struct hk_op_keygen_req *req, const struct hk_op_keygen_result *res)
{
	struct hk_buf *b;
	char *line;
	size_t i;
	int r = 0;

	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < res->nkeys && r == 0; i++) {
		if ((r = hk_key_write(res->keys[i]->key, HK_FMT_OPENSSH, &line)) != 0)
			break;
		r = hk_buf_put(b, line, strlen(line));
		free(line);
	}
	if (r == 0)
		r = hk_file_write_atomic(req->output, hk_buf_ptr(b), hk_buf_len(b), 0644);
	hk_buf_free(b);
	return r;
}

static int
is_sk_kind(enum hk_kind kind)
{
	return kind == HK_KIND_ECDSA_SK || kind == HK_KIND_ED25519_SK;
}

static int
sk_pub_path(const char *output, char **pathp)
{
	if (asprintf(pathp, "%s.pub", output) < 0) {
		*pathp = NULL;
		return HK_ERR_ALLOC;
	}
	return 0;
}

/* The directory path goes in exists and takes a new file. */
static int
dir_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ok;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return HK_ERR_ALLOC;
	ok = access(dir, W_OK | X_OK) == 0;
	free(dir);
	if (!ok)
		return hk_errf(HK_ERR_IO, "%s: cannot write a file in its directory "
		    "(%s)", path, strerror(errno));
	return 0;
}

/* Before the device is touched: the files an sk keygen writes are free. */
static int
keygen_sk_paths_free(const struct hk_op_keygen_req *req)
{
	const char *paths[3];
	char *pub;
	struct stat st;
	size_t i;
	int r = 0;

	if ((r = sk_pub_path(req->output, &pub)) != 0)
		return r;
	paths[0] = req->output;
	paths[1] = pub;
	paths[2] = req->attestation;
	for (i = 0; i < 3 && r == 0; i++) {
		if (paths[i] == NULL)
			continue;
		if (!req->force && lstat(paths[i], &st) == 0)
			r = hk_errf(HK_ERR_EXISTS, "%s exists; remove it, pick another "
			    "-o FILE, or give --force to replace it", paths[i]);
		else if (r == 0)
			r = dir_writable(paths[i]);
	}
	free(pub);
	return r;
}

/*
 * The key-handle file, FILE.pub and the attestation, each atomically; if a
 * later one fails, the earlier ones go again so no half set is left.
 */
static int
keygen_write_sk(const struct hk_op_keygen_req *req, const struct hk_token_key *k)
{
	char *priv = NULL, *line = NULL, *pub = NULL;
	size_t privlen;
	int r, wrote_priv = 0, wrote_pub = 0;

	if ((r = sk_pub_path(req->output, &pub)) != 0 ||
	    (r = hk_sk_file_write(k->key, k->sk_flags, k->id, k->idlen, NULL, &priv,
	    &privlen)) != 0 ||
	    (r = hk_key_write(k->key, HK_FMT_OPENSSH, &line)) != 0)
		goto out;
	if ((r = hk_file_write_atomic(req->output, priv, privlen, 0600)) != 0)
		goto out;
	wrote_priv = 1;
	if ((r = hk_file_write_atomic(pub, line, strlen(line), 0644)) != 0)
		goto out;
	wrote_pub = 1;
	if (req->attestation != NULL) {
		if (k->proof.kind != HK_PROOF_FIDO2_ATTESTATION ||
		    k->proof.u.fido2.attestation.ptr == NULL) {
			r = hk_errf(HK_ERR_ATTESTATION, "the device returned no "
			    "attestation to write to %s", req->attestation);
			goto out;
		}
		r = hk_file_write_atomic(req->attestation,
		    k->proof.u.fido2.attestation.ptr, k->proof.u.fido2.attestation.len,
		    0644);
	}
 out:
	if (r != 0 && wrote_priv)
		(void)unlink(req->output);
	if (r != 0 && wrote_pub)
		(void)unlink(pub);
	if (priv != NULL)
		hk_freezero(priv, privlen);
	free(line);
	free(pub);
	return r;
}

int
hk_op_keygen(const struct hk_op_keygen_req *req, const struct hk_ui *ui,
    struct hk_op_keygen_result **resp)
{
	struct hk_op_keygen_result *res;
	struct hk_tokens *ts = NULL;
	struct hk_token *tok = NULL;
	struct hk_keygen_req *kreq = NULL;
	struct hk_token_key *k = NULL;
	const struct hk_token_info *info;
	struct hk_error first;
	char label[KEYGEN_LABEL_MAX];
	size_t count = req->count > 1 ? req->count : 1, i;
	int r, w, sk = 0;

	*resp = NULL;
	hk_error_clear(&first);
	hk_err_clear();
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return HK_ERR_ALLOC;
	res->kind = req->kind;
	res->nitems = count;
	*resp = res;
	if (req->label == NULL || *req->label == '\0' ||
	    strlen(req->label) + 24 > sizeof(label)) {
		r = hk_error_set(&res->err, HK_ERR_INVALID_ARGUMENT,
		    "a key needs a label of at most %zu bytes", sizeof(label) - 24);
		goto out;
	}
	if (req->id != NULL && count > 1) {
		r = hk_error_set(&res->err, HK_ERR_INVALID_ARGUMENT,
		    "one id cannot name %zu keys", count);
		goto out;
	}
	if (!is_sk_kind(req->kind) && req->attestation != NULL) {
		r = hk_error_set(&res->err, HK_ERR_INVALID_ARGUMENT,
		    "--attestation is for security keys (ecdsa-sk, ed25519-sk)");
		goto out;
	}
	if ((r = keygen_req_build(req, &kreq)) != 0 ||
	    (r = hk_tokens_open(req->module, &ts)) != 0) {
		hk_error_take(&res->err, r);
		goto out;
	}
	if ((r = hk_token_select(ts, req->uri, &tok)) != 0) {
		hk_error_copy(&res->err, hk_tokens_error(ts));
		goto out;
	}
	hk_token_set_ui(tok, ui);
	info = hk_token_get_info(tok);
	if ((res->token_uri = strdup(info->uri)) == NULL ||
	    (res->token_label = strdup(info->label)) == NULL) {
		r = hk_error_set(&res->err, HK_ERR_ALLOC, "%s", hk_strerror(HK_ERR_ALLOC));
		goto out;
	}
	/*
	 * A device that makes security keys: one at a time, into files that
	 * are free, all checked before it is asked for a touch. (A token that
	 * cannot make them refuses the type in its keygen, as before.)
	 */
	sk = is_sk_kind(req->kind) && hk_token_info_can_make(info, req->kind);
	if (sk && (count > 1 || req->output == NULL)) {
		r = hk_error_set(&res->err, HK_ERR_INVALID_ARGUMENT, count > 1 ?
		    "one security key is made at a time (each needs a touch)" :
		    "a security key needs -o FILE: the key-handle file is what "
		    "ssh uses the key through");
		goto out;
	}
	if (sk && (r = keygen_sk_paths_free(req)) != 0) {
		hk_error_take(&res->err, r);
		goto out;
	}
	/* The handle stays logged in: the first key's login serves them all. */
	for (i = 0; i < count; i++) {
		if (hk_ui_cancelled(ui)) {
			res->ncancelled = count - i;
			break;
		}
		if (count > 1)
			snprintf(label, sizeof(label), "%s-%zu", req->label, i + 1);
		else
			snprintf(label, sizeof(label), "%s", req->label);
		if ((r = hk_keygen_req_set_label(kreq, label)) != 0) {
			hk_error_take(&first, r);
			break;
		}
		if ((r = hk_token_keygen(tok, kreq, &k)) != 0) {
			hk_error_copy(&first, hk_token_error(tok));
			break;
		}
		/* The key is on the token from here: it stays in the result. */
		if ((r = keygen_add(res, k)) != 0) {
			hk_token_key_free(k);
			hk_error_take(&first, r);
			break;
		}
		k = NULL;
		if (req->comment != NULL && (r = hk_key_set_comment(res->keys[i]->key,
		    req->comment)) != 0) {
			hk_error_take(&first, r);
			break;
		}
		hk_ui_progress(ui, "keygen", label, i + 1, count);
	}
	/*
	 * A batch stops at its first failure: what follows would meet the same
	 * token. That failure is the outcome, with its own exit status, even
	 * with keys made before it (hwkey-keygen(1)); the rest is the one rule.
	 */
	if (first.code != 0) {
		res->nfailed = 1;
		hk_error_copy(&res->err, &first);
		r = first.code;
	} else
		r = hk_op_batch_outcome(count, 0, res->ncancelled, NULL, NULL, &res->err);
 out:
	if (res->nkeys > 0 && req->output != NULL) {
		hk_err_clear();
		w = sk ? keygen_write_sk(req, res->keys[0]) : keygen_write(req, res);
		if (w != 0 && r == 0)
			r = hk_error_take(&res->err, w);
	}
	if (r != 0 && res->err.token[0] == '\0')
		snprintf(res->err.token, sizeof(res->err.token), "%s",
		    res->token_label != NULL && res->token_label[0] != '\0' ?
		    res->token_label : req->uri != NULL ? req->uri : "");
	hk_keygen_req_free(kreq);
	hk_token_free(tok);
	hk_tokens_free(ts);
	return r;
}
