/* Token operations the other operations build on: the public half of a key
 * on a token (never the private half: it cannot leave the token). */
#ifndef HK_OPS_TOKEN_H
#define HK_OPS_TOKEN_H

#include "err.h"
#include "key.h"
#include "ui.h"

/*
 * The public key of the one key selected by sel (id, label or URI; see
 * hk_token_key_find) on the token named by uri. module NULL: p11-kit's
 * modules. login: also look at private objects (asks through ui). On
 * failure returns the code and fills *err (token and message).
 */
int hk_op_token_pubkey(const char *module, const char *uri, const char *sel,
    int login, const struct hk_ui *ui, struct hk_key **keyp, struct hk_error *err);

#endif /* HK_OPS_TOKEN_H */
