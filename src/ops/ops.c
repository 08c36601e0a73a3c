/* What a batch amounts to: one rule for every operation over many items. */
#include <stdio.h>

#include "ops.h"

int
hk_op_batch_outcome(size_t nitems, size_t nfailed, size_t ncancelled,
    const struct hk_error *first, const char *first_where, struct hk_error *out)
{
	const char *where = first_where != NULL ? first_where : "";

	hk_error_clear(out);
	if (nfailed == 0 && ncancelled == 0)
		return 0;
	if (nfailed == 0)
		return hk_error_set(out, HK_ERR_INTERRUPTED, "cancelled: %zu of %zu done",
		    nitems - ncancelled, nitems);
	if (nfailed == nitems) {
		hk_error_copy(out, first);
		if (*where != '\0')
			snprintf(out->message, sizeof(out->message), "%s: %s", where,
			    hk_error_message(first));
		return out->code;
	}
	return hk_error_set(out, HK_ERR_PARTIAL, "%zu of %zu failed%s; first: %s%s%s",
	    nfailed, nitems, ncancelled > 0 ? " (some cancelled)" : "", where,
	    *where != '\0' ? ": " : "", hk_error_message(first));
}
