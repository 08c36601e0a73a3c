/* Option parsing and help text generated from each command's option table. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"

/* The last usage error's text, for the --json error document. */
static char last_usage[512];

struct optimpl {
	struct option *longopts;
	char *shortopts;
	size_t nopts;
};

static size_t
opt_count(const struct hk_opt *opts)
{
	size_t n = 0;

	while (opts != NULL && opts[n].name != NULL)
		n++;
	return n;
}

int
hk_opt_init(struct hk_optstate *st, const struct hk_cmd *cmd, int argc, char **argv)
{
	struct optimpl *im;
	size_t i, n, s = 0;

	memset(st, 0, sizeof(*st));
	st->cmd = cmd;
	st->argc = argc;
	st->argv = argv;
	n = opt_count(cmd->opts);
	if ((im = calloc(1, sizeof(*im))) == NULL ||
	    (im->longopts = calloc(n + 2, sizeof(struct option))) == NULL ||
	    (im->shortopts = calloc(2 * n + 4, 1)) == NULL) {
		if (im != NULL)
			free(im->longopts);
		free(im);
		return HK_ERR_ALLOC;
	}
	im->nopts = n;
	/*
	 * Options may follow operands ("hwkey keygen TOKEN --type rsa2048"), as
	 * in git: the subcommand was dispatched already, so GNU permutation is
	 * safe; "--" still ends the options. ':' reports a missing argument.
	 */
	im->shortopts[s++] = ':';
	for (i = 0; i < n; i++) {
		const struct hk_opt *o = &cmd->opts[i];

		im->longopts[i].name = o->name;
		im->longopts[i].has_arg = o->has_arg ? required_argument : no_argument;
		im->longopts[i].val = 256 + (int)i;
		if (o->shortopt != 0) {
			im->shortopts[s++] = (char)o->shortopt;
			if (o->has_arg)
				im->shortopts[s++] = ':';
		}
	}
	im->longopts[n].name = "help";
	im->longopts[n].has_arg = no_argument;
	im->longopts[n].val = 'h';
	im->shortopts[s++] = 'h';
	st->impl = im;
	optind = 0;	/* full reset of getopt's state */
	opterr = 0;
	return 0;
}

void
hk_opt_free(struct hk_optstate *st)
{
	struct optimpl *im = st->impl;

	if (im == NULL)
		return;
	free(im->longopts);
	free(im->shortopts);
	free(im);
	st->impl = NULL;
}

int
hk_opt_is(const struct hk_optstate *st, int idx, const char *name)
{
	return idx >= 0 && strcmp(st->cmd->opts[idx].name, name) == 0;
}

/* The option nearest a mistyped long option (--regoin: region), or NULL. */
static const char *
opt_suggest(const struct hk_cmd *cmd, const char *bad)
{
	const char *names[128];
	char word[64];
	size_t n = 0, len;

	if (strncmp(bad, "--", 2) != 0)
		return NULL;
	len = strcspn(bad + 2, "=");
	if (len >= sizeof(word))
		return NULL;
	memcpy(word, bad + 2, len);
	word[len] = '\0';
	for (n = 0; cmd->opts != NULL && cmd->opts[n].name != NULL && n < 127; n++)
		names[n] = cmd->opts[n].name;
	names[n++] = "help";
	return hk_cli_suggest(word, names, n);
}

/*
 * A command line that asked for --json gets its parse error as the one
 * error document too, so a script reading stdout sees why it failed.
 */
static void
opt_json_error(const struct hk_optstate *st, const char *msg)
{
	struct hk_error e;
	int i, has = 0;

	for (i = 0; st->cmd->opts != NULL && st->cmd->opts[i].name != NULL; i++)
		if (strcmp(st->cmd->opts[i].name, "json") == 0)
			has = 1;
	for (i = 1; has && i < st->argc && strcmp(st->argv[i], "--") != 0; i++) {
		if (strcmp(st->argv[i], "--json") != 0)
			continue;
		hk_error_set(&e, HK_ERR_USAGE, "%s", msg);
		hk_cli_print_error_json(&e);
		return;
	}
}

