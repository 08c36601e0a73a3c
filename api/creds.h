/* Cloud credentials: the building blocks of each provider's chain
 * (environment variables, a CLI's profile file that must be private to its
 * owner); never from argv. Secrets live in hk_secret. The chains themselves
 * are in the providers' rows (cloud_<provider>.c). */
#ifndef HK_CREDS_H
#define HK_CREDS_H

#include <stddef.h>

#include "secret.h"

struct hk_creds {
	char *access_key_id;		/* not secret, but not printed either */
	struct hk_secret *secret;	/* AccessKeySecret / SK */
	struct hk_secret *token;	/* STS security token, or NULL */
	char *project_id;		/* Huawei: HUAWEICLOUD_SDK_PROJECT_ID, or NULL */
	char *source;			/* where they came from, for messages */
	char *region;			/* the source's default region, or NULL */
};

/* The environment variables of one cloud (token and project may be NULL). */
struct hk_creds_env {
	const char *id;
	const char *secret;
	const char *token;
	const char *project;
};
/*
 * From the environment: 0; HK_ERR_NOT_FOUND when neither the id nor the
 * secret is set; HK_ERR_CREDENTIALS when only one of them is.
 */
int hk_creds_from_env(const struct hk_creds_env *vars, struct hk_creds **credsp);
/*
 * Copies of id, secret and token (NULL or "": none); source says where
 * they came from.
 */
int hk_creds_new(const char *id, const char *secret, const char *token,
    const char *source, struct hk_creds **credsp);
/*
 * A credentials file that only its owner may read, NUL-terminated (wipe it
 * with hk_freezero): HK_ERR_NOT_FOUND when absent, HK_ERR_CREDENTIALS_UNSAFE
 * when group or others may read it (the detail says how to fix it).
 */
int hk_creds_read_private(const char *path, char **datap, size_t *lenp);
void hk_creds_free(struct hk_creds *creds);	/* accepts NULL; wipes */

#endif /* HK_CREDS_H */
