/* Cloud credentials from each cloud's standard chain (environment, then the
 * vendor CLI's profile file); never from argv. Secrets live in hk_secret. */
#ifndef HK_CREDS_H
#define HK_CREDS_H

#include "secret.h"

struct hk_creds {
	char *access_key_id;		/* not secret, but not printed either */
	struct hk_secret *secret;	/* AccessKeySecret / SK */
	struct hk_secret *token;	/* STS security token, or NULL */
	char *project_id;		/* Huawei: HUAWEICLOUD_SDK_PROJECT_ID, or NULL */
	char *source;			/* where they came from, for messages */
};

/*
 * provider "aliyun": ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (+ _SECURITY_TOKEN),
 * else the aliyun CLI's ~/.aliyun/config.json (profile, or its "current"
 * one; modes AK and StsToken). With a profile name the file is the only
 * source. provider "huawei": HUAWEICLOUD_SDK_AK / _SK (+ _PROJECT_ID,
 * _SECURITY_TOKEN). HK_ERR_CREDENTIALS when nothing is found,
 * HK_ERR_CREDENTIALS_UNSAFE for a file readable by group or others.
 */
int hk_creds_load(const char *provider, const char *profile, struct hk_creds **credsp);
/* The aliyun CLI config file at path (exposed for tests). */
int hk_creds_aliyun_file(const char *path, const char *profile, struct hk_creds **credsp);
void hk_creds_free(struct hk_creds *creds);	/* accepts NULL; wipes */

#endif /* HK_CREDS_H */
