/* hwkey import TOKEN --key K: the public key of a key on a PKCS#11 token,
 * through the token API (never the private key: it cannot leave the token). */
#include <stdlib.h>
#include <string.h>

#include "cli_import.h"
#include "cli_token.h"
#include "err.h"

int
hk_cli_import_token_key(const char *uri, const char *sel, const char *module,
    const char *pin, struct hk_key ***keysp, size_t *np)
{
	struct hk_cli_token ct;
	struct hk_token_key *k = NULL;
	struct hk_key **v = NULL;
	int r;

	*keysp = NULL;
	*np = 0;
	memset(&ct, 0, sizeof(ct));
	if ((r = hk_cli_token_open(&ct, module, uri, pin, NULL, NULL)) != 0 ||
	    (r = hk_token_key_find(ct.tok, sel, pin != NULL, &k)) != 0)
		goto out;
	if (k->key == NULL) {
		r = hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "key %s on %s: %s", k->id_hex, uri,
		    k->error != NULL ? k->error : "public key unreadable");
		goto out;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_key_dup(k->key, &v[0])) != 0)
		goto out;
	*keysp = v;
	*np = 1;
	v = NULL;
 out:
	free(v);
	hk_token_key_free(k);
	hk_cli_token_close(&ct);
	return r;
}
