/* The FIDO2 device PIN and reset: the PIN an operation needs (asked once per
 * handle through the ui, kept in the backend state, wiped on close), login,
 * setting and changing the PIN (authenticatorClientPIN), and reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido/credman.h>

#include "fido2_int.h"

/* FIDO2 PINs are 4 to 63 bytes (CTAP 2.0 6.5.5). */
#define FIDO2_PIN_MIN	4
#define FIDO2_PIN_MAX	63

static struct hk_fido2_tok *
ftok(struct hk_token *tok)
{
	return tok->be;
}

static int
pin_len_check(size_t len, const char *which)
{
	if (len < FIDO2_PIN_MIN || len > FIDO2_PIN_MAX)
		return hk_errf(HK_ERR_PIN_LEN_RANGE, "%s: FIDO2 PINs are %d to %d "
		    "bytes, this one is %zu", which, FIDO2_PIN_MIN, FIDO2_PIN_MAX, len);
	return 0;
}

void
hk_fido2_tok_pin_forget(struct hk_token *tok)
{
	struct hk_fido2_tok *ft = ftok(tok);

	hk_secret_free(ft->pin);
	ft->pin = NULL;
}

int
hk_fido2_tok_pin(struct hk_token *tok, const char **pinp)
{
	struct hk_fido2_tok *ft = ftok(tok);
	const struct hk_token_fido2_info *f = ft->info->fido2;
	struct hk_secret *pin = NULL;
	char prompt[300];
	int r;

	*pinp = NULL;
	if (ft->pin != NULL) {
		*pinp = hk_secret_str(ft->pin);
		return 0;
	}
	if (!f->has_pin)
		return 0;
	/* Asking would only lead to a refusal: say so without a prompt. */
	if (f->pin_retries == 0)
		return hk_fido2_err(FIDO_ERR_PIN_BLOCKED, "use its PIN", ft->name, 0);
	if (f->pin_retries > 0)
		snprintf(prompt, sizeof(prompt), "PIN for security key %s (%d %s "
		    "left)", ft->name, f->pin_retries, f->pin_retries == 1 ? "try" :
		    "tries");
	else
		snprintf(prompt, sizeof(prompt), "PIN for security key %s", ft->name);
	if ((r = hk_token_ask(tok, HK_UI_SECRET_PIN, prompt, &pin)) != 0)
		return r;
	if ((r = pin_len_check(hk_secret_len(pin), ft->name)) != 0) {
		hk_secret_free(pin);
		return r;
	}
	ft->pin = pin;
	*pinp = hk_secret_str(pin);
	return 0;
}

int
hk_fido2_tok_refresh(struct hk_token *tok)
{
	struct hk_fido2_tok *ft = ftok(tok);
	struct hk_token_info *ti;
	int r;

	if ((r = hk_fido2_info_read(ft->dev, ft->name, ft->info->model,
	    ft->info->manufacturer, &ti)) != 0)
		return r;
	hk_token_info_free(ft->info);
	ft->info = ti;
	tok->info = ti;
	return 0;
}

/*
 * FIDO2 has no session to log in to: the PIN is asked for and kept, and
 * checked at once where the device can do that without side effects (its
 * credential management metadata), so a wrong PIN is reported here, with the
 * retries left, rather than in the middle of the operation that follows.
 */
int
hk_fido2_op_login(struct hk_token *tok, enum hk_token_user who)
{
	struct hk_fido2_tok *ft = ftok(tok);
	fido_credman_metadata_t *meta;
	const char *pin;
	int fr, r;

	if (who == HK_TOKEN_SO)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: a FIDO2 device has one "
		    "PIN, no security officer", ft->name);
	if ((r = hk_fido2_tok_pin(tok, &pin)) != 0 || pin == NULL)
		return r;
	if (!fido_dev_supports_credman(ft->dev))
		return 0;
	if ((meta = fido_credman_metadata_new()) == NULL)
		return HK_ERR_ALLOC;
	fr = fido_credman_get_dev_metadata(ft->dev, meta, pin);
	fido_credman_metadata_free(&meta);
	if (fr == FIDO_OK)
		return 0;
	r = hk_fido2_dev_err(ft->dev, fr, "check the PIN", ft->name);
	if (r == HK_ERR_PIN_INCORRECT || r == HK_ERR_PIN_LOCKED ||
	    r == HK_ERR_PIN_AUTH_BLOCKED)
		hk_fido2_tok_pin_forget(tok);
	else if (r == HK_ERR_NOT_SUPPORTED || r == HK_ERR_FIDO2)
		r = 0;	/* cannot check it here: the operation will */
	return r;
}

