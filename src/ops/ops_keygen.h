/* hk_op_keygen: generate a batch of keys on one token (hwkey keygen, and the
 * provisioning engine): one selection, one login, label numbering, and a
 * result that keeps every key made even when a later one fails. */
#ifndef HK_OPS_KEYGEN_H
#define HK_OPS_KEYGEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "token.h"
#include "ui.h"

/* What to make. Zero-initialize, then fill; zero fields are the defaults. */
struct hk_op_keygen_req {
	const char *uri;		/* the token ("pkcs11:..."; see hk_token_select) */
	const char *module;		/* NULL: p11-kit's registered modules */
	enum hk_kind kind;
	const char *label;		/* count <= 1: the label; else LABEL-1..LABEL-N */
	size_t count;			/* keys to make; 0 is 1 */
	const uint8_t *id;		/* NULL: a fresh id per key; only with count <= 1 */
	size_t idlen;
	int force;			/* replace a key with the same id or label */
	const char *comment;		/* comment of the public keys instead of the label */
	const char *output;		/* also write the public key lines here (atomically) */
	unsigned int usage;		/* HK_KEY_USAGE_* (token.h); 0: ssh only */
	/* Security keys (ecdsa-sk, ed25519-sk); PKCS#11 ignores them. */
	int resident;
	int user_verification;
	int no_touch;			/* 0: a touch is required, as ssh-keygen's default */
	const char *application;	/* NULL: "ssh:" */
	const uint8_t *user_id;
	size_t user_id_len;
	const uint8_t *challenge;	/* NULL: random */
	size_t challenge_len;
	const char *attestation_roots;	/* verify the attestation chain to these roots */
	int allow_self_attestation;	/* accept self/none attestation (proof unverified) */
	/*
	 * Security keys and output: output is the key-handle file (mode 0600)
	 * and output.pub the public key line, as ssh-keygen -f writes them;
	 * neither may exist unless force. attestation: also write the
	 * ssh-sk-attest-v01 blob there. Nothing is written when the keygen or
	 * its attestation fails, and a failed write removes what was written.
	 */
	const char *attestation;
};

struct hk_op_keygen_result {
	char *token_uri;		/* the URI that selects exactly this token */
	char *token_label;
	enum hk_kind kind;
	struct hk_token_key **keys;	/* the keys made, in order, each with its proof */
	size_t nkeys;
	size_t nitems;			/* keys asked for */
	size_t nfailed;			/* 0 or 1: a batch stops at its first failure */
	size_t ncancelled;		/* not started: the ui said cancel */
	struct hk_error err;		/* the outcome; code 0 when every key was made */
};

/*
 * Make req->count keys (progress through ui->progress after each, secrets
 * through ui->secret, ui->cancelled checked before each). Keys made stay on
 * the token and in the result (and in req->output) whatever follows. The
 * outcome (res->err, also returned): 0 when all were made; a failure stops
 * the batch and is the outcome itself, with its own exit status (a label
 * in use is HK_ERR_KEY_EXISTS even after keys were made, as
 * hwkey-keygen(1) says); cancelled: HK_ERR_INTERRUPTED "cancelled: N of M
 * done" (hk_op_batch_outcome). *resp is set on every return but
 * HK_ERR_ALLOC before anything started.
 */
int hk_op_keygen(const struct hk_op_keygen_req *req, const struct hk_ui *ui,
    struct hk_op_keygen_result **resp);
void hk_op_keygen_result_free(struct hk_op_keygen_result *res);	/* accepts NULL */

#endif /* HK_OPS_KEYGEN_H */
