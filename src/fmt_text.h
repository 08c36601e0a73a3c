/* Line scanning shared by the block-format codecs (RFC 4716, PEM, PPK): lines
 * end in "\n" or "\r\n", a UTF-8 byte-order mark may open the text. */
#ifndef HK_FMT_TEXT_H
#define HK_FMT_TEXT_H

#include <stddef.h>
#include <string.h>

struct hk_fmt_lines {
	const char *p;		/* next unread byte */
	const char *end;
	size_t n;		/* lines returned so far (1-based number of the last) */
};

static inline void
hk_fmt_lines_init(struct hk_fmt_lines *ls, const char *text, size_t len)
{
	/* Windows editors save a BOM; it is not part of the first line. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	ls->p = text;
	ls->end = text + len;
	ls->n = 0;
}

/* Next line without its "\n" or "\r\n"; 0 at the end of text. */
static inline int
hk_fmt_lines_next(struct hk_fmt_lines *ls, const char **linep, size_t *lenp)
{
	const char *s = ls->p, *nl;
	size_t len;

	if (s >= ls->end)
		return 0;
	if ((nl = memchr(s, '\n', (size_t)(ls->end - s))) == NULL)
		nl = ls->end;
	ls->p = nl < ls->end ? nl + 1 : nl;
	len = (size_t)(nl - s);
	if (len > 0 && s[len - 1] == '\r')
		len--;
	ls->n++;
	*linep = s;
	*lenp = len;
	return 1;
}

/* Drop trailing blanks: markers and base64 lines are compared without them. */
static inline size_t
hk_fmt_rtrim(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	    line[len - 1] == '\r'))
		len--;
	return len;
}

/* The next line with trailing blanks dropped. */
static inline int
hk_fmt_lines_next_trimmed(struct hk_fmt_lines *ls, const char **linep, size_t *lenp)
{
	if (!hk_fmt_lines_next(ls, linep, lenp))
		return 0;
	*lenp = hk_fmt_rtrim(*linep, *lenp);
	return 1;
}

/* 1 when the line is exactly lit (a string literal). */
#define HK_FMT_LINE_IS(line, len, lit) \
	((len) == sizeof(lit) - 1 && memcmp((line), (lit), sizeof(lit) - 1) == 0)

#endif /* HK_FMT_TEXT_H */
