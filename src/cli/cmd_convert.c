/* hwkey convert: read every public key in the inputs (any format, mixed) and
 * write each in one target format, e.g. a PuTTYgen "Save public key" file as
 * the one-line OpenSSH form cloud consoles accept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "key.h"

static const struct hk_opt opts[] = {
	{ "json", 0, 0, NULL, "print a JSON array with one object per key" },
	{ "output", 'o', 1, "FILE", "write to FILE (atomically, only if every key converts)" },
	{ "to", 't', 1, "FORMAT", "openssh, rfc4716, pem (SPKI) or pkcs1 (RSA only)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct convert {
	const char *file;	/* name shown in messages */
	enum hk_fmt to;
	int json;
	struct hk_buf *out;	/* converted text, in input order */
	json_t *results;	/* --json */
	int first_err;		/* first failure, decides the exit status */
	size_t nkeys;		/* entries seen in the current file */
};

static void
record_failure(struct convert *c, size_t line, int err, const char *reason)
{
	json_t *o;

	if (reason == NULL || *reason == '\0')
		reason = hk_strerror(err);
	hk_cli_entry_error(c->file, line, err, reason);
	if (c->first_err == 0)
		c->first_err = err;
	if (c->json) {
		struct hk_error e;

		/* The one error object (hwkey-json.7), saying where. */
		hk_error_clear(&e);
		hk_error_set(&e, err, "%s", reason);
		snprintf(e.file, sizeof(e.file), "%s", c->file);
		e.line = line;
		o = json_pack("{s:s, s:I, s:o}", "file", c->file, "line", (json_int_t)line,
		    "error", hk_cli_error_json(&e));
		if (o != NULL)
			json_array_append_new(c->results, o);
	}
}

/* A writer's failure: its detail when it set one, else the generic text. */
static const char *
write_reason(int err, char *buf, size_t size)
{
	struct hk_error e;

	hk_error_take(&e, err);
	if (e.message[0] != '\0')
		snprintf(buf, size, "%s: %s", e.message, hk_strerror(err));
	else
		snprintf(buf, size, "%s", hk_strerror(err));
	return buf;
}

static int
on_entry(const struct hk_key_entry *e, void *arg)
{
	struct convert *c = arg;
	char *text = NULL, *line = NULL, *fp = NULL, reason[HK_ERROR_MESSAGE_MAX + 128];
	char kind[32];
	json_t *o;
	int r;

	c->nkeys++;
	if (e->err != 0) {
		record_failure(c, e->line, e->err, e->reason);
		return 0;
	}
	hk_err_clear();
	if ((r = hk_key_write(e->key, c->to, &text)) != 0) {
		record_failure(c, e->line, r, write_reason(r, reason, sizeof(reason)));
		return 0;
	}
	/* authorized_keys options stay in front of an OpenSSH line. */
	if (c->to == HK_FMT_OPENSSH && e->options != NULL) {
		if (asprintf(&line, "%s %s", e->options, text) == -1) {
			line = NULL;
			r = HK_ERR_ALLOC;
			goto out;
		}
		free(text);
		text = line;
	}
	if (c->json) {
		if ((r = hk_key_fingerprint(e->key, HK_FP_SHA256, &fp)) != 0)
			goto out;
		o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:s?, s:s?, s:s, s:s, s:{s:s}, s:s}",
		    "file", c->file, "line", (json_int_t)e->line,
		    "type", hk_key_kind_of(e->key, kind, sizeof(kind)),
		    "ssh_type", hk_key_type_name(e->key), "type_label", hk_key_type_label(e->key),
		    "bits", (json_int_t)hk_key_bits(e->key),
		    "comment", hk_key_comment(e->key), "options", e->options,
		    "format", hk_fmt_name(e->fmt), "to", hk_fmt_name(c->to),
		    "fingerprints", "sha256", fp, "output", text);
		if (o == NULL || json_array_append_new(c->results, o) != 0) {
			r = HK_ERR_ALLOC;
			goto out;
		}
	}
	r = hk_buf_put(c->out, text, strlen(text));
out:
	free(fp);
	free(text);
	return r;
}

