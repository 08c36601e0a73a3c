/* Shared plumbing of the token commands (tokens, keys, keygen, export, key,
 * token, pin): opening the selected token with its
 * PIN sources, confirmations, and key fields for output. */
#ifndef HK_CLI_TOKEN_H
#define HK_CLI_TOKEN_H

#include <jansson.h>

#include "cli.h"
#include "cli_secret.h"
#include "token.h"

struct hk_cli_token {
	struct hk_tokens *ts;
	struct hk_token *tok;
	struct hk_cli_ui cu;	/* the secret sources, handed to the token */
	struct hk_error err;	/* what hk_cli_token_done reports */
	int json;		/* --json: a failure is the {"error": {...}} document */
};
/*
 * Load the modules (or --module) and select uri (NULL: none); secret
 * sources may be NULL (ask). On failure the error is kept in ct->err.
 * Clears *ct first: set ct->json after it, whatever it returned.
 */
int hk_cli_token_open(struct hk_cli_token *ct, const char *module, const char *uri,
    const char *pin, const char *so_pin, const char *new_pin);
void hk_cli_token_close(struct hk_cli_token *ct);
/*
 * Find key sel on ct's token, as hk_token_key_find, and insist that its
 * public half was read: otherwise HK_ERR_KEY_TYPE_UNKNOWN naming the key and
 * why. *kp is the caller's (hk_token_key_free), set only on success.
 */
int hk_cli_token_pubkey_find(struct hk_cli_token *ct, const char *sel, int login,
    struct hk_token_key **kp);
/*
 * End a token command with status r: the error comes from the token
 * handle (or the token set) when the failing call was theirs, else from
 * the call that just failed. Printed on stderr, and with ct->json as the
 * document {"error": {...}} on stdout. Closes ct; returns the exit status.
 */
int hk_cli_token_done(const struct hk_cmd *cmd, struct hk_cli_token *ct, int r);
/*
 * A failure on stderr: "hwkey CMD: message: text", without the text when
 * the message already carries the system's reason (a file's errno). With
 * json also {"error": {...}} on stdout. Returns the exit status.
 */
int hk_cli_token_fail(const struct hk_cmd *cmd, const struct hk_error *e, int json);
/*
 * A usage error found after the options were parsed (operands, option
 * combinations): hk_cli_usage_error, and with json the error document
 * (HK_ERR_USAGE, exit 2) too. Returns HK_EXIT_USAGE.
 */
int hk_cli_token_usage(const struct hk_cmd *cmd, int json, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Comma-separated set key flags ("local,never-extractable,..."), or "-".
 * checked 0 (keys --no-login): the private half was not looked for, so
 * "not checked" instead of flags or "public-only".
 */
void hk_cli_key_flags(const struct hk_token_key *k, int checked, char *buf, size_t size);
/*
 * {id, label, type, bits, public_key, fingerprints {sha256, md5},
 * has_private, flags, proven_on_token, error}: docs/json/common.schema.json
 * "token_key". checked 0: has_private, flags, proven_on_token are null.
 */
json_t *hk_cli_key_json(const struct hk_token_key *k, int checked);
/*
 * A FIDO2 attestation proof in one line: "attestation packed verified,
 * chain verified (issuer ...)" or "attestation packed NOT verified: why";
 * "" for other proofs.
 */
void hk_cli_proof_text(const struct hk_token_key *k, char *buf, size_t size);
/* The proof as JSON (kind, verified, reason; FIDO2: format, AAGUID, certificate). */
json_t *hk_cli_proof_json(const struct hk_token_key *k);
/*
 * Ask a yes/no question on the terminal. 1 yes, 0 no, -1 when there is no
 * terminal to ask on. question NULL: only check for a terminal (0 or -1).
 */
int hk_cli_confirm(const char *question);

#endif /* HK_CLI_TOKEN_H */
