/* Options and output shared by the cloud commands (hwkey import, hwkey cloud
 * VERB): provider, regions, endpoint, TLS, concurrency, and the provider's
 * own settings (--profile, --signature) passed through to its registry row. */
#ifndef HK_CLI_CLOUD_H
#define HK_CLI_CLOUD_H

#include <jansson.h>

#include "cli.h"
#include "cloud.h"

#define HK_CLI_CLOUD_SETTINGS_MAX 8

/*
 * The option rows from --profile to --timeout (sorted by name) that every
 * cloud command listing key pairs takes; region_help says what --region
 * means to it, region_arg how it is written.
 */
#define HK_CLI_CLOUD_TAIL_OPTS(region_arg, region_help) \
	{ "profile", 0, 1, "NAME", "aliyun CLI profile in ~/.aliyun/config.json" }, \
	{ "rate", 0, 1, "N", "at most N requests per second (default 1000)" }, \
	{ "region", 'r', 1, region_arg, region_help }, \
	{ "retries", 0, 1, "N", "attempts per request (default 8)" }, \
	{ "signature", 0, 1, "v1|v3", "aliyun request signature" }, \
	{ "timeout", 0, 1, "SECONDS", "per request (default 30)" }

struct hk_cli_cloud {
	struct hk_cloud_opts opts;
	struct hk_cloud_setting settings[HK_CLI_CLOUD_SETTINGS_MAX];
	const char *region;		/* --region spec (or region_buf) */
	char region_buf[64];		/* the credentials' default region */
	int json;
	struct hk_ui ui;		/* cancelled() by SIGINT/SIGTERM once opened */
};

/*
 * Handle option idx if it is one of the shared cloud options or a provider
 * setting: 1 handled, 0 not a cloud option, HK_EXIT_USAGE after printing a
 * usage error.
 */
int hk_cli_cloud_opt(const struct hk_cmd *cmd, int idx, const char *arg,
    struct hk_cli_cloud *cc);
/*
 * Open the session (prints nothing); regionsp NULL: leave --region to the
 * operation. From here on SIGINT/SIGTERM cancel the session
 * (cli_interrupt.h): what ran is still reported, and the batch exits 16.
 */
int hk_cli_cloud_open(struct hk_cli_cloud *cc, struct hk_cloud **cp, char ***regionsp,
    size_t *np);
/* "QuotaExceed.KeyPair: The key pair quota exceeds. [RequestId X]" */
void hk_cli_cloud_error_text(const struct hk_error *e, char *buf, size_t size);
/* {"aliyun": fp}: a cloud's fingerprint under the key of its formula (hwkey-json.7). */
json_t *hk_cli_cloud_fingerprints(const char *provider, const char *fp);
/* "already present" -> "already_present": status words as --json identifiers. */
const char *hk_cli_cloud_status_id(const char *status, char *buf, size_t size);
/*
 * A whole cloud command failed (err just returned, or e): with --json the
 * {"error": {...}} document on stdout, always the text on stderr.
 */
int hk_cli_cloud_fail(const struct hk_cmd *cmd, const struct hk_cli_cloud *cc, int err,
    const struct hk_error *e);
/* A usage error after the options were read: with --json, also the error document. */
int hk_cli_cloud_usage(const struct hk_cmd *cmd, const struct hk_cli_cloud *cc,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The exit status of a batch, by hk_op_batch_outcome: 0 when nothing failed,
 * the failure's own status when everything failed, HK_EXIT_PARTIAL when some
 * did; the first failure (or the cancel) is printed.
 */
int hk_cli_cloud_outcome(const struct hk_cmd *cmd, const struct hk_cloud_summary *s);

#endif /* HK_CLI_CLOUD_H */
