/* Fuzz target: percent-decoding of query strings and form bodies (what
 * hwkey-cloudsim does to every request) and the canonical query of the signers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *amp, *eq;
	struct hk_param p[MAXP];
	struct hk_buf *b = NULL;
	char *dec = NULL, *again = NULL, *cq = NULL, *enc;
	size_t n = 0, i;
	int flags;

	if (size == 0)
		return 0;
	flags = (data[0] & 1) ? HK_URLDEC_FORM : 0;
	/* Whatever decodes must survive an encode/decode round trip. */
	if (hk_urldec(s + 1, size - 1, flags, &dec) == 0) {
		if ((b = hk_buf_new()) == NULL || hk_urlenc(b, dec, strlen(dec)) != 0)
			goto out;
		enc = hk_buf_dup_string(b);
		if (enc == NULL)
			goto out;
		if (hk_urldec(enc, strlen(enc), 0, &again) != 0 || strcmp(again, dec) != 0)
			__builtin_trap();
		free(enc);
	}
	/* As a query: split, decode each part, canonicalise. */
	for (s = s + 1; s < end && n < MAXP; s = amp + 1) {
		if ((amp = memchr(s, '&', (size_t)(end - s))) == NULL)
			amp = end;
		if ((eq = memchr(s, '=', (size_t)(amp - s))) == NULL)
			eq = amp;
		if (hk_urldec(s, (size_t)(eq - s), flags, (char **)&p[n].name) != 0)
			break;
		if (hk_urldec(eq < amp ? eq + 1 : eq, eq < amp ? (size_t)(amp - eq - 1) : 0,
		    flags, (char **)&p[n].value) != 0) {
			free((char *)p[n].name);
			break;
		}
		n++;
		if (amp == end)
			break;
	}
	if (hk_sign_canonical_query(p, n, &cq) == 0 && n == 0 && *cq != '\0')
		__builtin_trap();
	for (i = 0; i < n; i++) {
		free((char *)p[i].name);
		free((char *)p[i].value);
	}
 out:
	free(cq);
	free(dec);
	free(again);
	hk_buf_free(b);
	return 0;
}
