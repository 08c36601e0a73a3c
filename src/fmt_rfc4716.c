/* RFC 4716 (SECSH) public keys: what PuTTYgen's "Save public key" and
 * ssh-keygen -e write. Parses both; writes PuTTYgen's exact layout. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "fmt_text.h"
#include "key.h"

#define RFC4716_BEGIN	"---- BEGIN SSH2 PUBLIC KEY ----"
#define RFC4716_END	"---- END SSH2 PUBLIC KEY ----"
#define RFC4716_WRAP	64	/* PuTTYgen's body width (ssh-keygen uses 70) */
#define RFC4716_TAG_MAX	64	/* RFC 4716 3.3 */

/*
 * A Comment value: RFC 4716 allows it quoted; PuTTYgen quotes it and escapes
 * '"' and '\' with a backslash, so undo exactly that. Empty means no comment.
 */
static int
comment_value(const char *v, size_t len, char **commentp)
{
	char *c;
	size_t i, o = 0;

	*commentp = NULL;
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (len == 0)
		return 0;
	if ((c = malloc(len + 1)) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len && (v[i + 1] == '"' || v[i + 1] == '\\'))
			i++;
		c[o++] = v[i];
	}
	c[o] = '\0';
	/* A NUL ends a C string: "\0..." is no comment, like an empty one. */
	if (c[0] == '\0') {
		free(c);
		return 0;
	}
	*commentp = c;
	return 0;
}

/*
 * One header, continuation lines already joined: "Tag: value". Only Comment
 * matters to a public key; x-command, Subject and private tags are ignored.
 */
static int
header(const char *h, size_t len, size_t lineno, char **commentp)
{
	const char *colon = memchr(h, ':', len);
	size_t tlen, voff;

	tlen = (size_t)(colon - h);
	if (tlen == 0 || tlen > RFC4716_TAG_MAX || memchr(h, ' ', tlen) != NULL)
		return hk_errf(HK_ERR_RFC4716, "block line %zu: bad header tag", lineno);
	voff = tlen + 1;
	while (voff < len && (h[voff] == ' ' || h[voff] == '\t'))
		voff++;
	if (tlen == 7 && strncasecmp(h, "Comment", 7) == 0) {
		free(*commentp);
		return comment_value(h + voff, len - voff, commentp);
	}
	return 0;
}

int
hk_fmt_rfc4716_parse(const char *block, size_t len, struct hk_key **keyp)
{
	struct hk_fmt_lines ls;
	struct hk_buf *hdr = NULL, *body = NULL, *blob = NULL;
	struct hk_key *key = NULL;
	const char *line;
	size_t llen, hdrline = 0;
	char *comment = NULL;
	int r, in_body = 0, continued = 0, ended = 0;

	*keyp = NULL;
	hk_fmt_lines_init(&ls, block, len);
	do {
		if (!hk_fmt_lines_next_trimmed(&ls, &line, &llen))
			return hk_errf(HK_ERR_RFC4716, "empty input");
	} while (llen == 0);
	if (!HK_FMT_LINE_IS(line, llen, RFC4716_BEGIN))
		return hk_errf(HK_ERR_RFC4716, "first line is not '%s'", RFC4716_BEGIN);
	if ((hdr = hk_buf_new()) == NULL || (body = hk_buf_new()) == NULL ||
	    (blob = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	while (hk_fmt_lines_next_trimmed(&ls, &line, &llen)) {
		if (ended) {
			if (llen != 0) {
				r = hk_errf(HK_ERR_RFC4716, "block line %zu: text after '%s'",
				    ls.n, RFC4716_END);
				goto out;
			}
			continue;
		}
		if (continued) {
			/* RFC 4716 3.3: a trailing '\' joins the next line. */
			continued = llen > 0 && line[llen - 1] == '\\';
			if ((r = hk_buf_put(hdr, line, llen - (continued ? 1 : 0))) != 0)
				goto out;
			if (!continued && (r = header((const char *)hk_buf_ptr(hdr),
			    hk_buf_len(hdr), hdrline, &comment)) != 0)
				goto out;
			continue;
		}
		if (HK_FMT_LINE_IS(line, llen, RFC4716_END)) {
			ended = 1;
			continue;
		}
		if (!in_body && memchr(line, ':', llen) != NULL) {
			hk_buf_reset(hdr);
			hdrline = ls.n;
			continued = line[llen - 1] == '\\';
			if ((r = hk_buf_put(hdr, line, llen - (continued ? 1 : 0))) != 0)
				goto out;
			if (!continued && (r = header(line, llen, hdrline, &comment)) != 0)
				goto out;
			continue;
		}
		if (memchr(line, ':', llen) != NULL || memchr(line, '-', llen) != NULL) {
			r = hk_errf(HK_ERR_RFC4716, "block line %zu: not base64 key data", ls.n);
			goto out;
		}
		in_body = 1;
		if ((r = hk_buf_put(body, line, llen)) != 0)
			goto out;
	}
	if (continued) {
		r = hk_errf(HK_ERR_RFC4716, "block line %zu: header continues past the end",
		    hdrline);
		goto out;
	}
	if (!ended) {
		r = hk_errf(HK_ERR_RFC4716, "no '%s' line", RFC4716_END);
		goto out;
	}
	if (hk_buf_len(body) == 0) {
		r = hk_errf(HK_ERR_RFC4716, "no key data");
		goto out;
	}
	if ((r = hk_b64_decode(blob, (const char *)hk_buf_ptr(body), hk_buf_len(body),
	    HK_B64_SKIP_SPACE)) != 0) {
		r = hk_errf(r, "key data is not valid base64");
		goto out;
	}
	if ((r = hk_key_from_blob(hk_buf_ptr(blob), hk_buf_len(blob), &key)) != 0)
		goto out;
	if (comment != NULL && (r = hk_key_set_comment(key, comment)) != 0)
		goto out;
	*keyp = key;
	key = NULL;
	r = 0;
out:
	hk_key_free(key);
	free(comment);
	hk_buf_free(hdr);
	hk_buf_free(body);
	hk_buf_free(blob);
	return r;
}

int
hk_fmt_rfc4716_write(const struct hk_key *key, struct hk_buf *out)
{
	const char *c = hk_key_comment(key);
	int r;

	if ((r = hk_buf_put(out, RFC4716_BEGIN "\n", sizeof(RFC4716_BEGIN))) != 0)
		return r;
	/* PuTTYgen: one header line however long, '"' and '\' escaped. */
	if (c != NULL) {
		if ((r = hk_buf_put(out, "Comment: \"", 10)) != 0)
			return r;
		for (; *c != '\0'; c++) {
			if ((*c == '"' || *c == '\\') &&
			    (r = hk_buf_put_u8(out, '\\')) != 0)
				return r;
			if ((r = hk_buf_put_u8(out, (uint8_t)*c)) != 0)
				return r;
		}
		if ((r = hk_buf_put(out, "\"\n", 2)) != 0)
			return r;
	}
	if ((r = hk_b64_encode(out, hk_key_blob_ptr(key), hk_key_blob_len(key),
	    RFC4716_WRAP)) != 0 ||
	    (r = hk_buf_put(out, "\n" RFC4716_END "\n", sizeof(RFC4716_END) + 1)) != 0)
		return r;
	return 0;
}
