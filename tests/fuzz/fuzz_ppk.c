/* Fuzz target: the PuTTY key file parser (public part of PPK v2 and v3). */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fmt.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_key *k = NULL, *back = NULL;
	struct hk_buf *out = NULL;

	if (hk_fmt_ppk_parse((const char *)data, size, &k) != 0)
		return 0;
	/* The key read must survive the RFC 4716 codec unchanged. */
	if ((out = hk_buf_new()) == NULL || hk_fmt_rfc4716_write(k, out) != 0 ||
	    hk_fmt_rfc4716_parse((const char *)hk_buf_ptr(out), hk_buf_len(out),
	    &back) != 0 || !hk_key_equal(k, back))
		__builtin_trap();
	hk_buf_free(out);
	hk_key_free(back);
	hk_key_free(k);
	return 0;
}
