/* The CLI's secret entry: a --pin SRC source, else the terminal without echo,
 * else an askpass program (SSH_ASKPASS conventions). Implements hk_secret_cb. */
#ifndef HK_CLI_SECRET_H
#define HK_CLI_SECRET_H

#include "secret.h"

struct hk_cli_secret {
	const char *source;	/* "env:VAR", "file:PATH", "fd:N", or NULL to ask */
	int used;		/* a source is read once; a second ask is an error */
};

/* hk_secret_cb over a struct hk_cli_secret *arg. */
int hk_cli_secret_ask(void *arg, const char *prompt, struct hk_secret **secp);

#endif /* HK_CLI_SECRET_H */
