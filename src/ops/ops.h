/* hk_op: the operations every front end calls (the CLI, the provisioning
 * engine, the station): a request, the UI callbacks, a result struct. What a
 * batch of items amounts to is decided here, once, for all of them. */
#ifndef HK_OPS_H
#define HK_OPS_H

#include <stddef.h>

#include "err.h"

/*
 * The outcome of a batch of nitems items of which nfailed failed (first: the
 * first failure, in item order). Fills *out and returns its code:
 *   none failed: 0;
 *   all failed: the first failure itself (its own exit status);
 *   some failed: HK_ERR_PARTIAL, "N of M failed; first: <where>: <message>";
 *   cancelled before every item ran (ncancelled > 0 and none failed otherwise):
 *   HK_ERR_INTERRUPTED, "cancelled: N of M done".
 */
int hk_op_batch_outcome(size_t nitems, size_t nfailed, size_t ncancelled,
    const struct hk_error *first, const char *first_where, struct hk_error *out);

#endif /* HK_OPS_H */
