/* hwkey import's token source: the public key of a key on a PKCS#11 token. */
#ifndef HK_CLI_IMPORT_H
#define HK_CLI_IMPORT_H

#include <stddef.h>

#include "key.h"

/*
 * One key (*np = 1) selected by sel on the token named by uri; module NULL:
 * p11-kit's modules; pin NULL: no login (public keys are public objects).
 */
int hk_cli_import_token_key(const char *uri, const char *sel, const char *module,
    const char *pin, struct hk_key ***keysp, size_t *np);

#endif /* HK_CLI_IMPORT_H */
