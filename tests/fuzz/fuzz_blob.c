/* Fuzz target: SSH public key blobs (hk_key_from_blob), the core of every format. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_key *k = NULL, *d = NULL;
	char *fp = NULL, *art = NULL;
	enum hk_fp h;

	if (hk_key_from_blob(data, size, &k) != 0) {
		if (k != NULL)
			__builtin_trap();	/* out-param set on failure */
		return 0;
	}
	/*
	 * An accepted blob is canonical: kept byte for byte, except RSA and DSA
	 * mpints with needless zeros, re-encoded once and then stable.
	 */
	if (hk_key_blob_len(k) != size || memcmp(hk_key_blob_ptr(k), data, size) != 0) {
		if (hk_key_type(k) != HK_KEY_RSA && hk_key_type(k) != HK_KEY_DSA)
			__builtin_trap();
		if (hk_key_from_blob(hk_key_blob_ptr(k), hk_key_blob_len(k), &d) != 0 ||
		    hk_key_blob_len(d) != hk_key_blob_len(k))
			__builtin_trap();
		hk_key_free(d);
		d = NULL;
	}
	if (hk_key_dup(k, &d) != 0 || !hk_key_equal(k, d))
		__builtin_trap();
	for (h = HK_FP_SHA256; h <= HK_FP_AWS; h++) {
		if (hk_key_fingerprint(k, h, &fp) == 0 && fp == NULL)
			__builtin_trap();
		free(fp);
		fp = NULL;
	}
	if (hk_key_randomart(k, HK_FP_SHA256, &art) != 0 || strlen(art) != 11 * 20 - 1)
		__builtin_trap();
	free(art);
	hk_key_free(d);
	hk_key_free(k);
	return 0;
}
