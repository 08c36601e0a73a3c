/* hk_secret: memory for PINs, PUKs, management keys and cloud secrets, wiped
 * when freed; and reading one from a source (env:VAR, file:PATH, fd:N). */
#ifndef HK_SECRET_H
#define HK_SECRET_H

#include <stddef.h>

struct hk_secret;

/*
 * From the first secret on, the process is not dumpable and makes no core
 * file (prctl PR_SET_DUMPABLE 0, RLIMIT_CORE 0): a dump would hold the heap
 * copy. hk_secret_new calls it; front ends may call it earlier.
 */
void hk_secret_protect_process(void);
/* Wipe the value of environment variable name in place, then unset it. */
void hk_secret_wipe_env(const char *name);

/* A copy of len bytes (a NUL is kept after them). */
int hk_secret_new(const void *data, size_t len, struct hk_secret **secp);
void hk_secret_free(struct hk_secret *sec);	/* accepts NULL; wipes */
const char *hk_secret_str(const struct hk_secret *sec);	/* NUL-terminated */
size_t hk_secret_len(const struct hk_secret *sec);

/*
 * Read a secret from SRC: "env:VAR" (the value is wiped and the
 * variable unset afterwards, so neither a dump nor a child sees it), "file:PATH" (must not be readable by group or
 * others), "fd:N" (read to EOF or newline). A single trailing "\n" or "\r\n"
 * is removed. Never logs the value.
 */
int hk_secret_from_source(const char *src, struct hk_secret **secp);

/*
 * How the library asks for a secret without prompting itself: the CLI passes
 * a callback (terminal without echo, askpass, or a --pin SRC source). prompt
 * names what and where ("User PIN for token alice"). Returns 0 and a secret,
 * HK_ERR_CANCELLED, or another HK_ERR_*.
 */
typedef int hk_secret_cb(void *arg, const char *prompt, struct hk_secret **secp);

#endif /* HK_SECRET_H */
