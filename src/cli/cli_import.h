/* hwkey import's token source: the public key of a key on a PKCS#11 token. */
#ifndef HK_CLI_IMPORT_H
#define HK_CLI_IMPORT_H

#include <stddef.h>

#include "key.h"

/* One key (*np = 1) selected by sel on the token named by uri; module may be NULL. */
int hk_cli_import_token_key(const char *uri, const char *sel, const char *module,
    struct hk_key ***keysp, size_t *np);

#endif /* HK_CLI_IMPORT_H */
