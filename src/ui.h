/* The callbacks a front end (the CLI, the station, the ssh middleware) hands
 * the library: the library never prints, prompts or exits, it asks here. */
#ifndef HK_UI_H
#define HK_UI_H

#include <stddef.h>

#include "secret.h"

/* Which secret is asked for. */
enum hk_ui_secret {
	HK_UI_SECRET_PIN = 0,		/* user PIN (current); FIDO2 device PIN */
	HK_UI_SECRET_SO_PIN,		/* SO PIN (YKCS11: the management key) */
	HK_UI_SECRET_NEW_PIN,		/* new PIN for init/change/unblock/set */
	HK_UI_SECRET_COUNT
};

/* A step of long work, for a progress bar or a streamed line. */
struct hk_ui_progress {
	const char *what;		/* "keygen", "import" */
	const char *item;		/* the item just finished or started, or NULL */
	size_t done, total;		/* total 0: unknown */
};

/*
 * Every member may be NULL: no secret source (operations that need one fail
 * with HK_ERR_PIN_REQUIRED), no prompt shown, no progress, never cancelled.
 * The library calls these from the thread that runs the operation.
 */
struct hk_ui {
	/*
	 * A secret: prompt names what and where ("PIN for token alice"). On
	 * success *secp is a wiped-on-free secret the library frees. Returns 0,
	 * HK_ERR_CANCELLED, or a source error.
	 */
	int (*secret)(void *arg, enum hk_ui_secret which, const char *prompt,
	    struct hk_secret **secp);
	/* The device waits for user presence ("touch your security key"). */
	void (*touch)(void *arg, const char *prompt);
	/* Progress of long work. */
	void (*progress)(void *arg, const struct hk_ui_progress *p);
	/* Non-zero: stop; nothing new is started, what is in flight settles. */
	int (*cancelled)(void *arg);
	void *arg;
};

/* Helpers that tolerate a NULL ui or member. */
int hk_ui_secret(const struct hk_ui *ui, enum hk_ui_secret which, const char *prompt,
    struct hk_secret **secp);
void hk_ui_touch(const struct hk_ui *ui, const char *prompt);
void hk_ui_progress(const struct hk_ui *ui, const char *what, const char *item,
    size_t done, size_t total);
int hk_ui_cancelled(const struct hk_ui *ui);

#endif /* HK_UI_H */
