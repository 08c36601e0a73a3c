/* PuTTY private key files (PuTTY-User-Key-File-2 and -3): only the public
 * part is read. The private lines are never decoded, so no passphrase is needed. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "fmt_text.h"
#include "key.h"

#define PPK_MAGIC	"PuTTY-User-Key-File-"
#define PPK_ALG_MAX	64
/* A 16384-bit RSA blob is ~2 KB, 44 lines of 64: leave room, refuse absurd counts. */
#define PPK_PUBLIC_LINES_MAX	1024

/* "Name: value": 1 with the value, else 0. */
static int
ppk_header(const char *line, size_t len, const char *name, const char **valp,
    size_t *vlenp)
{
	size_t nlen = strlen(name);

	if (len < nlen + 2 || memcmp(line, name, nlen) != 0 || line[nlen] != ':' ||
	    line[nlen + 1] != ' ')
		return 0;
	*valp = line + nlen + 2;
	*vlenp = len - nlen - 2;
	return 1;
}

static int
is_header_line(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);

	return colon != NULL && colon > line && (size_t)(colon - line) + 1 < len &&
	    colon[1] == ' ';
}

static int
parse_count(const char *v, size_t len, size_t *np)
{
	size_t i, n = 0;

	if (len == 0 || len > 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (size_t)(v[i] - '0');
	}
	*np = n;
	return 0;
}

int
hk_fmt_ppk_parse(const char *block, size_t len, struct hk_key **keyp)
{
	struct hk_fmt_lines ls;
	struct hk_buf *body = NULL, *blob = NULL;
	struct hk_key *key = NULL;
	const char *line, *v;
	char alg[PPK_ALG_MAX + 1], *comment = NULL;
	size_t llen, vlen, nlines = 0, i;
	int r, have_lines = 0;

	*keyp = NULL;
	hk_fmt_lines_init(&ls, block, len);
	do {
		if (!hk_fmt_lines_next_trimmed(&ls, &line, &llen))
			return hk_errf(HK_ERR_PPK, "empty input");
	} while (llen == 0);
	if (llen < sizeof(PPK_MAGIC) + 2 ||
	    memcmp(line, PPK_MAGIC, sizeof(PPK_MAGIC) - 1) != 0)
		return hk_errf(HK_ERR_PPK, "first line is not '" PPK_MAGIC "N: type'");
	if ((line[sizeof(PPK_MAGIC) - 1] != '2' && line[sizeof(PPK_MAGIC) - 1] != '3') ||
	    !ppk_header(line + sizeof(PPK_MAGIC), llen - sizeof(PPK_MAGIC), "", &v, &vlen))
		return hk_errf(HK_ERR_PPK, "block line %zu: only PPK versions 2 and 3 are known",
		    ls.n);
	if (vlen == 0 || vlen > PPK_ALG_MAX)
		return hk_errf(HK_ERR_PPK, "block line %zu: bad key type", ls.n);
	memcpy(alg, v, vlen);
	alg[vlen] = '\0';

	/* Encryption, Comment, then Public-Lines; anything else is skipped. */
	while (!have_lines && hk_fmt_lines_next(&ls, &line, &llen)) {
		if (ppk_header(line, llen, "Comment", &v, &vlen)) {
			free(comment);
			comment = NULL;
			if (vlen > 0 && (comment = strndup(v, vlen)) == NULL) {
				r = HK_ERR_ALLOC;
				goto out;
			}
			if (comment != NULL && comment[0] == '\0') {
				free(comment);
				comment = NULL;
			}
			continue;
		}
		/* Only the comment keeps its trailing blanks, as PuTTYgen does. */
		llen = hk_fmt_rtrim(line, llen);
		if (ppk_header(line, llen, "Public-Lines", &v, &vlen)) {
			if (parse_count(v, vlen, &nlines) != 0 || nlines == 0 ||
			    nlines > PPK_PUBLIC_LINES_MAX) {
				r = hk_errf(HK_ERR_PPK, "block line %zu: bad Public-Lines count",
				    ls.n);
				goto out;
			}
			have_lines = 1;
		} else if (!is_header_line(line, llen)) {
			r = hk_errf(HK_ERR_PPK, "block line %zu: expected a 'Name: value' header",
			    ls.n);
			goto out;
		}
	}
	if (!have_lines) {
		r = hk_errf(HK_ERR_PPK, "no Public-Lines header");
		goto out;
	}
	if ((body = hk_buf_new()) == NULL || (blob = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < nlines; i++) {
		if (!hk_fmt_lines_next_trimmed(&ls, &line, &llen)) {
			r = hk_errf(HK_ERR_PPK, "Public-Lines is %zu but only %zu lines follow",
			    nlines, i);
			goto out;
		}
		if (llen == 0 || is_header_line(line, llen)) {
			r = hk_errf(HK_ERR_PPK,
			    "block line %zu: Public-Lines is %zu but only %zu lines of key data follow",
			    ls.n, nlines, i);
			goto out;
		}
		if ((r = hk_buf_put(body, line, llen)) != 0)
			goto out;
	}
	/* The private part (or the end) must follow, not more key data. */
	if (hk_fmt_lines_next_trimmed(&ls, &line, &llen) && !is_header_line(line, llen)) {
		r = hk_errf(HK_ERR_PPK,
		    "block line %zu: more key data than Public-Lines (%zu) says", ls.n, nlines);
		goto out;
	}
	if ((r = hk_b64_decode(blob, (const char *)hk_buf_ptr(body), hk_buf_len(body),
	    0)) != 0) {
		r = hk_errf(r, "public key data is not valid base64");
		goto out;
	}
	if ((r = hk_key_from_blob(hk_buf_ptr(blob), hk_buf_len(blob), &key)) != 0)
		goto out;
	if (strcmp(alg, hk_key_type_name(key)) != 0) {
		r = hk_errf(HK_ERR_KEY_TYPE_MISMATCH, "header says %s but the key is %s",
		    alg, hk_key_type_name(key));
		goto out;
	}
	if (comment != NULL && (r = hk_key_set_comment(key, comment)) != 0)
		goto out;
	*keyp = key;
	key = NULL;
	r = 0;
out:
	hk_key_free(key);
	free(comment);
	hk_buf_free(body);
	hk_buf_free(blob);
	return r;
}
