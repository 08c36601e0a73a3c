/* hwkey import TOKEN --key K: fetch the public key from the token. */
#include <stdlib.h>

#include "cli_import.h"
#include "err.h"

int
hk_cli_import_token_key(const char *uri, const char *sel, const char *module,
    const char *pin, struct hk_key ***keysp, size_t *np)
{
	(void)sel;
	(void)module;
	(void)pin;
	*keysp = NULL;
	*np = 0;
	return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: token keys are not available in this build",
	    uri);
}
