/* The hwkey block of an OpenSSH client config: see ops_sshcfg.h. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "ops_sshcfg.h"

#define BEGIN_MARK	"# hwkey:begin "
#define END_MARK	"# hwkey:end "
#define CFG_MAX		(4 * 1024 * 1024)

const char *
hk_sshcfg_note_kind_name(enum hk_sshcfg_note_kind kind)
{
	switch (kind) {
	case HK_SSHCFG_NOTE_INCLUDE:
		return "include";
	case HK_SSHCFG_NOTE_HOST_BEFORE:
		return "host-before";
	case HK_SSHCFG_NOTE_HOST_AFTER:
		return "host-after";
	case HK_SSHCFG_NOTE_MATCH:
		return "match";
	}
	return "unknown";
}

int
hk_sshcfg_host_check(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0')
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "the host name is empty");
	if (*name == '-')
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "host '%s' starts with '-'", name);
	if (strlen(name) > 253)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "host name longer than 253 characters");
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-_:", *p) == NULL)
			return hk_errf(HK_ERR_INVALID_ARGUMENT, "host '%s': '%c' is not allowed "
			    "(letters, digits, '.', '-', '_', ':'; no patterns)", name, *p);
	return 0;
}

const char *
hk_sshcfg_default_path(char *buf, size_t size)
{
	const char *home = getenv("HOME");
	int n;

	if (home == NULL || *home == '\0')
		return NULL;
	n = snprintf(buf, size, "%s/.ssh/config", home);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* One line of the text: [start, start+len) without its "\n"; end past it. */
struct line {
	const char *p;
	size_t len;		/* without "\n" and a trailing "\r" */
	size_t end;		/* offset after the "\n" (or the text's end) */
};

static int
next_line(const char *in, size_t inlen, size_t *offp, struct line *l)
{
	size_t off = *offp;
	const char *nl;

	if (off >= inlen)
		return 0;
	l->p = in + off;
	nl = memchr(l->p, '\n', inlen - off);
	l->len = nl != NULL ? (size_t)(nl - l->p) : inlen - off;
	l->end = nl != NULL ? off + l->len + 1 : inlen;
	if (l->len > 0 && l->p[l->len - 1] == '\r')
		l->len--;
	*offp = l->end;
	return 1;
}

/* The line's keyword (lowercased into kw) and where its arguments start. */
static const char *
line_keyword(const struct line *l, char *kw, size_t kwsize, size_t *restlenp)
{
	const char *p = l->p, *e = l->p + l->len;
	size_t n = 0;

	kw[0] = '\0';
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p == e || *p == '#')
		return NULL;
	while (p < e && *p != ' ' && *p != '\t' && *p != '=') {
		if (n + 1 < kwsize)
			kw[n++] = (char)tolower((unsigned char)*p);
		p++;
	}
	kw[n] = '\0';
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p < e && *p == '=')
		p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	*restlenp = (size_t)(e - p);
	return p;
}

/* "# hwkey:begin HOST" or "# hwkey:end HOST" (followed by the end or a blank). */
static int
is_marker(const struct line *l, const char *mark, const char *host)
{
	size_t ml = strlen(mark), hl = strlen(host);

	if (l->len < ml + hl || memcmp(l->p, mark, ml) != 0 ||
	    memcmp(l->p + ml, host, hl) != 0)
		return 0;
	return l->len == ml + hl || l->p[ml + hl] == ' ' || l->p[ml + hl] == '\t';
}

/* Any begin marker (for a block of another host: skipped as a unit). */
static int
marker_host(const struct line *l, const char *mark, char *host, size_t size)
{
	size_t ml = strlen(mark), n = 0;
	const char *p;

	if (l->len <= ml || memcmp(l->p, mark, ml) != 0)
		return 0;
	for (p = l->p + ml; p < l->p + l->len && *p != ' ' && *p != '\t'; p++)
		if (n + 1 < size)
			host[n++] = *p;
	host[n] = '\0';
	return n > 0;
}

/* ssh's Host matching: some positive pattern matches and no negated one does. */
static int
host_matches(const char *args, size_t len, const char *host)
{
	char pat[256];
	size_t i = 0, n;
	int pos = 0, neg = 0, isneg;

	while (i < len) {
		while (i < len && (args[i] == ' ' || args[i] == '\t' || args[i] == ','))
			i++;
		if (i >= len || args[i] == '#')
			break;
		n = 0;
		while (i < len && args[i] != ' ' && args[i] != '\t' && args[i] != ',') {
			if (args[i] != '"' && n + 1 < sizeof(pat))
				pat[n++] = args[i];
			i++;
		}
		pat[n] = '\0';
		isneg = pat[0] == '!';
		if (fnmatch(isneg ? pat + 1 : pat, host, FNM_CASEFOLD) == 0) {
			if (isneg)
				neg = 1;
			else
				pos = 1;
		}
	}
	return pos && !neg;
}