int
hk_opt_next(struct hk_optstate *st)
{
	struct optimpl *im = st->impl;
	const char *bad;
	size_t i;
	int c;

	st->arg = NULL;
	c = getopt_long(st->argc, st->argv, im->shortopts, im->longopts, NULL);
	st->optind = optind;
	if (c == -1)
		return HK_OPT_END;
	if (c == 'h') {
		hk_cli_usage(st->cmd, stdout);
		return HK_OPT_HELP;
	}
	if (c >= 256) {
		st->arg = optarg;
		return c - 256;
	}
	if (c == '?' || c == ':') {
		char msg[256];
		const char *near = NULL;

		bad = st->argv[optind - 1];
		if (optopt != 0 && optopt < 256 && (bad == NULL || bad[1] != '-'))
			snprintf(msg, sizeof(msg), c == ':' ? "option -%c needs an argument" :
			    "unknown option -%c", optopt);
		else if (c == ':' || bad == NULL || (near = opt_suggest(st->cmd, bad)) == NULL)
			snprintf(msg, sizeof(msg), c == ':' ? "option %s needs an argument" :
			    "unknown option %s", bad == NULL ? "?" : bad);
		else
			snprintf(msg, sizeof(msg), "unknown option --%.*s; did you mean --%s?",
			    (int)strcspn(bad + 2, "="), bad + 2, near);
		hk_cli_usage_error(st->cmd, "%s", msg);
		opt_json_error(st, msg);
		return HK_OPT_ERROR;
	}
	for (i = 0; i < im->nopts; i++) {
		if (st->cmd->opts[i].shortopt == c) {
			st->arg = optarg;
			return (int)i;
		}
	}
	return HK_OPT_ERROR;
}

