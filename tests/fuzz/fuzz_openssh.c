/* Fuzz target: one OpenSSH / authorized_keys line (hk_fmt_openssh_parse). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_key *k = NULL, *again = NULL;
	char *opts = NULL, *out = NULL;

	if (hk_fmt_openssh_parse((const char *)data, size, &k, &opts) != 0) {
		if (k != NULL || opts != NULL)
			__builtin_trap();
		return 0;
	}
	/* What parses writes back to a line that parses to the same key. */
	if (hk_key_write(k, HK_FMT_OPENSSH, &out) != 0)
		__builtin_trap();
	if (hk_fmt_openssh_parse(out, strlen(out), &again, NULL) != 0 ||
	    !hk_key_equal(k, again))
		__builtin_trap();
	free(out);
	free(opts);
	hk_key_free(again);
	hk_key_free(k);
	return 0;
}
