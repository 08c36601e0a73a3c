/* Fuzz target: the PEM parser (SPKI, PKCS#1, X.509 through OpenSSL). */
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
	enum hk_fmt fmt, fmt2;

	if (hk_fmt_pem_parse((const char *)data, size, &fmt, &k) != 0)
		return 0;
	/* Any key read must write as SPKI and read back unchanged. */
	if ((out = hk_buf_new()) == NULL || hk_fmt_pem_write(k, HK_FMT_PEM, out) != 0 ||
	    hk_fmt_pem_parse((const char *)hk_buf_ptr(out), hk_buf_len(out), &fmt2,
	    &back) != 0 || fmt2 != HK_FMT_PEM || !hk_key_equal(k, back))
		__builtin_trap();
	if (fmt != HK_FMT_PEM && fmt != HK_FMT_PKCS1 && fmt != HK_FMT_X509)
		__builtin_trap();
	hk_buf_free(out);
	hk_key_free(back);
	hk_key_free(k);
	return 0;
}
