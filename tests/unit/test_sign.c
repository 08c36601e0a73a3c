/* Unit tests for request signing: every vector of cloud-apis.md 3 and 6
 * (official and derived), plus percent-encoding edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "sign.h"

#define KEY_ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B moto@getmoto"
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Parameters in deliberately unsorted order: the signer must sort. */
static const struct hk_param v1_regions[] = {
	{ "Version", "2014-05-26" },
	{ "Timestamp", "2016-02-23T12:46:24Z" },
	{ "AccessKeyId", "testid" },
	{ "SignatureVersion", "1.0" },
	{ "Action", "DescribeRegions" },
	{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
	{ "Format", "XML" },
	{ "SignatureMethod", "HMAC-SHA1" },
};

static const struct hk_param v1_import[] = {
	{ "AccessKeyId", "testid" },
	{ "Action", "ImportKeyPair" },
	{ "Format", "JSON" },
	{ "Tag.1.Value", "sec team" },
	{ "KeyPairName", "test-key_1.a:b" },
	{ "PublicKeyBody", KEY_ED25519 },
	{ "RegionId", "cn-hangzhou" },
	{ "SignatureMethod", "HMAC-SHA1" },
	{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
	{ "SignatureVersion", "1.0" },
	{ "Tag.1.Key", "owner" },
	{ "Timestamp", "2016-02-23T12:46:24Z" },
	{ "Version", "2014-05-26" },
};

static const struct hk_param v1_delete[] = {
	{ "AccessKeyId", "testid" },
	{ "Action", "DeleteKeyPairs" },
	{ "Format", "JSON" },
	{ "KeyPairNames", "[\"k1\",\"k2\"]" },
	{ "RegionId", "cn-hangzhou" },
	{ "SignatureMethod", "HMAC-SHA1" },
	{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
	{ "SignatureVersion", "1.0" },
	{ "Timestamp", "2016-02-23T12:46:24Z" },
	{ "Version", "2014-05-26" },
};

static void
check_v1(const char *method, const struct hk_param *p, size_t n, const char *want)
{
	char *sig = NULL;

	assert_int_equal(hk_sign_aliyun_v1(method, p, n, "testsecret", &sig), 0);
	assert_string_equal(sig, want);
	free(sig);
}

static void
test_aliyun_v1_official(void **state)
{
	char *sts = NULL;

	(void)state;
	assert_int_equal(hk_sign_aliyun_v1_string("GET", v1_regions, N(v1_regions),
	    &sts), 0);
	assert_string_equal(sts, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"
	    "%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D"
	    "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp"
	    "%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26");
	free(sts);
	check_v1("GET", v1_regions, N(v1_regions), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
	check_v1("POST", v1_regions, N(v1_regions), "MxbnVAM4w6sft9xjVpe/GCKueuk=");
	/* A different secret must give a different signature. */
	{
		char *sig = NULL;

		assert_int_equal(hk_sign_aliyun_v1("GET", v1_regions, N(v1_regions),
		    "testsecreT", &sig), 0);
		assert_string_not_equal(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
		free(sig);
	}
}

static void
test_aliyun_v1_derived(void **state)
{
	char *cq = NULL;

	(void)state;
	assert_int_equal(hk_sign_canonical_query(v1_import, N(v1_import), &cq), 0);
	assert_string_equal(cq, "AccessKeyId=testid&Action=ImportKeyPair&Format=JSON"
	    "&KeyPairName=test-key_1.a%3Ab&PublicKeyBody=ssh-ed25519%20AAAAC3NzaC1lZDI1"
	    "NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi%2F7wakB%2BB%20moto%40getmoto"
	    "&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce="
	    "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0&Tag.1.Key=owner"
	    "&Tag.1.Value=sec%20team&Timestamp=2016-02-23T12%3A46%3A24Z"
	    "&Version=2014-05-26");
	free(cq);
	check_v1("GET", v1_import, N(v1_import), "YUAkg/E5Pi376hJxsU+mh6a0ysU=");
	check_v1("POST", v1_import, N(v1_import), "JVwtzZkkguqH/9tvclVU3z4of/w=");
	assert_int_equal(hk_sign_canonical_query(v1_delete + 3, 1, &cq), 0);
	assert_string_equal(cq, "KeyPairNames=%5B%22k1%22%2C%22k2%22%5D");
	free(cq);
	check_v1("GET", v1_delete, N(v1_delete), "5iKIk7p+PeaVK0VayE5mnPTmCV0=");
}

static void
check_hash(const char *cr, const char *want)
{
	char hex[65];

	assert_int_equal(hk_sign_sha256_hex(cr, strlen(cr), hex), 0);
	assert_string_equal(hex, want);
}

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
test_acs3_official(void **state)
{
	static const struct hk_param q[] = {
		{ "RegionId", "cn-shanghai" },
		{ "ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd" },
	};
	static const struct hk_header h[] = {
		{ "host", "ecs.cn-shanghai.aliyuncs.com" },
		{ "x-acs-action", "RunInstances" },
		{ "x-acs-version", "2014-05-26" },
		{ "x-acs-date", "2023-10-26T10:22:32Z" },
		{ "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d" },
		{ "X-Acs-Content-Sha256", EMPTY_SHA256 },
	};
	char *cr = NULL, *auth = NULL;

	(void)state;
	assert_int_equal(hk_sign_acs3_canonical("POST", "/", q, N(q), h, N(h), "", 0,
	    &cr), 0);
	check_hash(cr, "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
	assert_int_equal(hk_sign_acs3("POST", "/", q, N(q), h, N(h), NULL, 0,
	    "YourAccessKeyId", "YourAccessKeySecret", &auth), 0);
	assert_string_equal(auth, "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
	    "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;"
	    "x-acs-signature-nonce;x-acs-version,Signature="
	    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
	free(cr);
	free(auth);
}

static void
test_acs3_derived(void **state)
{
	static const struct hk_param q[] = {
		{ "KeyPairName", "test-key_1.a:b" },
		{ "PublicKeyBody", KEY_ED25519 },
		{ "RegionId", "cn-hangzhou" },
	};
	static const struct hk_header h[] = {
		{ "host", "ecs.cn-hangzhou.aliyuncs.com" },
		{ "x-acs-action", "ImportKeyPair" },
		{ "x-acs-version", "2014-05-26" },
		{ "x-acs-date", "2023-10-26T10:22:32Z" },
		{ "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d" },
		{ "x-acs-content-sha256", EMPTY_SHA256 },
	};
	char *cr = NULL, *auth = NULL;

	(void)state;
	assert_int_equal(hk_sign_acs3_canonical("POST", "/", q, N(q), h, N(h), "", 0,
	    &cr), 0);
	check_hash(cr, "6c32cb9155af646845c6bec6e190de684d59f34f665e2c151985e60fb40889e4");
	assert_int_equal(hk_sign_acs3("POST", "/", q, N(q), h, N(h), "", 0,
	    "YourAccessKeyId", "YourAccessKeySecret", &auth), 0);
	assert_non_null(strstr(auth, ",Signature="
	    "f12cc58dac2314edbde632a072d4e1094cbe7792a108e1daa958d7729efe0c4b"));
	free(cr);
	free(auth);
}

#define HW_AK "QTWAOYTTINDUT2QVKYUC"
#define HW_SK "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
#define HW_PROJECT "77b6a44cba5143ab91d13ab9a8ff44fd"

static void
test_huawei_official(void **state)
{
	static const struct hk_param q[] = {
		{ "marker", "13551d6b-755d-4757-b956-536f674975c0" },
		{ "limit", "2" },
	};
	static const struct hk_header h[] = {
		{ "Content-Type", "application/json" },
		{ "X-Sdk-Date", "20191115T033655Z" },
		{ "host", "service.region.example.com" },
	};
	char *cr = NULL, *auth = NULL;

	(void)state;
	assert_int_equal(hk_sign_huawei_canonical("GET", "/v1/" HW_PROJECT "/vpcs",
	    q, N(q), h, N(h), NULL, 0, &cr), 0);
	/* The canonical URI gains a trailing '/'. */
	assert_non_null(strstr(cr, "GET\n/v1/" HW_PROJECT "/vpcs/\nlimit=2&marker="));
	check_hash(cr, "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
	assert_int_equal(hk_sign_huawei("GET", "/v1/" HW_PROJECT "/vpcs", q, N(q), h,
	    N(h), NULL, 0, HW_AK, HW_SK, &auth), 0);
	assert_string_equal(auth, "SDK-HMAC-SHA256 Access=" HW_AK ", SignedHeaders="
	    "content-type;host;x-sdk-date, Signature="
	    "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
	free(cr);
	free(auth);
}

static void
test_huawei_kps_derived(void **state)
{
	static const char body[] = "{\"keypair\":{\"name\":\"demo\",\"public_key\":\""
	    KEY_ED25519 "\"}}";
	static const struct hk_header hpost[] = {
		{ "Content-Type", "application/json;charset=UTF-8" },
		{ "Host", "kms.cn-north-4.myhuaweicloud.com" },
		{ "X-Project-Id", HW_PROJECT },
		{ "X-Sdk-Date", "20191115T033655Z" },
	};
	static const struct hk_header hdel[] = {
		{ "Content-Type", "application/json" },
		{ "Host", "kms.cn-north-4.myhuaweicloud.com" },
		{ "X-Project-Id", HW_PROJECT },
		{ "X-Sdk-Date", "20191115T033655Z" },
	};
	char *auth = NULL;

	(void)state;
	assert_int_equal(hk_sign_huawei("POST", "/v3/" HW_PROJECT "/keypairs", NULL, 0,
	    hpost, N(hpost), body, strlen(body), HW_AK, HW_SK, &auth), 0);
	assert_string_equal(auth, "SDK-HMAC-SHA256 Access=" HW_AK ", SignedHeaders="
	    "content-type;host;x-project-id;x-sdk-date, Signature="
	    "4cf88500a90b892542a8784cfe21c8ccef236f720364ccb376150dd8f6331be0");
	free(auth);
	assert_int_equal(hk_sign_huawei("DELETE", "/v3/" HW_PROJECT "/keypairs/demo",
	    NULL, 0, hdel, N(hdel), "", 0, HW_AK, HW_SK, &auth), 0);
	assert_non_null(strstr(auth, "Signature="
	    "4b4d131be752b3dfdb0575de0ccb7d1c37cd364b6700b33268d7a740982d3c87"));
	free(auth);
	/* Without X-Sdk-Date there is nothing to sign. */
	assert_int_equal(hk_sign_huawei("GET", "/", NULL, 0, hdel, 2, NULL, 0, HW_AK,
	    HW_SK, &auth), HK_ERR_INVALID_ARGUMENT);
	assert_null(auth);
}

static void
test_urlenc_dec(void **state)
{
	static const char raw[] = "a b*~+/%\xe4\xb8\xad";
	struct hk_buf *b = hk_buf_new();
	char *s = NULL, *d = NULL;

	(void)state;
	assert_int_equal(hk_urlenc(b, raw, strlen(raw)), 0);
	s = hk_buf_dup_string(b);
	assert_string_equal(s, "a%20b%2A~%2B%2F%25%E4%B8%AD");
	assert_int_equal(hk_urldec(s, strlen(s), 0, &d), 0);
	assert_string_equal(d, raw);
	free(d);
	/* '+' is literal in RFC 3986 and a space in form bodies. */
	assert_int_equal(hk_urldec("a+b%2b", 6, 0, &d), 0);
	assert_string_equal(d, "a+b+");
	free(d);
	assert_int_equal(hk_urldec("a+b%2b", 6, HK_URLDEC_FORM, &d), 0);
	assert_string_equal(d, "a b+");
	free(d);
	assert_int_equal(hk_urldec("ab%2", 4, 0, &d), HK_ERR_INVALID_ARGUMENT);
	assert_null(d);
	assert_int_equal(hk_urldec("ab%zz", 5, 0, &d), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_urldec("a%00b", 5, 0, &d), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_urldec("%", 1, 0, &d), HK_ERR_INVALID_ARGUMENT);
	free(s);
	hk_buf_free(b);
	assert_int_equal(hk_sign_canonical_query(NULL, 0, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_true(hk_sign_equal("abc", "abc"));
	assert_false(hk_sign_equal("abc", "abd"));
	assert_false(hk_sign_equal("abc", "abcd"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aliyun_v1_official),
		cmocka_unit_test(test_aliyun_v1_derived),
		cmocka_unit_test(test_acs3_official),
		cmocka_unit_test(test_acs3_derived),
		cmocka_unit_test(test_huawei_official),
		cmocka_unit_test(test_huawei_kps_derived),
		cmocka_unit_test(test_urlenc_dec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