static void
add_note(struct hk_sshcfg_result *res, enum hk_sshcfg_note_kind kind, unsigned long line,
    const struct line *l)
{
	struct hk_sshcfg_note *n;
	size_t len = l->len;
	const char *p = l->p;

	if (res == NULL || res->nnotes >= HK_SSHCFG_NOTES_MAX)
		return;
	n = &res->notes[res->nnotes++];
	n->kind = kind;
	n->line = line;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= sizeof(n->text))
		len = sizeof(n->text) - 1;
	memcpy(n->text, p, len);
	n->text[len] = '\0';
}

/* A value ssh reads back as given: quoted when it has blanks, "%%" when asked. */
static int
put_value(struct hk_buf *b, const char *kw, const char *v, int escape_pct)
{
	const char *p;
	int quote = 0, r;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '"')
			return hk_errf(HK_ERR_INVALID_ARGUMENT, "%s value holds a newline or '\"'", kw);
		if (*p == ' ' || *p == '\t')
			quote = 1;
	}
	if ((r = hk_buf_putf(b, "\t%s %s", kw, quote ? "\"" : "")) != 0)
		return r;
	for (p = v; *p != '\0'; p++)
		if ((*p == '%' && escape_pct && (r = hk_buf_put(b, "%", 1)) != 0) ||
		    (r = hk_buf_put(b, p, 1)) != 0)
			return r;
	return hk_buf_putf(b, "%s\n", quote ? "\"" : "");
}

static int
put_comment(struct hk_buf *b, const char *kw, const char *v)
{
	if (strchr(v, '\n') != NULL || strchr(v, '\r') != NULL)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "%s holds a newline", kw);
	return hk_buf_putf(b, "\t# %s %s\n", kw, v);
}

static int
make_block(const struct hk_sshcfg_host *h, struct hk_buf *b)
{
	int r;

	if ((r = hk_buf_putf(b, BEGIN_MARK "%s (written by hwkey ssh-config; "
	    "replaced on its next run)\nHost %s\n", h->host, h->host)) != 0)
		return r;
	if (h->hostname != NULL && (r = put_value(b, "HostName", h->hostname, 0)) != 0)
		return r;
	if (h->user != NULL && (r = put_value(b, "User", h->user, 0)) != 0)
		return r;
	if (h->port != 0 && (r = hk_buf_putf(b, "\tPort %u\n", h->port)) != 0)
		return r;
	if (h->pkcs11_provider != NULL &&
	    (r = put_value(b, "PKCS11Provider", h->pkcs11_provider, 0)) != 0)
		return r;
	if (h->sk_provider != NULL &&
	    (r = put_value(b, "SecurityKeyProvider", h->sk_provider, 0)) != 0)
		return r;
	if (h->identity_file != NULL &&
	    ((r = put_value(b, "IdentityFile", h->identity_file, 1)) != 0 ||
	    (r = hk_buf_putf(b, "\tIdentitiesOnly yes\n")) != 0))
		return r;
	if (h->token != NULL && (r = put_comment(b, "hwkey-token", h->token)) != 0)
		return r;
	if (h->module != NULL && (r = put_comment(b, "hwkey-module", h->module)) != 0)
		return r;
	if (h->key != NULL && (r = put_comment(b, "hwkey-key", h->key)) != 0)
		return r;
	if (h->sk_file != NULL && (r = put_comment(b, "hwkey-sk", h->sk_file)) != 0)
		return r;
	if (h->sk_device != NULL && (r = put_comment(b, "hwkey-sk-device", h->sk_device)) != 0)
		return r;
	return hk_buf_putf(b, END_MARK "%s\n", h->host);
}

/*
 * Walk the text once: where the host's block is ([*bstart, *bend)), where
 * the first Host/Match line is (*first), and the notes. Returns 0 or
 * HK_ERR_FORMAT_MALFORMED for an unterminated marker.
 */
