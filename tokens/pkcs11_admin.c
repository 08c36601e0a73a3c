/* PKCS#11 token administration: C_InitToken, and the user/SO PIN calls
 * (C_InitPIN as SO for set and unblock, C_SetPIN for change). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "pkcs11_int.h"

int
hk_p11_init_token(struct hk_token *tok, const char *label)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	struct hk_secret *so = NULL;
	CK_UTF8CHAR lab[32];
	char prompt[160];
	size_t n = strlen(label);
	CK_RV rv;
	int r;

	if (n > sizeof(lab))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "label \"%s\" is longer than 32 bytes",
		    label);
	memset(lab, ' ', sizeof(lab));
	memcpy(lab, label, n);
	/* C_InitToken fails while any session is open on the slot. */
	if (t->have_sess) {
		if (t->logged_in != -1)
			t->f->C_Logout(t->sess);
		t->f->C_CloseSession(t->sess);
		t->have_sess = 0;
		t->logged_in = -1;
	}
	snprintf(prompt, sizeof(prompt), "SO PIN for %s", hk_p11_name(tok));
	if ((r = hk_token_ask(tok, HK_UI_SECRET_SO_PIN, prompt, &so)) != 0)
		return r;
	/* A PIN the token would refuse is named with its range, not with a CKR_. */
	if ((r = hk_token_info_pin_len_check(tok->info, hk_secret_len(so))) != 0) {
		hk_secret_free(so);
		return r;
	}
	rv = t->f->C_InitToken(t->s->slot, (CK_UTF8CHAR_PTR)hk_secret_str(so),
	    hk_secret_len(so), lab);
	hk_secret_free(so);
	if (rv != CKR_OK)
		return hk_p11_pin_err(tok, rv, "C_InitToken", HK_TOKEN_SO);
	return 0;
}

/* C_InitPIN as SO: sets a first user PIN, or unblocks a locked one. */
int
hk_p11_init_pin(struct hk_token *tok)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	struct hk_secret *pin = NULL;
	char prompt[160];
	CK_RV rv;
	int r;

	if ((r = hk_p11_login(tok, HK_TOKEN_SO)) != 0)
		return r;
	snprintf(prompt, sizeof(prompt), "New user PIN for %s", hk_p11_name(tok));
	if ((r = hk_token_ask(tok, HK_UI_SECRET_NEW_PIN, prompt, &pin)) != 0)
		return r;
	if ((r = hk_token_info_pin_len_check(tok->info, hk_secret_len(pin))) != 0) {
		hk_secret_free(pin);
		return r;
	}
	rv = t->f->C_InitPIN(t->sess, (CK_UTF8CHAR_PTR)hk_secret_str(pin),
	    hk_secret_len(pin));
	hk_secret_free(pin);
	if (rv != CKR_OK)
		return hk_p11_err(rv, "%s: C_InitPIN", hk_p11_name(tok));
	return 0;
}

/*
 * C_SetPIN. For the user PIN the session stays public: the token then checks
 * the old PIN itself (one retry used on a wrong one). For the SO PIN the SO
 * logs in first with the same old PIN.
 */
int
hk_p11_set_pin(struct hk_token *tok, enum hk_token_user who)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	struct hk_secret *old = NULL, *new = NULL;
	char prompt[160];
	CK_RV rv;
	int r;

	if ((r = hk_p11_session(tok)) != 0)
		return r;
	if (t->logged_in != -1) {
		t->f->C_Logout(t->sess);
		t->logged_in = -1;
	}
	snprintf(prompt, sizeof(prompt), "%s for %s", who == HK_TOKEN_SO ? "SO PIN" :
	    "User PIN", hk_p11_name(tok));
	if ((r = hk_token_ask(tok, who == HK_TOKEN_SO ? HK_UI_SECRET_SO_PIN :
	    HK_UI_SECRET_PIN, prompt, &old)) != 0)
		goto out;
	snprintf(prompt, sizeof(prompt), "New %s for %s", who == HK_TOKEN_SO ?
	    "SO PIN" : "user PIN", hk_p11_name(tok));
	if ((r = hk_token_ask(tok, HK_UI_SECRET_NEW_PIN, prompt, &new)) != 0 ||
	    (r = hk_token_info_pin_len_check(tok->info, hk_secret_len(new))) != 0)
		goto out;
	if (who == HK_TOKEN_SO) {
		rv = t->f->C_Login(t->sess, CKU_SO, (CK_UTF8CHAR_PTR)hk_secret_str(old),
		    hk_secret_len(old));
		if (rv != CKR_OK) {
			r = hk_p11_pin_err(tok, rv, "C_Login", who);
			goto out;
		}
		t->logged_in = CKU_SO;
	}
	rv = t->f->C_SetPIN(t->sess, (CK_UTF8CHAR_PTR)hk_secret_str(old),
	    hk_secret_len(old), (CK_UTF8CHAR_PTR)hk_secret_str(new), hk_secret_len(new));
	if (rv != CKR_OK) {
		r = hk_p11_pin_err(tok, rv, "C_SetPIN", who);
		goto out;
	}
	r = 0;
 out:
	hk_secret_free(old);
	hk_secret_free(new);
	return r;
}
