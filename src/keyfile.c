/* Key files holding many keys in mixed formats: finds each entry and its
 * extent, hands it to its codec (fmt.h) and reports keys and bad entries. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "key.h"

struct line {
	const char *s;		/* first byte, leading blanks skipped */
	size_t len;		/* without "\n" (a "\r" before it stays) */
	const char *start;	/* first byte of the raw line */
	size_t no;		/* 1-based */
};

struct scan {
	const char *p;
	const char *end;
	size_t no;
};

static int
scan_next(struct scan *sc, struct line *ln)
{
	const char *s = sc->p, *nl;

	if (s >= sc->end)
		return 0;
	if ((nl = memchr(s, '\n', (size_t)(sc->end - s))) == NULL)
		nl = sc->end;
	sc->p = nl < sc->end ? nl + 1 : nl;
	ln->start = s;
	ln->no = ++sc->no;
	while (s < nl && (*s == ' ' || *s == '\t'))
		s++;
	ln->s = s;
	ln->len = (size_t)(nl - s);
	return 1;
}

/* Starts with a literal (after leading blanks). */
static int
starts(const struct line *ln, const char *lit)
{
	size_t n = strlen(lit);

	return ln->len >= n && memcmp(ln->s, lit, n) == 0;
}

/* Blank, or only a CR, or a '#' comment. */
static int
skippable(const struct line *ln)
{
	return ln->len == 0 || (ln->len == 1 && ln->s[0] == '\r') || ln->s[0] == '#';
}

/*
 * Consume lines up to and including the first that starts with endlit. On
 * return *endp is one past the entry; 0 when the end was found.
 */
static int
scan_block(struct scan *sc, const char *endlit, const char **endp)
{
	struct line ln;

	while (scan_next(sc, &ln)) {
		if (starts(&ln, endlit)) {
			*endp = ln.s + ln.len;
			return 0;
		}
	}
	*endp = sc->end;
	return -1;
}

/* Report one entry; a failed codec's detail becomes the reason. */
static int
report(hk_key_entry_cb *cb, void *arg, struct hk_key *key, int err,
    size_t lineno, enum hk_fmt fmt, const char *options)
{
	struct hk_key_entry e;
	struct hk_error why;

	memset(&e, 0, sizeof(e));
	e.key = err == 0 ? key : NULL;
	e.err = err;
	if (err != 0) {
		hk_error_take(&why, err);
		e.reason = hk_error_message(&why);
	}
	e.line = lineno;
	e.fmt = fmt;
	e.options = options;
	return cb(&e, arg);
}

int
hk_keyfile_parse(const char *data, size_t len, hk_key_entry_cb *cb, void *arg)
{
	struct scan sc;
	struct line ln;
	struct hk_key *key;
	enum hk_fmt fmt;
	const char *end;
	char *options;
	int r, err, missing;

	if (cb == NULL || (data == NULL && len != 0))
		return HK_ERR_INVALID_ARGUMENT;
	/* Windows editors save a BOM; it is not part of the first line. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	sc.p = data;
	sc.end = data + len;
	sc.no = 0;
	while (scan_next(&sc, &ln)) {
		if (skippable(&ln))
			continue;
		key = NULL;
		options = NULL;
		missing = 0;
		hk_err_clear();
		if (starts(&ln, "---- BEGIN SSH2 PUBLIC KEY ----")) {
			fmt = HK_FMT_RFC4716;
			missing = scan_block(&sc, "---- END SSH2 PUBLIC KEY ----", &end);
			err = missing ? hk_errf(HK_ERR_RFC4716, "no \"---- END SSH2 "
			    "PUBLIC KEY ----\" line") :
			    hk_fmt_rfc4716_parse(ln.s, (size_t)(end - ln.s), &key);
		} else if (starts(&ln, "-----BEGIN ")) {
			fmt = HK_FMT_PEM;
			missing = scan_block(&sc, "-----END ", &end);
			err = missing ? hk_errf(HK_ERR_PEM, "no \"-----END\" line") :
			    hk_fmt_pem_parse(ln.s, (size_t)(end - ln.s), &fmt, &key);
		} else if (starts(&ln, "PuTTY-User-Key-File-")) {
			fmt = HK_FMT_PPK;
			/* The MAC line closes the file; without it the data's end does. */
			scan_block(&sc, "Private-MAC:", &end);
			err = hk_fmt_ppk_parse(ln.s, (size_t)(end - ln.s), &key);
		} else {
			fmt = HK_FMT_OPENSSH;
			err = hk_fmt_openssh_parse(ln.s, ln.len, &key, &options);
		}
		r = report(cb, arg, key, err, ln.no, fmt, options);
		hk_key_free(key);
		free(options);
		if (r != 0)
			return r;
	}
	return 0;
}

