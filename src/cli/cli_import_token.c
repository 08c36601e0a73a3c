/* hwkey import TOKEN --key K: the public key of a key on a token, through
 * the token operation (never the private key: it cannot leave the token). */
#include <stdlib.h>
#include <string.h>

#include "cli_import.h"
#include "cli_secret.h"
#include "err.h"
#include "ops_token.h"

int
hk_cli_import_token_key(const char *uri, const char *sel, const char *module,
    const char *pin, struct hk_key ***keysp, size_t *np)
{
	struct hk_cli_ui cu;
	struct hk_error err;
	struct hk_key **v;
	int r;

	*keysp = NULL;
	*np = 0;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return HK_ERR_ALLOC;
	hk_cli_ui_init(&cu, pin, NULL, NULL);
	if ((r = hk_op_token_pubkey(module, uri, sel, pin != NULL, &cu.ui, &v[0],
	    &err)) != 0) {
		free(v);
		return hk_error_raise(&err);
	}
	*keysp = v;
	*np = 1;
	return 0;
}
