/* Options and output shared by the cloud commands (hwkey import, hwkey cloud
 * VERB): provider, regions, endpoint, TLS, credentials profile, concurrency. */
#ifndef HK_CLI_CLOUD_H
#define HK_CLI_CLOUD_H

#include <jansson.h>

#include "cli.h"
#include "cloud.h"

struct hk_cli_cloud {
	struct hk_cloud_opts opts;
	const char *region;		/* --region spec */
	int json;
};

/*
 * Handle option idx if it is one of the shared cloud options: 1 handled,
 * 0 not a cloud option, HK_EXIT_USAGE after printing a usage error.
 */
int hk_cli_cloud_opt(const struct hk_cmd *cmd, int idx, const char *arg,
    struct hk_cli_cloud *cc);
/* Open the session and resolve --region; prints nothing. */
int hk_cli_cloud_open(struct hk_cli_cloud *cc, struct hk_cloud **cp, char ***regionsp,
    size_t *np);
/* "QuotaExceed.KeyPair: The key pair quota exceeds. [RequestId X]" */
void hk_cli_cloud_error_text(const struct hk_cloud_error *e, char *buf, size_t size);
json_t *hk_cli_cloud_error_json(const struct hk_cloud_error *e);
/*
 * Exit status for a batch: 0 when nothing failed, the failure's own status
 * when everything failed (the first failure is printed), HK_EXIT_PARTIAL when
 * some did and some did not.
 */
int hk_cli_cloud_batch_exit(const struct hk_cmd *cmd, size_t nfailed, size_t total,
    const struct hk_cloud_error *first, const char *first_where);

#endif /* HK_CLI_CLOUD_H */
