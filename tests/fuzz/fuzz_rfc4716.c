/* Fuzz target: the RFC 4716 parser (PuTTYgen and ssh-keygen -e public keys). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fmt.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_key *k = NULL, *back = NULL;
	struct hk_buf *out = NULL;
	const char *c1, *c2;

	if (hk_fmt_rfc4716_parse((const char *)data, size, &k) != 0)
		return 0;
	/* What parses must write and parse back to the same key and comment. */
	if ((out = hk_buf_new()) == NULL || hk_fmt_rfc4716_write(k, out) != 0 ||
	    hk_fmt_rfc4716_parse((const char *)hk_buf_ptr(out), hk_buf_len(out),
	    &back) != 0 || !hk_key_equal(k, back))
		__builtin_trap();
	c1 = hk_key_comment(k);
	c2 = hk_key_comment(back);
	if ((c1 == NULL) != (c2 == NULL) || (c1 != NULL && strcmp(c1, c2) != 0))
		__builtin_trap();
	hk_buf_free(out);
	hk_key_free(back);
	hk_key_free(k);
	return 0;
}
