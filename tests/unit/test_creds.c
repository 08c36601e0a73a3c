/* Unit tests for the credential chains of the providers' registry rows:
 * environment first, the aliyun CLI's config.json (profiles, modes), unsafe
 * file modes refused, secrets wiped, a setting a provider does not take. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cloud_int.h"
#include "creds.h"
#include "err.h"

static char home[256];
/* The error of the last load, taken as a result would take it. */
static struct hk_error last;

/*
 * What hk_cloud_open does before any request: the row's check of the
 * "profile" setting, then the row's credential chain.
 */
static int
load(const char *provider, const char *profile, struct hk_creds **credsp)
{
	const struct hk_cloud_provider *row = hk_cloud_provider_find(provider);
	struct hk_cloud_setting set = { "profile", profile };
	struct hk_cloud_settings s = { &set, profile != NULL ? 1 : 0 };
	int r;

	*credsp = NULL;
	assert_non_null(row);
	if (profile == NULL || (r = hk_cloud_setting_check_row(row, "profile", profile)) == 0)
		r = row->creds_load(&s, credsp);
	return hk_error_take(&last, r);
}

static void
clear_env(void)
{
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN");
	unsetenv("HUAWEICLOUD_SDK_AK");
	unsetenv("HUAWEICLOUD_SDK_SK");
	unsetenv("HUAWEICLOUD_SDK_PROJECT_ID");
	unsetenv("HUAWEICLOUD_SDK_SECURITY_TOKEN");
}

static const char config[] =
    "{\"current\":\"work\",\"profiles\":["
    "{\"name\":\"default\",\"mode\":\"AK\",\"access_key_id\":\"LTAIdefault\","
    "\"access_key_secret\":\"secret-default\",\"region_id\":\"cn-hangzhou\"},"
    "{\"name\":\"work\",\"mode\":\"AK\",\"access_key_id\":\"LTAIwork\","
    "\"access_key_secret\":\"secret-work\"},"
    "{\"name\":\"sts\",\"mode\":\"StsToken\",\"access_key_id\":\"STS.id\","
    "\"access_key_secret\":\"secret-sts\",\"sts_token\":\"tok-sts\"},"
    "{\"name\":\"ram\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"x\","
    "\"access_key_secret\":\"y\"},"
    "{\"name\":\"empty\",\"mode\":\"AK\"}"
    "],\"meta_path\":\"\"}";