static int
scan(const char *in, size_t inlen, const char *host, size_t *bstart, size_t *bend,
    size_t *first, struct hk_sshcfg_result *res)
{
	struct line l;
	size_t off = 0, start = 0, restlen;
	unsigned long lineno = 0, mline = 0;
	char kw[32], other[256], inside[256] = "";
	const char *rest;
	int seen_ours = 0;

	*bstart = *bend = *first = (size_t)-1;
	while ((start = off, next_line(in, inlen, &off, &l))) {
		lineno++;
		if (inside[0] != '\0') {
			/* Inside a marked block (ours or another host's). */
			if (is_marker(&l, END_MARK, inside)) {
				if (strcmp(inside, host) == 0) {
					*bend = l.end;
					seen_ours = 1;
				}
				inside[0] = '\0';
			} else if (marker_host(&l, BEGIN_MARK, other, sizeof(other)))
				return hk_errf(HK_ERR_FORMAT_MALFORMED, "line %lu: hwkey block "
				    "'%s' begun at line %lu has no '%s%s' line", lineno, inside,
				    mline, END_MARK, inside);
			continue;
		}
		if (marker_host(&l, BEGIN_MARK, other, sizeof(other))) {
			if (*first == (size_t)-1)
				*first = start;
			if (strcmp(other, host) == 0) {
				if (*bstart != (size_t)-1)
					return hk_errf(HK_ERR_FORMAT_MALFORMED, "line %lu: a second "
					    "hwkey block for '%s'", lineno, host);
				*bstart = start;
			}
			snprintf(inside, sizeof(inside), "%s", other);
			mline = lineno;
			continue;
		}
		if ((rest = line_keyword(&l, kw, sizeof(kw), &restlen)) == NULL)
			continue;
		if (strcmp(kw, "include") == 0)
			add_note(res, HK_SSHCFG_NOTE_INCLUDE, lineno, &l);
		else if (strcmp(kw, "match") == 0) {
			if (*first == (size_t)-1)
				*first = start;
			add_note(res, HK_SSHCFG_NOTE_MATCH, lineno, &l);
		} else if (strcmp(kw, "host") == 0) {
			if (*first == (size_t)-1)
				*first = start;
			if (host_matches(rest, restlen, host))
				add_note(res, seen_ours || *bstart != (size_t)-1 ?
				    HK_SSHCFG_NOTE_HOST_AFTER : HK_SSHCFG_NOTE_HOST_BEFORE,
				    lineno, &l);
		}
	}
	if (inside[0] != '\0')
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "line %lu: hwkey block '%s' has no "
		    "'%s%s' line", mline, inside, END_MARK, inside);
	return 0;
}

static unsigned long
line_of(const char *text, size_t off)
{
	unsigned long n = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			n++;
	return n;
}

int
hk_sshcfg_edit(const char *in, size_t inlen, const struct hk_sshcfg_host *h,
    char **outp, size_t *outlenp, struct hk_sshcfg_result *res)
{
	struct hk_buf *blk = NULL, *out = NULL;
	size_t bstart, bend, first, at, i;
	int r;

	*outp = NULL;
	*outlenp = 0;
	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if ((r = hk_sshcfg_host_check(h->host)) != 0)
		return r;
	if (h->port > 65535)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "port %u is not 1..65535", h->port);
	if ((r = scan(in, inlen, h->host, &bstart, &bend, &first, res)) != 0)
		return r;
	/* A new block goes before every Host line: none of them comes first. */
	for (i = 0; res != NULL && bstart == (size_t)-1 && i < res->nnotes; i++)
		if (res->notes[i].kind == HK_SSHCFG_NOTE_HOST_BEFORE)
			res->notes[i].kind = HK_SSHCFG_NOTE_HOST_AFTER;
	if ((blk = hk_buf_new()) == NULL || (out = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = make_block(h, blk)) != 0)
		goto out;
	if (bstart != (size_t)-1) {
		/* In place. */
		at = bstart;
		if ((r = hk_buf_put(out, in, bstart)) != 0 || (r = hk_buf_putb(out, blk)) != 0 ||
		    (r = hk_buf_put(out, in + bend, inlen - bend)) != 0)
			goto out;
	} else if (first != (size_t)-1) {
		/* Before the first block: after the global options, before any Host *. */
		at = first;
		if ((r = hk_buf_put(out, in, first)) != 0 || (r = hk_buf_putb(out, blk)) != 0 ||
		    (r = hk_buf_put(out, "\n", 1)) != 0 ||
		    (r = hk_buf_put(out, in + first, inlen - first)) != 0)
			goto out;
	} else {
		/* Appended, after a newline the last line may lack and one blank line. */
		if ((r = hk_buf_put(out, in, inlen)) != 0)
			goto out;
		if (inlen > 0 && in[inlen - 1] != '\n' && (r = hk_buf_put(out, "\n", 1)) != 0)
			goto out;
		if (inlen > 0 && (r = hk_buf_put(out, "\n", 1)) != 0)
			goto out;
		at = hk_buf_len(out);
		if ((r = hk_buf_putb(out, blk)) != 0)
			goto out;
	}
	if ((*outp = hk_buf_dup_string(out)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	*outlenp = hk_buf_len(out);
	if (res != NULL) {
		res->replaced = bstart != (size_t)-1;
		res->changed = *outlenp != inlen || memcmp(*outp, in, inlen) != 0;
		res->line = line_of(*outp, at);
	}
	r = 0;
 out:
	hk_buf_free(blk);
	hk_buf_free(out);
	return r;
}

/* Prefix the thread's detail (or the code's text) with path. */
static int
wrap(int r, const char *path)
{
	struct hk_error e;

	hk_error_take(&e, r);
	if (strncmp(e.message, path, strlen(path)) == 0)
		return hk_errf(r, "%s", e.message);
	return hk_errf(r, "%s: %s", path, e.message);
}

/* The directory of path (created 0700 when missing: ~/.ssh). */
static int
ensure_dir(const char *path)
{
	char dir[PATH_MAX], *slash;

	if (strlen(path) >= sizeof(dir))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "path too long: %s", path);
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return hk_errf(HK_ERR_IO, "%s: cannot create directory: %s", dir, strerror(errno));
	return 0;
}

