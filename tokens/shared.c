/* libhwkey-tokens.so: the core and the token layer as one shared object,
 * which the OpenSSH SecurityKeyProvider middleware builds on. It carries no
 * cloud, JSON or database code: ssh-agent loads it. */
#include "token.h"

/* The ABI version of this shared object, bumped on incompatible changes. */
int hk_tokens_abi_version(void);

int
hk_tokens_abi_version(void)
{
	return 1;
}