int
hk_opt_usage_error(const struct hk_optstate *st, const char *fmt, ...)
{
	char msg[sizeof(last_usage)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hk_cli_usage_error(st->cmd, "%s", msg);
	opt_json_error(st, msg);
	return HK_EXIT_USAGE;
}

int
hk_opt_parse(const struct hk_cmd *cmd, int argc, char **argv, hk_opt_fn *fn,
    void *ctx, char ***opsp, int *nopsp)
{
	struct hk_optstate st;
	int c, r;

	*opsp = NULL;
	*nopsp = 0;
	if (hk_opt_init(&st, cmd, argc, argv) != 0)
		return HK_EXIT_FAILURE;
	while ((c = hk_opt_next(&st)) >= 0) {
		if ((r = fn(ctx, cmd, c, st.arg)) != 0) {
			/* A bad option value: the same error document under --json. */
			if (r == HK_EXIT_USAGE)
				opt_json_error(&st, last_usage);
			goto out;
		}
	}
	if (c == HK_OPT_HELP)
		r = HK_EXIT_OK;
	else if (c == HK_OPT_ERROR)
		r = HK_EXIT_USAGE;
	else {
		/* Permutation moved every operand behind the options. */
		*opsp = argv + st.optind;
		*nopsp = argc - st.optind;
		r = -1;
	}
 out:
	hk_opt_free(&st);
	return r;
}

int
hk_opt_is_name(const struct hk_cmd *cmd, int idx, const char *name)
{
	return idx >= 0 && strcmp(cmd->opts[idx].name, name) == 0;
}

const char *
hk_cli_cmd_path(const struct hk_cmd *cmd, char *buf, size_t size)
{
	if (cmd == NULL)
		snprintf(buf, size, "hwkey");
	else if (cmd->parent != NULL)
		snprintf(buf, size, "hwkey %s %s", cmd->parent, cmd->name);
	else
		snprintf(buf, size, "hwkey %s", cmd->name);
	return buf;
}

void
hk_cli_usage(const struct hk_cmd *cmd, FILE *fp)
{
	const struct hk_opt *o;
	char path[128], left[96];
	size_t i;

	hk_cli_cmd_path(cmd, path, sizeof(path));
	if (cmd->verbs != NULL) {
		fprintf(fp, "usage: %s VERB [OPTIONS]\n\n%s\n\nVerbs:\n", path, cmd->summary);
		for (i = 0; cmd->verbs[i] != NULL; i++)
			fprintf(fp, "  %-12s %s\n", cmd->verbs[i]->name, cmd->verbs[i]->summary);
		fprintf(fp, "\nSee '%s VERB --help' and man hwkey-%s.\n", path, cmd->name);
		return;
	}
	fprintf(fp, "usage: %s [OPTIONS]%s%s\n\n%s\n\nOptions:\n", path,
	    cmd->args != NULL && *cmd->args != '\0' ? " " : "",
	    cmd->args != NULL ? cmd->args : "", cmd->summary);
	for (o = cmd->opts; o != NULL && o->name != NULL; o++) {
		if (o->shortopt != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->shortopt, o->name,
			    o->has_arg ? " " : "", o->has_arg ? o->argname : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			    o->has_arg ? " " : "", o->has_arg ? o->argname : "");
		fprintf(fp, "  %-28s %s\n", left, o->help);
	}
	fprintf(fp, "  %-28s %s\n", "-h, --help", "show this help");
}

int
hk_cli_usage_error(const struct hk_cmd *cmd, const char *fmt, ...)
{
	char path[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_usage, sizeof(last_usage), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n",
	    hk_cli_cmd_path(cmd, path, sizeof(path)), last_usage, path);
	return HK_EXIT_USAGE;
}

int
hk_cli_fail_error(const struct hk_cmd *cmd, const struct hk_error *e)
{
	char path[128];

	hk_cli_cmd_path(cmd, path, sizeof(path));
	/*
	 * File and system errors end in strerror(errno) already: the code's
	 * text ("input/output error") would only repeat it, less precisely.
	 */
	if (e->message[0] != '\0' && (e->code == HK_ERR_IO || e->code == HK_ERR_SYSTEM ||
	    e->code == HK_ERR_NOT_FOUND))
		fprintf(stderr, "%s: %s\n", path, e->message);
	else if (e->message[0] != '\0')
		fprintf(stderr, "%s: %s: %s\n", path, e->message, hk_strerror(e->code));
	else
		fprintf(stderr, "%s: %s\n", path, hk_strerror(e->code));
	return hk_err_exit(e->code);
}

int
hk_cli_fail(const struct hk_cmd *cmd, int err)
{
	struct hk_error e;

	hk_error_take(&e, err);
	return hk_cli_fail_error(cmd, &e);
}

void
hk_cli_entry_error(const char *file, size_t line, int err, const char *reason)
{
	const char *rule = hk_strerror(err);

	if (reason == NULL || *reason == '\0')
		reason = rule;
	if (err != 0 && strstr(reason, rule) == NULL)
		fprintf(stderr, "%s:%zu: %s: %s\n", file, line, reason, rule);
	else
		fprintf(stderr, "%s:%zu: %s\n", file, line, reason);
}

int
hk_cli_print_json(json_t *doc)
{
	int r;

	if (doc == NULL)
		return HK_ERR_ALLOC;
	r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (r != 0 || fputc('\n', stdout) == EOF)
		return HK_ERR_IO;
	return 0;
}

int
hk_cli_run_group(const struct hk_cmd *group, int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		hk_cli_usage(group, stderr);
		return HK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		hk_cli_usage(group, stdout);
		return HK_EXIT_OK;
	}
	for (i = 0; group->verbs[i] != NULL; i++)
		if (strcmp(group->verbs[i]->name, argv[1]) == 0)
			return hk_cli_run(group->verbs[i], argc - 1, argv + 1);
	{
		const char *names[32], *near;
		size_t n;

		for (n = 0; group->verbs[n] != NULL && n < 32; n++)
			names[n] = group->verbs[n]->name;
		if ((near = hk_cli_suggest(argv[1], names, n)) != NULL)
			return hk_cli_usage_error(group, "unknown verb '%s'; did you mean "
			    "'%s'?", argv[1], near);
	}
	return hk_cli_usage_error(group, "unknown verb '%s'", argv[1]);
}

int
hk_cli_run(const struct hk_cmd *cmd, int argc, char **argv)
{
	if (cmd->verbs != NULL)
		return hk_cli_run_group(cmd, argc, argv);
	return cmd->run(cmd, argc, argv);
}