int
hk_sshcfg_update(const char *path, const struct hk_sshcfg_host *h,
    struct hk_sshcfg_result *res, struct hk_error *err)
{
	char target[PATH_MAX], *in = NULL, *out = NULL;
	size_t inlen = 0, outlen = 0;
	struct stat st;
	int r;

	memset(res, 0, sizeof(*res));
	hk_error_clear(err);
	hk_err_clear();
	/* A symlink (a dotfiles manager's) is edited where it points. */
	if (realpath(path, target) == NULL) {
		if (errno != ENOENT) {
			r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (lstat(path, &st) == 0) {
			r = hk_errf(HK_ERR_IO, "%s: a symlink to a file that does not exist", path);
			goto out;
		}
		/* No config yet (and perhaps no ~/.ssh): a new file. */
		if (strlen(path) >= sizeof(target)) {
			r = hk_errf(HK_ERR_INVALID_ARGUMENT, "path too long: %s", path);
			goto out;
		}
		strcpy(target, path);
		if ((r = ensure_dir(target)) != 0)
			goto out;
	} else if ((r = hk_file_read(target, CFG_MAX, &in, &inlen)) != 0) {
		r = wrap(r, target);
		goto out;
	}
	if ((r = hk_sshcfg_edit(in != NULL ? in : "", inlen, h, &out, &outlen, res)) != 0) {
		r = wrap(r, target);
		goto out;
	}
	snprintf(res->path, sizeof(res->path), "%s", target);
	if (!res->changed)
		goto out;
	if (in != NULL) {
		snprintf(res->backup, sizeof(res->backup), "%s.hwkey-backup", target);
		if ((r = hk_file_write_atomic(res->backup, in, inlen, 0600)) != 0) {
			r = wrap(r, res->backup);
			goto out;
		}
	}
	if ((r = hk_file_write_atomic(target, out, outlen, 0600)) != 0) {
		r = wrap(r, target);
		goto out;
	}
 out:
	if (r != 0)
		hk_error_take(err, r);
	free(in);
	free(out);
	return r;
}

void
hk_sshcfg_entry_free(struct hk_sshcfg_entry *ent)
{
	if (ent == NULL)
		return;
	free(ent->host);
	free(ent->hostname);
	free(ent->user);
	free(ent->port);
	free(ent->pkcs11_provider);
	free(ent->identity_file);
	free(ent->sk_provider);
	free(ent->token);
	free(ent->module);
	free(ent->key);
	free(ent->sk_file);
	free(ent->sk_device);
	free(ent);
}

/* The value as hwkey wrote it: quotes removed, "%%" back to "%". */
static char *
unquote(const char *p, size_t len, int pct)
{
	char *s, *d;
	size_t i;

	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p++;
		len -= 2;
	}
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, d = s; i < len; i++) {
		*d++ = p[i];
		if (pct && p[i] == '%' && i + 1 < len && p[i + 1] == '%')
			i++;
	}
	*d = '\0';
	return s;
}

