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
	struct hk_cli_secret pin, so_pin, new_pin;
};
/* Load the modules (or --module) and select uri; secret sources may be NULL (ask). */
int hk_cli_token_open(struct hk_cli_token *ct, const char *module, const char *uri,
    const char *pin, const char *so_pin, const char *new_pin);
void hk_cli_token_close(struct hk_cli_token *ct);

/* "ed25519", "ecdsa-p384", "rsa3072" for a key (NULL key: "unknown"). */
const char *hk_cli_key_kind(const struct hk_key *key, char *buf, size_t size);
/* Comma-separated set key flags ("local,never-extractable,..."). */
void hk_cli_key_flags(const struct hk_token_key *k, char *buf, size_t size);
/* {id, label, type, bits, public_key, fingerprints, flags} */
json_t *hk_cli_key_json(const struct hk_token_key *k);
/*
 * Ask a yes/no question on the terminal. 1 yes, 0 no, -1 when there is no
 * terminal to ask on. question NULL: only check for a terminal (0 or -1).
 */
int hk_cli_confirm(const char *question);

#endif /* HK_CLI_TOKEN_H */