static void
write_config(const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.aliyun", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.aliyun/config.json", home);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(home, sizeof(home), "%s/hk-creds-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("HOME", home, 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_env_first(void **state)
{
	struct hk_creds *c = NULL;

	(void)state;
	clear_env();
	write_config(config, 0600);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-env", 1);
	assert_int_equal(load("aliyun", NULL, &c), 0);
	assert_string_equal(c->access_key_id, "LTAIenv");
	assert_string_equal(hk_secret_str(c->secret), "secret-env");
	assert_null(c->token);
	assert_string_equal(c->source, "the environment (ALIBABA_CLOUD_ACCESS_KEY_ID)");
	assert_null(getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
	hk_creds_free(c);
	/* An explicit profile reads only the file. */
	assert_int_equal(load("aliyun", "default", &c), 0);
	assert_string_equal(c->access_key_id, "LTAIdefault");
	assert_non_null(strstr(c->source, "profile default"));
	hk_creds_free(c);
	/* Half of a pair is an error, not a silent fall-through. */
	assert_int_equal(load("aliyun", NULL, &c), HK_ERR_CREDENTIALS);
	assert_null(c);
	clear_env();
}

static void
test_config_profiles(void **state)
{
	struct hk_creds *c = NULL;

	(void)state;
	clear_env();
	write_config(config, 0600);
	/* Without a profile: the file's current one. */
	assert_int_equal(load("aliyun", NULL, &c), 0);
	assert_string_equal(c->access_key_id, "LTAIwork");
	assert_string_equal(hk_secret_str(c->secret), "secret-work");
	hk_creds_free(c);
	assert_int_equal(load("aliyun", "sts", &c), 0);
	assert_string_equal(hk_secret_str(c->token), "tok-sts");
	hk_creds_free(c);
	c = NULL;
	assert_int_equal(load("aliyun", "nosuch", &c), HK_ERR_CREDENTIALS);
	assert_non_null(strstr(last.message, "nosuch"));
	assert_int_equal(load("aliyun", "ram", &c), HK_ERR_CREDENTIALS);
	assert_non_null(strstr(last.message, "RamRoleArn"));
	assert_int_equal(load("aliyun", "empty", &c), HK_ERR_CREDENTIALS);
	assert_null(c);
}

static void
test_unsafe_modes(void **state)
{
	struct hk_creds *c = NULL;
	static const mode_t bad[] = { 0644, 0640, 0604, 0660, 0610 };
	size_t i;

	(void)state;
	clear_env();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_config(config, bad[i]);
		assert_int_equal(load("aliyun", NULL, &c), HK_ERR_CREDENTIALS_UNSAFE);
		assert_null(c);
		/* The detail says how to fix it and never holds the secret. */
		assert_non_null(strstr(last.message, "chmod 600"));
		assert_null(strstr(last.message, "secret-work"));
	}
	write_config(config, 0400);
	assert_int_equal(load("aliyun", NULL, &c), 0);
	hk_creds_free(c);
}

static void
test_missing_and_malformed(void **state)
{
	struct hk_creds *c = NULL;
	char path[512];

	(void)state;
	clear_env();
	snprintf(path, sizeof(path), "%s/.aliyun/config.json", home);
	unlink(path);
	assert_int_equal(load("aliyun", NULL, &c), HK_ERR_CREDENTIALS);
	assert_non_null(strstr(last.message, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	write_config("{\"profiles\":[", 0600);
	assert_int_equal(load("aliyun", NULL, &c), HK_ERR_CREDENTIALS);
	assert_null(c);
}

static void
test_huawei(void **state)
{
	struct hk_creds *c = NULL;

	(void)state;
	clear_env();
	assert_int_equal(load("huawei", NULL, &c), HK_ERR_CREDENTIALS);
	assert_non_null(strstr(last.message, "HUAWEICLOUD_SDK_AK"));
	setenv("HUAWEICLOUD_SDK_AK", "QTWAOYTTINDUT2QVKYUC", 1);
	setenv("HUAWEICLOUD_SDK_SK", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", 1);
	assert_int_equal(load("huawei", NULL, &c), 0);
	assert_string_equal(c->access_key_id, "QTWAOYTTINDUT2QVKYUC");
	assert_null(c->project_id);
	/* The secret is the process's own copy now; the environment's is gone. */
	assert_null(getenv("HUAWEICLOUD_SDK_SK"));
	assert_string_equal(getenv("HUAWEICLOUD_SDK_AK"), "QTWAOYTTINDUT2QVKYUC");
	hk_creds_free(c);
	setenv("HUAWEICLOUD_SDK_SK", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", 1);
	setenv("HUAWEICLOUD_SDK_PROJECT_ID", "77b6a44cba5143ab91d13ab9a8ff44fd", 1);
	assert_int_equal(load("huawei", NULL, &c), 0);
	assert_string_equal(c->project_id, "77b6a44cba5143ab91d13ab9a8ff44fd");
	hk_creds_free(c);
	c = NULL;
	/* --profile belongs to the aliyun CLI file. */
	assert_int_equal(load("huawei", "default", &c), HK_ERR_USAGE);
	assert_non_null(strstr(last.message, "aliyun CLI"));
	assert_null(c);
	/* No row, no chain: an unknown cloud never reaches a credentials file. */
	assert_null(hk_cloud_provider_find("aws"));
	clear_env();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_first),
		cmocka_unit_test(test_config_profiles),
		cmocka_unit_test(test_unsafe_modes),
		cmocka_unit_test(test_missing_and_malformed),
		cmocka_unit_test(test_huawei),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
