/* The CLI's secret entry: a --pin SRC source, else the terminal without echo,
 * else an askpass program (SSH_ASKPASS conventions). Implements hk_secret_cb. */
#ifndef HK_CLI_SECRET_H
#define HK_CLI_SECRET_H

#include "secret.h"
#include "ui.h"

struct hk_cli_secret {
	const char *source;	/* "env:VAR", "file:PATH", "fd:N", or NULL to ask */
	int used;		/* a source is read once; a second ask is an error */
	int confirm;		/* a new secret: asked twice when typed (see below) */
};

/*
 * hk_secret_cb over a struct hk_cli_secret *arg (NULL arg: always ask).
 *
 * Order, for the man pages (text to reuse under PIN ENTRY / ENVIRONMENT):
 *   1. --pin SRC (or --so-pin SRC): read once from env:VAR (the variable is
 *      then removed from the environment), file:PATH (refused unless mode
 *      0600 or stricter) or fd:N. One trailing newline or CRLF is dropped. A
 *      second ask on the same struct fails with HK_ERR_SECRET_SOURCE: a PIN
 *      the token refused is never retried from a source (that would burn the
 *      retry counter). If a command legitimately needs the same PIN twice it
 *      keeps the struct hk_secret it got the first time instead of asking.
 *   2. SSH_ASKPASS_REQUIRE=force (or =prefer with DISPLAY/WAYLAND_DISPLAY
 *      set) and SSH_ASKPASS set: run $SSH_ASKPASS "<prompt>" and read the
 *      first line of its output.
 *   3. The controlling terminal (/dev/tty), echo off; the terminal is
 *      restored on every path, including SIGINT/SIGTERM/SIGHUP/SIGTSTP.
 *   4. No terminal: SSH_ASKPASS when DISPLAY or WAYLAND_DISPLAY is set
 *      (unless SSH_ASKPASS_REQUIRE=never).
 *   5. Otherwise HK_ERR_PIN_REQUIRED (exit 9), naming --pin and SSH_ASKPASS.
 * An empty PIN typed at the terminal (Enter alone, or ^D) and an empty
 * askpass answer mean "cancel": HK_ERR_CANCELLED (exit 16), so no login is
 * tried and no retry is used up. askpass exiting non-zero (the user pressed
 * Cancel) is HK_ERR_CANCELLED too. An empty PIN from a source is passed on
 * (the token decides). The secret is never logged or put in error details.
 *
 * A new secret (confirm set: the new PIN; the SO PIN token init gives a
 * token that is not yet initialized) typed at the terminal or given through
 * askpass is asked twice and the two compared; on a mismatch the user is
 * told and asked again, at most three pairs, then HK_ERR_CANCELLED. A
 * source is still read once.
 */
int hk_cli_secret_ask(void *arg, const char *prompt, struct hk_secret **secp);

/*
 * The CLI's struct hk_ui: secrets from the --pin / --so-pin / --new-pin
 * sources (NULL: ask as above), prompts and progress on the terminal.
 */
struct hk_cli_ui {
	struct hk_cli_secret secret[HK_UI_SECRET_COUNT];
	struct hk_ui ui;
};
void hk_cli_ui_init(struct hk_cli_ui *cu, const char *pin, const char *so_pin,
    const char *new_pin);

#endif /* HK_CLI_SECRET_H */
