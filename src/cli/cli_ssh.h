/* What the commands that drive OpenSSH (ssh-config, login, agent, doctor)
 * share: where the config and the SecurityKeyProvider are, which ssh
 * programs to run, and hwkey's askpass, which hands the PIN to ssh or
 * ssh-add over a private channel instead of argv. */
#ifndef HK_CLI_SSH_H
#define HK_CLI_SSH_H

#include <stddef.h>

#include "cli_secret.h"
#include "secret.h"

/* The name SSH_ASKPASS points at (a link to hwkey): main() runs hk_cli_askpass_main. */
#define HK_CLI_ASKPASS_NAME	"hwkey-askpass"
/* Where the askpass child finds the parent's socket. */
#define HK_CLI_ASKPASS_ENV	"HWKEY_ASKPASS_SOCKET"

/* --config FILE, else $HOME/.ssh/config. NULL when neither can be had. */
const char *hk_cli_ssh_config_path(const char *opt, char *buf, size_t size);
/*
 * 1 when path is the config ssh reads by itself (~/.ssh/config of the
 * passwd entry's home: ssh does not follow $HOME), so no -F is needed.
 */
int hk_cli_ssh_config_is_default(const char *path);
/*
 * The SecurityKeyProvider (libhwkey-sk.so): $HWKEY_SK_PROVIDER, else the
 * one next to the running hwkey (a build directory) when it exists, else
 * the installed one. Returns buf.
 */
const char *hk_cli_sk_provider(char *buf, size_t size);
/* The OpenSSH programs: $HWKEY_SSH / $HWKEY_SSH_ADD, else "ssh" / "ssh-add" on PATH. */
const char *hk_cli_ssh_program(void);
const char *hk_cli_ssh_add_program(void);

/*
 * Run argv[] (ssh, ssh-add) as a child with SSH_ASKPASS pointing at hwkey's
 * askpass and SSH_ASKPASS_REQUIRE=force. hwkey stays the parent and answers
 * each askpass request over a Unix socket in a 0700 directory of its own,
 * accepting only peers of its own uid (SO_PEERCRED):
 *   - a PIN or passphrase prompt gets pin (when set, once: a second ask is
 *     refused so a PIN the token refused is not retried), else the secret
 *     asked through src (sk keys: ssh asks when the device needs it);
 *   - a notification (SSH_ASKPASS_PROMPT=none: "touch your key") is
 *     printed on stderr;
 *   - anything else (a host key to confirm) is asked on the terminal, and
 *     refused when there is none.
 * SIGINT and SIGQUIT reach the child (same terminal); hwkey waits for it.
 * With err_text, the child's stderr is also copied into a NUL-terminated
 * buffer (at most 64 KiB kept; the caller frees it) while still shown.
 * *statusp: the child's exit status, or 128 + signal.
 */
struct hk_cli_askpass {
	const struct hk_secret *pin;	/* the PIN already checked, or NULL */
	struct hk_cli_secret *src;	/* where to ask otherwise (NULL: the terminal) */
	int served;			/* PIN answers given */
};
int hk_cli_askpass_run(char *const argv[], struct hk_cli_askpass *ap, int *statusp,
    char **err_text);
/*
 * Before ssh or ssh-add loads the module: the token is there, the key is on
 * it, and the PIN (asked once through ct's --pin source or the terminal) is
 * right, so a wrong token or PIN is hwkey's clear error, not a silent
 * "Permission denied" from ssh. ct is open on the token (hk_cli_token_open);
 * key may be NULL (any key). On success *pinp holds the checked PIN (NULL
 * when the token needs no login) and *keyp the key; the caller frees both.
 */
struct hk_cli_token;
struct hk_token_key;
int hk_cli_ssh_token_check(struct hk_cli_token *ct, const char *key,
    struct hk_secret **pinp, struct hk_token_key **keyp);

/*
 * A security key whose key needs user verification: before ssh signs, the
 * PIN (asked once through ct's --pin source or the terminal) is checked on
 * the device ct is open on (hk_cli_token_open with its fido: name), so a
 * wrong or blocked PIN is hwkey's clear error, not ssh's "Permission
 * denied". *pinp: the checked PIN (NULL when the device has none); the
 * caller frees it.
 */
int hk_cli_sk_pin_check(struct hk_cli_token *ct, struct hk_secret **pinp);

/* Where libhwkey-sk.so (inside ssh and ssh-sk-helper) finds its device. */
#define HK_CLI_SK_DEVICE_ENV	"HWKEY_SK_DEVICE"

/* hwkey started as hwkey-askpass by ssh: ask the parent, print the answer. */
int hk_cli_askpass_main(int argc, char **argv);

#endif /* HK_CLI_SSH_H */