struct one {
	struct hk_key *key;
	int err;
	int n;
};

static int
one_cb(const struct hk_key_entry *e, void *arg)
{
	struct one *o = arg;
	int r;

	if (e->err != 0) {
		o->err = hk_errf(e->err, "line %zu: %s", e->line, e->reason);
		return o->err;
	}
	if (++o->n > 1) {
		o->err = hk_errf(HK_ERR_FORMAT_MALFORMED, "line %zu: more than "
		    "one key", e->line);
		return o->err;
	}
	if ((r = hk_key_dup(e->key, &o->key)) != 0)
		o->err = r;
	return r;
}

int
hk_key_parse(const char *data, size_t len, struct hk_key **keyp)
{
	struct one o = { NULL, 0, 0 };
	int r;

	if (keyp != NULL)
		*keyp = NULL;
	if (keyp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	r = hk_keyfile_parse(data, len, one_cb, &o);
	if (r == 0 && o.err != 0)
		r = o.err;
	if (r == 0 && o.key == NULL)
		r = hk_errf(HK_ERR_FORMAT_EMPTY, "no key found");
	if (r != 0) {
		hk_key_free(o.key);
		return r;
	}
	*keyp = o.key;
	return 0;
}

static const char *const fmt_names[] = {
	[HK_FMT_AUTO] = "auto",
	[HK_FMT_OPENSSH] = "openssh",
	[HK_FMT_RFC4716] = "rfc4716",
	[HK_FMT_PEM] = "pem",
	[HK_FMT_PKCS1] = "pkcs1",
	[HK_FMT_PPK] = "ppk",
	[HK_FMT_X509] = "x509",
};
#define N_FMT (sizeof(fmt_names) / sizeof(fmt_names[0]))

int
hk_fmt_from_name(const char *name, enum hk_fmt *fmtp)
{
	size_t i;

	if (fmtp != NULL)
		*fmtp = HK_FMT_AUTO;
	if (name == NULL || fmtp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	for (i = 0; i < N_FMT; i++) {
		if (strcasecmp(name, fmt_names[i]) == 0) {
			*fmtp = (enum hk_fmt)i;
			return 0;
		}
	}
	return hk_errf(HK_ERR_INVALID_ARGUMENT, "unknown key format \"%s\"", name);
}

const char *
hk_fmt_name(enum hk_fmt fmt)
{
	return (size_t)fmt < N_FMT ? fmt_names[fmt] : NULL;
}

int
hk_key_write(const struct hk_key *key, enum hk_fmt fmt, char **outp)
{
	struct hk_buf *out = NULL;
	int r;

	if (outp != NULL)
		*outp = NULL;
	if (key == NULL || outp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((out = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	switch (fmt) {
	case HK_FMT_AUTO:
	case HK_FMT_OPENSSH:
		r = hk_fmt_openssh_write(key, out);
		break;
	case HK_FMT_RFC4716:
		r = hk_fmt_rfc4716_write(key, out);
		break;
	case HK_FMT_PEM:
	case HK_FMT_PKCS1:
		r = hk_fmt_pem_write(key, fmt, out);
		break;
	default:
		r = hk_errf(HK_ERR_FORMAT_UNSUPPORTED, "hwkey does not write %s files",
		    hk_fmt_name(fmt) != NULL ? hk_fmt_name(fmt) : "such");
		break;
	}
	if (r != 0)
		goto out;
	if ((*outp = hk_buf_dup_string(out)) == NULL)
		r = HK_ERR_ALLOC;
 out:
	hk_buf_free(out);
	return r;
}
