/* hwkey-cloudsim: UTF-8 checks for what clients send (names, keys, tags) and
 * scrubbing of error messages, so every answer is valid JSON and XML. */
#include <stdint.h>
#include <string.h>

#include "sim.h"

size_t
sim_utf8_next(const char *s, size_t len, uint32_t *cpp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp, min;
	size_t n, i;

	*cpp = 0;
	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*cpp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, cp = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, cp = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	} else
		return 0;	/* continuation byte, 0xc0/0xc1 or 0xf5..0xff */
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and anything past U+10FFFF (RFC 3629). */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	*cpp = cp;
	return n;
}

int
sim_text_valid(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	while (len > 0) {
		if ((n = sim_utf8_next(s, len, &cp)) == 0)
			return 0;
		/* C0 controls but tab, DEL and the C1 controls. */
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp < 0xa0))
			return 0;
		s += n;
		len -= n;
	}
	return 1;
}

void
sim_text_scrub(char *s)
{
	size_t len = strlen(s), n;
	uint32_t cp;

	while (len > 0) {
		n = sim_utf8_next(s, len, &cp);
		if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f) {
			*s = '?';
			n = 1;
		}
		s += n;
		len -= n;
	}
}