static int
convert_file(struct convert *c, const char *path)
{
	char *data = NULL;
	size_t len;
	int r;

	c->file = strcmp(path, "-") == 0 ? "(stdin)" : path;
	c->nkeys = 0;
	if ((r = hk_file_read(path, HK_FILE_MAX, &data, &len)) != 0)
		return r;
	if ((r = hk_keyfile_parse(data, len, on_entry, c)) != 0 &&
	    r != HK_ERR_FORMAT_EMPTY)
		goto out;
	if (c->nkeys == 0) {
		fprintf(stderr, "%s: %s\n", c->file, hk_strerror(HK_ERR_FORMAT_EMPTY));
		if (c->first_err == 0)
			c->first_err = HK_ERR_FORMAT_EMPTY;
		if (c->json) {
			struct hk_error e;

			hk_error_clear(&e);
			hk_error_set(&e, HK_ERR_FORMAT_EMPTY, "%s", hk_strerror(HK_ERR_FORMAT_EMPTY));
			snprintf(e.file, sizeof(e.file), "%s", c->file);
			json_array_append_new(c->results, json_pack("{s:s, s:o}",
			    "file", c->file, "error", hk_cli_error_json(&e)));
		}
	}
	r = 0;
out:
	free(data);
	return r;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct hk_optstate st;
	struct convert c;
	const char *output = NULL, *to = NULL;
	char *const stdin_only[] = { (char *)"-", NULL };
	char *const *files;
	int i, nfiles, idx, r, status = HK_EXIT_OK;

	memset(&c, 0, sizeof(c));
	if ((r = hk_opt_init(&st, cmd, argc, argv)) != 0)
		return hk_cli_fail(cmd, r);
	while ((idx = hk_opt_next(&st)) != HK_OPT_END) {
		if (idx == HK_OPT_HELP || idx == HK_OPT_ERROR) {
			hk_opt_free(&st);
			return idx == HK_OPT_HELP ? HK_EXIT_OK : HK_EXIT_USAGE;
		}
		if (hk_opt_is(&st, idx, "json"))
			c.json = 1;
		else if (hk_opt_is(&st, idx, "output"))
			output = st.arg;
		else if (hk_opt_is(&st, idx, "to"))
			to = st.arg;
	}
	files = st.optind < argc ? argv + st.optind : stdin_only;
	nfiles = st.optind < argc ? argc - st.optind : 1;
	hk_opt_free(&st);
	if (to == NULL)
		return hk_cli_usage_error(cmd, "--to FORMAT is required");
	if (hk_fmt_from_name(to, &c.to) != 0 || c.to == HK_FMT_AUTO ||
	    c.to == HK_FMT_PPK || c.to == HK_FMT_X509)
		return hk_cli_usage_error(cmd,
		    "--to %s: use openssh, rfc4716, pem or pkcs1", to);
	if ((c.out = hk_buf_new()) == NULL ||
	    (c.json && (c.results = json_array()) == NULL)) {
		status = hk_cli_fail(cmd, HK_ERR_ALLOC);
		goto out;
	}
	for (i = 0; i < nfiles; i++) {
		if ((r = convert_file(&c, files[i])) != 0) {
			struct hk_error e;

			/* The whole command stops: with --json, the error document. */
			hk_error_take(&e, r);
			status = c.json ? hk_cli_fail_json(cmd, &e) : hk_cli_fail_error(cmd, &e);
			goto out;
		}
	}
	/* -o never leaves a file holding only some of the keys. */
	if (output != NULL && c.first_err != 0)
		fprintf(stderr, "hwkey convert: %s not written: some keys failed\n", output);
	else if (output != NULL &&
	    (r = hk_file_write_atomic(output, hk_buf_ptr(c.out), hk_buf_len(c.out),
	    0644)) != 0) {
		status = hk_cli_fail(cmd, r);
		goto out;
	}
	if (c.json) {
		r = hk_cli_print_json(c.results);
		c.results = NULL;
		if (r != 0) {
			status = hk_cli_fail(cmd, r);
			goto out;
		}
	} else if (output == NULL && hk_buf_len(c.out) > 0 &&
	    (fwrite(hk_buf_ptr(c.out), hk_buf_len(c.out), 1, stdout) != 1 ||
	    fflush(stdout) != 0)) {
		status = hk_cli_fail(cmd, HK_ERR_IO);
		goto out;
	}
	if (c.first_err != 0)
		status = hk_err_exit(c.first_err);
out:
	json_decref(c.results);
	hk_buf_free(c.out);
	return status;
}

const struct hk_cmd hk_cmd_convert = {
	.name = "convert",
	.args = "[FILE|-]...",
	.summary = "convert public keys between OpenSSH, RFC 4716, PEM and PKCS#1",
	.opts = opts,
	.run = run,
};
