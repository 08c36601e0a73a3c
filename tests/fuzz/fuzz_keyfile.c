/* Fuzz target: whole key files in any mix of formats (hk_keyfile_parse). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
entry_cb(const struct hk_key_entry *e, void *arg)
{
	size_t *last = arg;
	char fp[HK_FP_MAX];

	/* Entries come in file order, each with a key or an error and reason. */
	if (e->line == 0 || e->line < *last)
		__builtin_trap();
	*last = e->line;
	if ((e->err == 0) != (e->key != NULL) || (e->err != 0 && e->reason == NULL))
		__builtin_trap();
	if (e->key != NULL)
		(void)hk_key_fingerprint_buf(e->key, HK_FP_SHA256, fp, sizeof(fp));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_key *k = NULL;
	size_t last = 0;

	if (hk_keyfile_parse((const char *)data, size, entry_cb, &last) != 0)
		__builtin_trap();
	if (hk_key_parse((const char *)data, size, &k) == 0 && k == NULL)
		__builtin_trap();
	hk_key_free(k);
	return 0;
}
