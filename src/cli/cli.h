/* The hwkey command line: subcommand and option tables, shared helpers.
 * Every subcommand is one file (cmd_<name>.c) exporting one struct hk_cmd. */
#ifndef HK_CLI_H
#define HK_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "err.h"

struct hk_opt {
	const char *name;	/* long name, without "--" */
	int shortopt;		/* single-letter alias, or 0 */
	int has_arg;		/* 1 if it takes an argument */
	const char *argname;	/* shown in --help: "FILE", "SRC" */
	const char *help;
};

struct hk_cmd {
	const char *name;
	const char *args;	/* operands after the options: "[FILE|-]..." */
	const char *summary;	/* one line for "hwkey --help" */
	/* Options sorted by name, ending with { NULL }. --help is implicit. */
	const struct hk_opt *opts;
	/* Either run (a command) or verbs (a group: "hwkey key delete ..."). */
	int (*run)(const struct hk_cmd *cmd, int argc, char **argv);
	const struct hk_cmd *const *verbs;	/* NULL-terminated */
	const char *parent;	/* set for verbs: "key" */
};

/* Option parsing over a command's table (getopt_long underneath). */
struct hk_optstate {
	const struct hk_cmd *cmd;
	int argc;
	char **argv;
	int optind;		/* first operand once hk_opt_next() returned HK_OPT_END */
	const char *arg;	/* argument of the option just returned */
	void *impl;
};
#define HK_OPT_END	(-1)	/* operands start at st->optind */
#define HK_OPT_HELP	(-2)	/* help was printed; exit 0 */
#define HK_OPT_ERROR	(-3)	/* an error was printed; exit HK_EXIT_USAGE */
int hk_opt_init(struct hk_optstate *st, const struct hk_cmd *cmd, int argc, char **argv);
/* Index into cmd->opts of the next option, or one of HK_OPT_*. */
int hk_opt_next(struct hk_optstate *st);
void hk_opt_free(struct hk_optstate *st);
/* A usage error found while parsing st: text on stderr, and under --json the error document. */
int hk_opt_usage_error(const struct hk_optstate *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* 1 if the option at index idx of the table is named name (for switch-less code). */
int hk_opt_is(const struct hk_optstate *st, int idx, const char *name);

/* Called for each option: idx into cmd->opts, its argument or NULL.
 * Returns 0 to go on, or the exit status to stop with. */
typedef int hk_opt_fn(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg);
/*
 * Parse every option, before, between or after the operands ("hwkey keygen
 * TOKEN --type T"; "--" ends options), calling fn for each; *opsp and *nopsp
 * then give the operands (pointers into argv, which getopt has permuted).
 * Returns -1 to go on, or the exit status to return now (after --help, a
 * usage error, or what fn returned).
 */
int hk_opt_parse(const struct hk_cmd *cmd, int argc, char **argv, hk_opt_fn *fn,
    void *ctx, char ***opsp, int *nopsp);
/* 1 if option idx of cmd's table is named name. */
int hk_opt_is_name(const struct hk_cmd *cmd, int idx, const char *name);

/*
 * The one of names[0..n-1] the mistyped word most likely meant (a unique
 * prefix, else the nearest within about one edit per three characters), or
 * NULL. For "did you mean ...?".
 */
const char *hk_cli_suggest(const char *word, const char *const *names, size_t n);
/* Print the bash or zsh completion script for the command table. */
int hk_cli_completion(const struct hk_cmd *const *commands, const char *shell, FILE *fp);

/* "hwkey" or "hwkey key delete" */
const char *hk_cli_cmd_path(const struct hk_cmd *cmd, char *buf, size_t size);
void hk_cli_usage(const struct hk_cmd *cmd, FILE *fp);
/*
 * Print "hwkey CMD: <message>: <text>" to stderr; return the exit status.
 * hk_cli_fail takes the error a library call just returned (err);
 * hk_cli_fail_error reports one a handle, job or result holds.
 */
int hk_cli_fail(const struct hk_cmd *cmd, int err);
int hk_cli_fail_error(const struct hk_cmd *cmd, const struct hk_error *e);
/* Print a usage error ("hwkey CMD: msg") and return HK_EXIT_USAGE. */
int hk_cli_usage_error(const struct hk_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * A bad entry of a key file on stderr: "FILE:LINE: reason: rule", the
 * error code's text added when the reason does not already say it.
 */
void hk_cli_entry_error(const char *file, size_t line, int err, const char *reason);
/*
 * The one --json error object: {"code", "message", "exit", and where it
 * happened when known: file, line, token, region, provider_code,
 * request_id, http_status} (docs/hwkey-json.7).
 */
json_t *hk_cli_error_json(const struct hk_error *e);
/* {"error": {...}} on stdout (the text is the caller's, on stderr). */
void hk_cli_print_error_json(const struct hk_error *e);
/* A failure of a whole --json command: {"error": {...}} on stdout, the text on stderr. */
int hk_cli_fail_json(const struct hk_cmd *cmd, const struct hk_error *e);
/* Print a JSON document (steals the reference) followed by a newline. */
int hk_cli_print_json(json_t *doc);
/* Run a group's verb: argv[0] is the group name. */
int hk_cli_run_group(const struct hk_cmd *group, int argc, char **argv);
/* Run any command (group or leaf) with argv[0] its name. */
int hk_cli_run(const struct hk_cmd *cmd, int argc, char **argv);

/* The subcommands (one file each). */
extern const struct hk_cmd hk_cmd_agent;
extern const struct hk_cmd hk_cmd_audit;
extern const struct hk_cmd hk_cmd_cloud;
extern const struct hk_cmd hk_cmd_convert;
extern const struct hk_cmd hk_cmd_doctor;
extern const struct hk_cmd hk_cmd_export;
extern const struct hk_cmd hk_cmd_fingerprint;
extern const struct hk_cmd hk_cmd_import;
extern const struct hk_cmd hk_cmd_inventory;
extern const struct hk_cmd hk_cmd_key;
extern const struct hk_cmd hk_cmd_keygen;
extern const struct hk_cmd hk_cmd_keys;
extern const struct hk_cmd hk_cmd_login;
extern const struct hk_cmd hk_cmd_pin;
extern const struct hk_cmd hk_cmd_provision;
extern const struct hk_cmd hk_cmd_ssh_config;
extern const struct hk_cmd hk_cmd_token;
extern const struct hk_cmd hk_cmd_tokens;
extern const struct hk_cmd hk_cmd_windows_password;

#endif /* HK_CLI_H */
