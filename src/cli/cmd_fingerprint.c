/* hwkey fingerprint: one line per key in each file, byte-identical to
 * ssh-keygen -l [-E md5] [-v] for SHA256/MD5, plus each cloud's own form. */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include <jansson.h>

#include "cli.h"
#include "err.h"
#include "file.h"
#include "key.h"

static const struct hk_opt opts[] = {
	{ "file", 'f', 1, "FILE", "a key file, as ssh-keygen -l -f FILE (with any operands)" },
	{ "hash", 'E', 1, "ALG", "sha256 (default), md5, aliyun, huawei or aws" },
	{ "json", 0, 0, NULL, "print a JSON array with every fingerprint of each key" },
	{ "verbose", 'v', 0, NULL, "draw the randomart picture after each key (sha256, md5)" },
	{ NULL, 0, 0, NULL, NULL },
};

/*
 * Output is built in one buffer and written in large blocks: stdio's
 * per-call locking shows when a file holds 100,000 keys.
 */
struct out {
	char buf[1 << 16];
	size_t len;
	int failed;
};

static void
out_flush(struct out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, stdout) != o->len)
		o->failed = 1;
	o->len = 0;
}

static void
out_put(struct out *o, const char *s, size_t len)
{
	size_t n;

	while (len > 0) {
		if (o->len == sizeof(o->buf))
			out_flush(o);
		n = sizeof(o->buf) - o->len < len ? sizeof(o->buf) - o->len : len;
		memcpy(o->buf + o->len, s, n);
		o->len += n;
		s += n;
		len -= n;
	}
}

static void
out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/*
 * Comments are printed as ssh-keygen's mprintf() does: printable characters
 * (multibyte ones only in a UTF-8 locale), tab and CR as they are, every
 * other byte as a backslash and three octal digits.
 */
static void
out_safe(struct out *o, const char *s, int utf8)
{
	mbstate_t st;
	char esc[5];
	size_t len = strlen(s), n;
	wchar_t wc;

	while (len > 0) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x80 && (c == '\t' || c == '\r' || (c >= 0x20 && c < 0x7f))) {
			out_put(o, s, 1);
			s++;
			len--;
			continue;
		}
		if (c >= 0x80 && utf8) {
			memset(&st, 0, sizeof(st));
			n = mbrtowc(&wc, s, len, &st);
			if (n != (size_t)-1 && n != (size_t)-2 && n > 0 && iswprint((wint_t)wc)) {
				out_put(o, s, n);
				s += n;
				len -= n;
				continue;
			}
		}
		snprintf(esc, sizeof(esc), "\\%03o", c);
		out_put(o, esc, 4);
		s++;
		len--;
	}
}

/* ssh-keygen's msetlocale(): a UTF-8 locale from the environment, else C. */
static int
set_ctype(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((v = getenv(vars[i])) == NULL || *v == '\0')
			continue;
		if ((strcasestr(v, "UTF-8") != NULL || strcasestr(v, "UTF8") != NULL) &&
		    setlocale(LC_CTYPE, v) != NULL)
			return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
		break;
	}
	setlocale(LC_CTYPE, "C");
	return 0;
}

/* One result: a key with its fingerprint, or a bad entry. */
struct fp_row {
	const char *file;
	size_t line;
	const struct hk_key *key;	/* NULL when err != 0 */
	const char *options;		/* authorized_keys options or hostnames */
	char fp[HK_FP_MAX];		/* in the chosen hash */
	int err;
	const char *reason;
};

struct run {
	const struct hk_cmd *cmd;
	enum hk_fp hash;
	int verbose;
	int utf8;
	json_t *json;		/* the array under --json, else NULL */
	struct out *out;
	const char *file;
	size_t nentries;
	int status;		/* first failure's exit status */
};

/*
 * ssh-keygen -l shows the comment after the key; without one, the options
 * or known_hosts hostnames before it; a comment starting with '#' is none.
 */
static const char *
display_comment(const struct fp_row *row)
{
	const char *c = hk_key_comment(row->key);

	if (c == NULL || *c == '#')
		c = row->options;
	return c;
}

static void
row_text(struct run *run, const struct fp_row *row)
{
	char head[32], *art = NULL;
	const char *c;
	int r;

	if (row->err != 0) {
		out_flush(run->out);	/* keep stdout and stderr in file order */
		fflush(stdout);
		hk_cli_entry_error(row->file, row->line, row->err, row->reason);
		return;
	}
	snprintf(head, sizeof(head), "%u ", hk_key_bits(row->key));
	out_str(run->out, head);
	out_str(run->out, row->fp);
	out_put(run->out, " ", 1);
	if ((c = display_comment(row)) != NULL)
		out_safe(run->out, c, run->utf8);
	else
		out_str(run->out, "no comment");
	out_put(run->out, " (", 2);
	out_str(run->out, hk_key_type_label(row->key));
	out_put(run->out, ")\n", 2);
	if (run->verbose) {
		if ((r = hk_key_randomart(row->key, run->hash, &art)) != 0) {
			run->out->failed = 1;
			return;
		}
		out_str(run->out, art);
		out_put(run->out, "\n", 1);
		free(art);
	}
}

