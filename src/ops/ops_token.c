/* The public half of a token key, for import and the provisioning engine. */
#include <stdio.h>
#include <string.h>

#include "ops_token.h"
#include "token.h"

/* The CLI hands one struct hk_ui; the token layer still asks per secret. */
static int
ui_pin(void *arg, const char *prompt, struct hk_secret **secp)
{
	return hk_ui_secret(arg, HK_UI_SECRET_PIN, prompt, secp);
}

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
	if ((r = hk_tokens_open(module, &ts)) != 0 ||
	    (r = hk_token_select(ts, uri, &tok)) != 0)
		goto out;
	hk_token_set_secret_cb(tok, HK_TOKEN_SECRET_PIN, ui_pin, (void *)ui);
	if ((r = hk_token_key_find(tok, sel, login, &k)) != 0)
		goto out;
	if (k->key == NULL) {
		r = hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "key %s on %s: %s", k->id_hex, uri,
		    k->error != NULL ? k->error : "public key unreadable");
		goto out;
	}
	r = hk_key_dup(k->key, keyp);
 out:
	if (r != 0) {
		hk_error_take(err, r);
		snprintf(err->token, sizeof(err->token), "%s", uri);
	}
	hk_token_key_free(k);
	hk_token_free(tok);
	hk_tokens_free(ts);
	return r;
}
