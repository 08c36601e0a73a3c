/* The hwkey block of an OpenSSH client config (~/.ssh/config): written,
 * replaced in place and found again, with everything else in the file kept
 * byte for byte. The CLI (hwkey ssh-config, login, agent) and the station
 * use it; the edit itself is a pure function so tests can drive it. */
#ifndef HK_OPS_SSHCFG_H
#define HK_OPS_SSHCFG_H

#include <stddef.h>

#include "err.h"

/*
 * The block for one host, between the markers
 *	# hwkey:begin HOST ...
 *	# hwkey:end HOST
 * Strings are borrowed; NULL (port 0) leaves the keyword out. A value may
 * not hold a newline or '"'; one with blanks is quoted; '%' in IdentityFile
 * is written "%%" (ssh expands %-tokens there).
 */
struct hk_sshcfg_host {
	const char *host;		/* the Host name: letters, digits, ".-_:", not "-..." */
	const char *hostname;		/* HostName */
	const char *user;		/* User */
	unsigned int port;		/* Port (1..65535), 0: none */
	const char *pkcs11_provider;	/* PKCS11Provider (a PKCS#11 key) */
	const char *identity_file;	/* IdentityFile: the .pub, or the sk key-handle file */
	const char *sk_provider;	/* SecurityKeyProvider, when the device needs it */
	/* What hwkey login and agent read back (comments ssh ignores). */
	const char *token;		/* "# hwkey-token URI" */
	const char *module;		/* "# hwkey-module PATH" (--module given) */
	const char *key;		/* "# hwkey-key SELECTOR" */
	const char *sk_file;		/* "# hwkey-sk FILE" */
	const char *sk_device;		/* "# hwkey-sk-device DEV": login's HWKEY_SK_DEVICE */
};

/* What the edit noticed in the rest of the file (reported, never changed). */
enum hk_sshcfg_note_kind {
	HK_SSHCFG_NOTE_INCLUDE = 0,	/* an Include: its files may set the same host */
	HK_SSHCFG_NOTE_HOST_BEFORE,	/* a matching Host block before hwkey's: it wins */
	HK_SSHCFG_NOTE_HOST_AFTER,	/* a matching Host block after: fills only gaps */
	HK_SSHCFG_NOTE_MATCH,		/* a Match block: may apply, not evaluated */
};
const char *hk_sshcfg_note_kind_name(enum hk_sshcfg_note_kind kind);	/* "include" */
#define HK_SSHCFG_NOTES_MAX	16
struct hk_sshcfg_note {
	enum hk_sshcfg_note_kind kind;
	unsigned long line;		/* 1-based, in the file as it was */
	char text[256];			/* the line, trimmed */
};
struct hk_sshcfg_result {
	int replaced;			/* 1: a block for the host was there and was replaced */
	int changed;			/* 0: the file already held exactly this block */
	unsigned long line;		/* where the block starts in the new file */
	struct hk_sshcfg_note notes[HK_SSHCFG_NOTES_MAX];
	size_t nnotes;			/* notes past the maximum are dropped */
	char path[4096];		/* the file written: a symlinked config's target */
	char backup[4200];		/* the one backup of the previous content, or "" */
};

/*
 * The config text in with the host's block replaced in place, or, when it
 * has none, inserted before the first Host or Match line (so global options
 * at the top stay global and hwkey's values come before any "Host *"), or
 * appended. Every other byte is kept. *outp is NUL-terminated, the caller
 * frees it. A begin marker without its end is HK_ERR_FORMAT_MALFORMED
 * naming the line (nothing is guessed away).
 */
int hk_sshcfg_edit(const char *in, size_t inlen, const struct hk_sshcfg_host *h,
    char **outp, size_t *outlenp, struct hk_sshcfg_result *res);

/*
 * Edit the config file at path (absent: created, its directory too, 0700):
 * a symlink is followed and its target edited (the link stays); the old
 * content goes to TARGET.hwkey-backup (one backup, replaced each time),
 * then the new one is written atomically (temporary file, fsync, rename,
 * fsync of the directory), mode 0600. Unchanged content is not rewritten.
 * On failure *err says what and where.
 */
int hk_sshcfg_update(const char *path, const struct hk_sshcfg_host *h,
    struct hk_sshcfg_result *res, struct hk_error *err);

/* A host's hwkey block read back (strings owned; NULL when absent). */
struct hk_sshcfg_entry {
	char *host, *hostname, *user, *port;
	char *pkcs11_provider, *identity_file, *sk_provider;
	char *token, *module, *key, *sk_file, *sk_device;
	unsigned long line;		/* the begin marker's line */
};
/*
 * Find the hwkey block of host in the text: HK_ERR_NOT_FOUND when there is
 * none (the host was not configured by hwkey), HK_ERR_FORMAT_MALFORMED for
 * a block without its end marker.
 */
int hk_sshcfg_lookup(const char *in, size_t inlen, const char *host,
    struct hk_sshcfg_entry **entp);
/* The same from a file; HK_ERR_NOT_FOUND also when the file does not exist. */
int hk_sshcfg_lookup_file(const char *path, const char *host,
    struct hk_sshcfg_entry **entp, struct hk_error *err);
void hk_sshcfg_entry_free(struct hk_sshcfg_entry *ent);	/* accepts NULL */

/* 0 when name can be a Host hwkey writes, else HK_ERR_INVALID_ARGUMENT with the reason. */
int hk_sshcfg_host_check(const char *name);

/*
 * The config ssh reads by default: $HOME/.ssh/config (hwkey follows $HOME,
 * so tests and a relocated home work). Returns buf, or NULL when HOME is
 * unset or the path does not fit.
 */
const char *hk_sshcfg_default_path(char *buf, size_t size);

#endif /* HK_OPS_SSHCFG_H */