/*
 * A JSON string of text from the input, which need not be UTF-8: invalid
 * bytes and control characters become \ooo as in the text output.
 */
static json_t *
json_text(const char *s)
{
	size_t i, n = 0, len;
	char *e;
	json_t *j;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	len = strlen(s);
	if ((e = malloc(4 * len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			e[n++] = (char)c;
		else
			n += (size_t)snprintf(e + n, 5, "\\%03o", c);
	}
	j = json_stringn(e, n);
	free(e);
	return j;
}

static json_t *
json_fp(const struct hk_key *key, enum hk_fp fp)
{
	char buf[HK_FP_MAX];

	if (hk_key_fingerprint_buf(key, fp, buf, sizeof(buf)) != 0)
		return json_null();
	return json_string(buf);
}

static json_t *
row_json(const struct fp_row *row)
{
	json_t *o, *fps;
	const char *c;
	char kind[32];
	enum hk_fp fp;

	if (row->err != 0) {
		struct hk_error e;

		/* The one error object (hwkey-json.7), saying where. */
		hk_error_clear(&e);
		hk_error_set(&e, row->err, "%s", row->reason != NULL ? row->reason :
		    hk_strerror(row->err));
		snprintf(e.file, sizeof(e.file), "%s", row->file != NULL ? row->file : "");
		e.line = row->line;
		o = json_pack("{s:o, s:o}", "file", json_text(row->file), "error",
		    hk_cli_error_json(&e));
		if (o != NULL && row->line != 0)
			json_object_set_new(o, "line", json_integer((json_int_t)row->line));
		return o;
	}
	if ((fps = json_object()) == NULL)
		return NULL;
	for (fp = HK_FP_SHA256; fp <= HK_FP_AWS; fp++)
		json_object_set_new(fps, hk_fp_name(fp), json_fp(row->key, fp));
	c = hk_key_comment(row->key);
	o = json_pack("{s:o, s:I, s:s, s:s, s:I, s:o, s:o}", "file", json_text(row->file),
	    "line", (json_int_t)row->line,
	    "type", hk_key_kind_of(row->key, kind, sizeof(kind)),
	    "ssh_type", hk_key_type_name(row->key),
	    "bits", (json_int_t)hk_key_bits(row->key),
	    "comment", json_text(c), "fingerprints", fps);
	if (o != NULL && row->options != NULL)
		json_object_set_new(o, "options", json_text(row->options));
	return o;
}

static void
row_emit(struct run *run, const struct fp_row *row)
{
	if (row->err != 0 && run->status == 0)
		run->status = hk_err_exit(row->err);
	if (run->json == NULL) {
		row_text(run, row);
		return;
	}
	if (json_array_append_new(run->json, row_json(row)) != 0)
		run->out->failed = 1;
	if (row->err != 0)
		hk_cli_entry_error(row->file, row->line, row->err, row->reason);
}

static int
entry_cb(const struct hk_key_entry *e, void *arg)
{
	struct hk_error err;
	struct run *run = arg;
	struct fp_row row;
	int r;

	run->nentries++;
	row.file = run->file;
	row.line = e->line;
	row.key = e->key;
	row.options = e->options;
	row.fp[0] = '\0';
	row.err = e->err;
	row.reason = e->reason;
	if (row.err == 0 && run->json == NULL &&
	    (r = hk_key_fingerprint_buf(e->key, run->hash, row.fp, sizeof(row.fp))) != 0) {
		row.key = NULL;
		row.err = hk_error_take(&err, r);
		row.reason = hk_error_message(&err);
	}
	row_emit(run, &row);
	return 0;
}

static void
do_file(struct run *run, const char *path)
{
	struct hk_error err;
	struct fp_row row;
	char *data = NULL;
	size_t len = 0;
	int r;

	memset(&row, 0, sizeof(row));
	run->file = strcmp(path, "-") == 0 ? "(stdin)" : path;
	run->nentries = 0;
	hk_err_clear();
	if ((r = hk_file_read(path, HK_FILE_MAX, &data, &len)) == 0) {
		r = hk_keyfile_parse(data, len, entry_cb, run);
		if (r == 0 && run->nentries == 0)
			r = hk_errf(HK_ERR_FORMAT_EMPTY, "%s: no key found", run->file);
	}
	free(data);
	if (r == 0)
		return;
	row.file = run->file;
	row.err = hk_error_take(&err, r);
	row.reason = hk_error_message(&err);
	if (run->status == 0)
		run->status = hk_err_exit(r);
	out_flush(run->out);
	fflush(stdout);
	/* File-level details already name the file. */
	fprintf(stderr, "%s\n", row.reason);
	if (run->json != NULL)
		json_array_append_new(run->json, row_json(&row));
}

static int
run_cmd(const struct hk_cmd *cmd, int argc, char **argv)
{
	static char stdin_name[] = "-";
	static char *stdin_argv[] = { stdin_name };
	struct hk_optstate st;
	struct run run;
	struct out *out = NULL;
	int i, idx, rc = HK_EXIT_OK, json = 0;
	char **files, **fv = NULL, **tmp;
	int nfiles, nf = 0;

	memset(&run, 0, sizeof(run));
	run.cmd = cmd;
	run.hash = HK_FP_SHA256;
	if (hk_opt_init(&st, cmd, argc, argv) != 0)
		return hk_cli_fail(cmd, HK_ERR_ALLOC);
	while ((idx = hk_opt_next(&st)) != HK_OPT_END) {
		if (idx == HK_OPT_HELP || idx == HK_OPT_ERROR) {
			free(fv);
			hk_opt_free(&st);
			return idx == HK_OPT_HELP ? HK_EXIT_OK : HK_EXIT_USAGE;
		}
		if (hk_opt_is(&st, idx, "file")) {
			/* ssh-keygen's spelling; the files come before the operands. */
			if ((tmp = realloc(fv, (size_t)(nf + 1) * sizeof(*fv))) == NULL) {
				free(fv);
				hk_opt_free(&st);
				return hk_cli_fail(cmd, HK_ERR_ALLOC);
			}
			fv = tmp;
			fv[nf++] = (char *)st.arg;
		} else if (hk_opt_is(&st, idx, "hash")) {
			if (hk_fp_from_name(st.arg, &run.hash) != 0) {
				int ret = hk_opt_usage_error(&st, "unknown hash '%s'", st.arg);

				free(fv);
				hk_opt_free(&st);
				return ret;
			}
		} else if (hk_opt_is(&st, idx, "json")) {
			json = 1;
		} else if (hk_opt_is(&st, idx, "verbose")) {
			run.verbose = 1;
		}
	}
	files = argv + st.optind;
	nfiles = argc - st.optind;
	if (nf > 0) {
		if ((tmp = realloc(fv, (size_t)(nf + nfiles + 1) * sizeof(*fv))) == NULL) {
			free(fv);
			hk_opt_free(&st);
			return hk_cli_fail(cmd, HK_ERR_ALLOC);
		}
		fv = tmp;
		for (i = 0; i < nfiles; i++)
			fv[nf + i] = files[i];
		files = fv;
		nfiles += nf;
	}
	hk_opt_free(&st);
	if (run.verbose && run.hash != HK_FP_SHA256 && run.hash != HK_FP_MD5) {
		free(fv);
		return hk_cli_usage_error(cmd, "--verbose draws sha256 and md5 only");
	}
	if (run.verbose && json) {
		free(fv);
		return hk_cli_usage_error(cmd, "--verbose and --json exclude each other");
	}
	if (nfiles == 0) {
		files = stdin_argv;
		nfiles = 1;
	}
	if ((out = calloc(1, sizeof(*out))) == NULL) {
		free(fv);
		return hk_cli_fail(cmd, HK_ERR_ALLOC);
	}
	run.out = out;
	run.utf8 = set_ctype();
	if (json && (run.json = json_array()) == NULL) {
		free(fv);
		free(out);
		return hk_cli_fail(cmd, HK_ERR_ALLOC);
	}
	for (i = 0; i < nfiles; i++)
		do_file(&run, files[i]);
	out_flush(out);
	if (run.json != NULL && hk_cli_print_json(run.json) != 0)
		out->failed = 1;
	if (fflush(stdout) != 0 || out->failed)
		rc = hk_cli_fail(cmd, HK_ERR_IO);
	else if (run.status != 0)
		rc = run.status;
	free(fv);
	free(out);
	return rc;
}

const struct hk_cmd hk_cmd_fingerprint = {
	.name = "fingerprint",
	.args = "[FILE|-]...",
	.summary = "print key fingerprints as ssh-keygen -l does, or as a cloud shows them",
	.opts = opts,
	.run = run_cmd,
};
