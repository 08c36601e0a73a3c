/* Fuzz target: an OpenSSH key-handle file (hk_sk_file_parse) and an
 * ssh-sk-attest blob (hk_sk_attest_parse); the first byte picks which. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fmt.h"
#include "key.h"
#include "skfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sk_file_one(const uint8_t *data, size_t size)
{
	struct hk_sk_file *sk = NULL, *again = NULL;
	struct hk_buf *b;
	char *text;

	if (hk_sk_file_parse((const char *)data, size, &sk) != 0) {
		if (sk != NULL)
			__builtin_trap();
		return;
	}
	/* What parses writes back to a file that parses to the same fields. */
	if ((b = hk_buf_new()) == NULL)
		__builtin_trap();
	if (hk_fmt_sk_write(sk->key, sk->flags, sk->key_handle, sk->key_handle_len,
	    NULL, 0x11223344, b) != 0 || (text = hk_buf_dup_string(b)) == NULL)
		__builtin_trap();
	if (hk_sk_file_parse(text, strlen(text), &again) != 0 ||
	    !hk_key_equal(sk->key, again->key) || again->flags != sk->flags ||
	    again->key_handle_len != sk->key_handle_len ||
	    memcmp(again->key_handle, sk->key_handle, sk->key_handle_len) != 0)
		__builtin_trap();
	free(text);
	hk_buf_free(b);
	hk_sk_file_free(again);
	hk_sk_file_free(sk);
}

static void
sk_attest_one(const uint8_t *data, size_t size)
{
	struct hk_sk_attest *at = NULL, *again = NULL;
	uint8_t *blob;
	size_t len;

	if (hk_sk_attest_parse(data, size, &at) != 0) {
		if (at != NULL)
			__builtin_trap();
		return;
	}
	if (at->version == 1) {
		if (hk_sk_attest_write(at->cert, at->cert_len, at->signature,
		    at->signature_len, at->authdata, at->authdata_len, &blob, &len) != 0 ||
		    hk_sk_attest_parse(blob, len, &again) != 0 ||
		    again->cert_len != at->cert_len || again->authdata_len != at->authdata_len)
			__builtin_trap();
		free(blob);
		hk_sk_attest_free(again);
	}
	hk_sk_attest_free(at);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		sk_attest_one(data + 1, size - 1);
	else
		sk_file_one(data + 1, size - 1);
	return 0;
}
