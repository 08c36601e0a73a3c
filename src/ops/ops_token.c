/* The public half of a token key, for import and the provisioning engine. */
#include <stdio.h>
#include <string.h>

#include "ops_token.h"
#include "token.h"

int
hk_op_token_pubkey(const char *module, const char *uri, const char *sel,
    int login, const struct hk_ui *ui, struct hk_key **keyp, struct hk_error *err)
{
	struct hk_tokens *ts = NULL;
	struct hk_token *tok = NULL;
	struct hk_token_key *k = NULL;
	int r;

	*keyp = NULL;
	hk_error_clear(err);
	hk_err_clear();
	if ((r = hk_tokens_open(module, &ts)) != 0) {
		hk_error_take(err, r);
		goto out;
	}
	if ((r = hk_token_select(ts, uri, &tok)) != 0) {
		hk_error_copy(err, hk_tokens_error(ts));
		goto out;
	}
	hk_token_set_ui(tok, ui);
	if ((r = hk_token_key_find(tok, sel, login, &k)) != 0) {
		hk_error_copy(err, hk_token_error(tok));
		goto out;
	}
	if (k->key == NULL) {
		r = hk_error_set(err, HK_ERR_KEY_TYPE_UNKNOWN, "key %s on %s: %s",
		    k->id_hex, uri, k->error != NULL ? k->error : "public key unreadable");
		goto out;
	}
	if ((r = hk_key_dup(k->key, keyp)) != 0)
		hk_error_take(err, r);
 out:
	if (r != 0)
		snprintf(err->token, sizeof(err->token), "%s", uri);
	hk_token_key_free(k);
	hk_token_free(tok);
	hk_tokens_free(ts);
	return r;
}