/* Set a first PIN (old NULL) or change it: the new one asked for, twice on a terminal. */
static int
pin_set(struct hk_token *tok, int change)
{
	struct hk_fido2_tok *ft = ftok(tok);
	struct hk_secret *new = NULL;
	const char *old = NULL;
	char prompt[300];
	int fr, r;

	if (change && (r = hk_fido2_tok_pin(tok, &old)) != 0)
		return r;
	snprintf(prompt, sizeof(prompt), "New PIN for security key %s", ft->name);
	if ((r = hk_token_ask(tok, HK_UI_SECRET_NEW_PIN, prompt, &new)) != 0)
		return r;
	/* The range check comes before the device sees anything. */
	if ((r = pin_len_check(hk_secret_len(new), "the new PIN")) != 0 ||
	    (r = hk_token_info_pin_len_check(tok->info, hk_secret_len(new))) != 0)
		goto out;
	if ((fr = fido_dev_set_pin(ft->dev, hk_secret_str(new), old)) != FIDO_OK) {
		r = hk_fido2_dev_err(ft->dev, fr, change ? "change the PIN" :
		    "set the PIN", ft->name);
		if (r == HK_ERR_PIN_INCORRECT || r == HK_ERR_PIN_LOCKED ||
		    r == HK_ERR_PIN_AUTH_BLOCKED)
			hk_fido2_tok_pin_forget(tok);
		goto out;
	}
	/* Later operations on this handle use the new PIN. */
	hk_fido2_tok_pin_forget(tok);
	ft->pin = new;
	new = NULL;
	r = hk_fido2_tok_refresh(tok);
 out:
	hk_secret_free(new);
	return r;
}

/* hwkey pin change: change the PIN, or set one when the device has none. */
int
hk_fido2_op_set_pin(struct hk_token *tok, enum hk_token_user who)
{
	struct hk_fido2_tok *ft = ftok(tok);

	if (who == HK_TOKEN_SO)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: a FIDO2 device has one "
		    "PIN, no SO PIN", ft->name);
	return pin_set(tok, ft->info->fido2->has_pin);
}

/* hwkey pin set: a first PIN; one that has a PIN is changed with pin change. */
int
hk_fido2_op_init_pin(struct hk_token *tok)
{
	struct hk_fido2_tok *ft = ftok(tok);

	if (ft->info->fido2->has_pin)
		return hk_errf(HK_ERR_EXISTS, "%s: the device already has a PIN; "
		    "change it with hwkey pin change %s (a forgotten PIN can only "
		    "be removed by a reset, hwkey token init %s, which erases every "
		    "credential)", ft->name, ft->name, ft->name);
	return pin_set(tok, 0);
}

/*
 * authenticatorReset: every credential and the PIN are gone. The device
 * wants a touch, and real keys take a reset only within seconds of being
 * plugged in. label: unused (a FIDO2 device has none to set).
 */
int
hk_fido2_op_reset(struct hk_token *tok, const char *label)
{
	struct hk_fido2_tok *ft = ftok(tok);
	char prompt[300];
	int fr;

	(void)label;
	snprintf(prompt, sizeof(prompt), "Touch security key %s to confirm the "
	    "reset", ft->name);
	hk_ui_touch(tok->ui, prompt);
	if ((fr = fido_dev_reset(ft->dev)) != FIDO_OK) {
		if (fr == FIDO_ERR_NOT_ALLOWED)
			return hk_errf(HK_ERR_DEVICE, "%s: reset: the device refused "
			    "it; security keys take a reset only within about 10 "
			    "seconds of being plugged in: unplug it, plug it back "
			    "in, run this again at once and touch it", ft->name);
		return hk_fido2_err(fr, "reset", ft->name, -1);
	}
	hk_fido2_tok_pin_forget(tok);
	return hk_fido2_tok_refresh(tok);
}