static int
set_field(char **fieldp, const char *p, size_t len, int pct)
{
	free(*fieldp);
	return (*fieldp = unquote(p, len, pct)) != NULL ? 0 : HK_ERR_ALLOC;
}

int
hk_sshcfg_lookup(const char *in, size_t inlen, const char *host,
    struct hk_sshcfg_entry **entp)
{
	static const struct {
		const char *kw;
		size_t off;
		int pct;
	} fields[] = {
		{ "hostname", offsetof(struct hk_sshcfg_entry, hostname), 0 },
		{ "user", offsetof(struct hk_sshcfg_entry, user), 0 },
		{ "port", offsetof(struct hk_sshcfg_entry, port), 0 },
		{ "pkcs11provider", offsetof(struct hk_sshcfg_entry, pkcs11_provider), 0 },
		{ "identityfile", offsetof(struct hk_sshcfg_entry, identity_file), 1 },
		{ "securitykeyprovider", offsetof(struct hk_sshcfg_entry, sk_provider), 0 },
	}, comments[] = {
		{ "# hwkey-token ", offsetof(struct hk_sshcfg_entry, token), 0 },
		{ "# hwkey-module ", offsetof(struct hk_sshcfg_entry, module), 0 },
		{ "# hwkey-key ", offsetof(struct hk_sshcfg_entry, key), 0 },
		{ "# hwkey-sk ", offsetof(struct hk_sshcfg_entry, sk_file), 0 },
		{ "# hwkey-sk-device ", offsetof(struct hk_sshcfg_entry, sk_device), 0 },
	};
	struct hk_sshcfg_entry *ent = NULL;
	struct line l;
	size_t off = 0, restlen, i, cl;
	unsigned long lineno = 0;
	const char *rest, *t;
	char kw[32];
	int inside = 0, r;

	*entp = NULL;
	if ((ent = calloc(1, sizeof(*ent))) == NULL || (ent->host = strdup(host)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	while (next_line(in, inlen, &off, &l)) {
		lineno++;
		if (!inside) {
			if (is_marker(&l, BEGIN_MARK, host)) {
				inside = 1;
				ent->line = lineno;
			}
			continue;
		}
		if (is_marker(&l, END_MARK, host)) {
			*entp = ent;
			return 0;
		}
		for (t = l.p; t < l.p + l.len && (*t == ' ' || *t == '\t'); t++)
			;
		for (i = 0; i < sizeof(comments) / sizeof(comments[0]); i++) {
			cl = strlen(comments[i].kw);
			if ((size_t)(l.p + l.len - t) > cl && memcmp(t, comments[i].kw, cl) == 0 &&
			    (r = set_field((char **)((char *)ent + comments[i].off), t + cl,
			    (size_t)(l.p + l.len - t) - cl, 0)) != 0)
				goto out;
		}
		if ((rest = line_keyword(&l, kw, sizeof(kw), &restlen)) == NULL)
			continue;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(kw, fields[i].kw) == 0 &&
			    (r = set_field((char **)((char *)ent + fields[i].off), rest, restlen,
			    fields[i].pct)) != 0)
				goto out;
	}
	r = inside ? hk_errf(HK_ERR_FORMAT_MALFORMED, "line %lu: hwkey block '%s' has no "
	    "'%s%s' line", ent->line, host, END_MARK, host) :
	    hk_errf(HK_ERR_NOT_FOUND, "no hwkey block for host '%s' (run hwkey ssh-config "
	    "%s first)", host, host);
 out:
	hk_sshcfg_entry_free(ent);
	return r;
}

int
hk_sshcfg_lookup_file(const char *path, const char *host, struct hk_sshcfg_entry **entp,
    struct hk_error *err)
{
	char *in = NULL;
	size_t inlen = 0;
	int r;

	*entp = NULL;
	hk_error_clear(err);
	hk_err_clear();
	if (access(path, F_OK) == -1 && errno == ENOENT)
		r = hk_errf(HK_ERR_NOT_FOUND, "%s does not exist: no host is configured "
		    "(run hwkey ssh-config %s first)", path, host);
	else if ((r = hk_file_read(path, CFG_MAX, &in, &inlen)) == 0 &&
	    (r = hk_sshcfg_lookup(in, inlen, host, entp)) != 0)
		r = wrap(r, path);
	else if (r != 0)
		r = wrap(r, path);
	if (r != 0)
		hk_error_take(err, r);
	free(in);
	return r;
}
