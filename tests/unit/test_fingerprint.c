/* Unit tests for fingerprints: ssh-keygen and cloud vectors from
 * shared/reference/cloud-apis.md, randomart as ssh-keygen 9.2 draws it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "key.h"

/* getmoto/moto tests/test_ec2/test_key_pairs.py RSA_PUBLIC_KEY_OPENSSH. */
static const char moto_rsa[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDusXfgTE4eBP50NglSzCSEGnIL6+cr6m3H"
    "6cZANOQ+P1o/W4BdtcAL3sor4iGi7SOeJgo8kweyMQrhrt6HaKGgromRiz37LQx"
    "4YIAcBi4Zd023mO/V7Rc2Chh18mWgLSmA6ng+j37ip6452zxtv0jHAz9pJolbKBp"
    "JzbZlPN45ZCTk9ck0fSVHRl6VRSSPQcpqi65XpRf+35zNOCGCc1mAOOTmw59Q2a6"
    "A3t8mL7r91aM5q6QOQm219lctFM8O7HRJnDgmhGpnjRwE1LyKktWTbgFZ4SNWU2X"
    "qusUO07jKuSxzPumXBeU+JEtx0J1tqZwJlpGt2R+0qN7nKnPl2+hx moto@github.com\n";
/* cloud-apis.md KEY_ED25519. */
static const char moto_ed25519[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B moto@getmoto\n";
static const char ecdsa256[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKr+SCxRB4Hed9Ti1MqjQC0VXOs794mPLizF5j1as0Ek0COO8RreTpxAZer9Zl0CTzHY20psgEb11+TZfRTitgI=\n";

static struct hk_key *
load(const char *text)
{
	struct hk_key *k = NULL;

	assert_int_equal(hk_key_parse(text, strlen(text), &k), 0);
	assert_non_null(k);
	return k;
}

static void
check_fp(const struct hk_key *k, enum hk_fp fp, const char *want)
{
	char *got = NULL;

	assert_int_equal(hk_key_fingerprint(k, fp, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void
test_moto_rsa_vectors(void **state)
{
	struct hk_key *k = load(moto_rsa);

	(void)state;
	assert_int_equal(hk_key_bits(k), 2048);
	assert_string_equal(hk_key_comment(k), "moto@github.com");
	/* ssh-keygen -l [-E md5] -f on the same key. */
	check_fp(k, HK_FP_SHA256, "SHA256:jbckKf1TA3EKAEkTuZpsD8J0AjvvyBeTvRqDD29rMmM");
	check_fp(k, HK_FP_MD5, "MD5:cb:d0:21:36:14:b2:85:0c:87:b3:64:01:2d:d2:e3:30");
	check_fp(k, HK_FP_ALIYUN, "cbd0213614b2850c87b364012dd2e330");
	check_fp(k, HK_FP_HUAWEI, "cb:d0:21:36:14:b2:85:0c:87:b3:64:01:2d:d2:e3:30");
	/* AWS: MD5 of the DER SPKI, not of the SSH blob. */
	check_fp(k, HK_FP_AWS, "6a:49:07:1c:7e:bd:d2:bd:96:25:fe:b5:74:83:ae:fd");
	hk_key_free(k);
}

static void
test_moto_ed25519_vectors(void **state)
{
	struct hk_key *k = load(moto_ed25519);

	(void)state;
	check_fp(k, HK_FP_SHA256, "SHA256:xvxnqBJ7S71D5MbmUohoi4VItOmDYU4Eu5gj1c/8ibw");
	check_fp(k, HK_FP_ALIYUN, "41fb69b08f3fe9447b7d82bdd29d4279");
	check_fp(k, HK_FP_HUAWEI, "41:fb:69:b0:8f:3f:e9:44:7b:7d:82:bd:d2:9d:42:79");
	check_fp(k, HK_FP_AWS, "xvxnqBJ7S71D5MbmUohoi4VItOmDYU4Eu5gj1c/8ibw");
	hk_key_free(k);
}

static void
test_aws_refuses_ecdsa(void **state)
{
	struct hk_key *k = load(ecdsa256);
	char *fp = NULL;

	(void)state;
	assert_int_equal(hk_key_fingerprint(k, HK_FP_AWS, &fp), HK_ERR_NOT_SUPPORTED);
	assert_null(fp);
	hk_key_free(k);
}

static void
test_randomart_matches_ssh_keygen(void **state)
{
	/* ssh-keygen 9.2 -lv on the keys above. */
	static const char ed_sha256[] =
	    "+--[ED25519 256]--+\n"
	    "|o                |\n"
	    "| + .             |\n"
	    "|+ + .            |\n"
	    "|oX   + o  .      |\n"
	    "|&o . .+.S=       |\n"
	    "|+=. +.o+.+B.     |\n"
	    "|  .+ .oo+*+ o    |\n"
	    "|  . . ooo.o+     |\n"
	    "|      Eooo..     |\n"
	    "+----[SHA256]-----+";
	static const char rsa_md5[] =
	    "+---[RSA 2048]----+\n"
	    "|.+o=o.+.         |\n"
	    "|E O.o=           |\n"
	    "|.B +. + .        |\n"
	    "|  o  . + .       |\n"
	    "|      . S        |\n"
	    "|       o .       |\n"
	    "|        o        |\n"
	    "|                 |\n"
	    "|                 |\n"
	    "+------[MD5]------+";
	struct hk_key *ed = load(moto_ed25519), *rsa = load(moto_rsa);
	char *art = NULL;

	(void)state;
	assert_int_equal(hk_key_randomart(ed, HK_FP_SHA256, &art), 0);
	assert_string_equal(art, ed_sha256);
	free(art);
	assert_int_equal(hk_key_randomart(rsa, HK_FP_MD5, &art), 0);
	assert_string_equal(art, rsa_md5);
	free(art);
	assert_int_equal(hk_key_randomart(rsa, HK_FP_ALIYUN, &art), HK_ERR_NOT_SUPPORTED);
	assert_null(art);
	hk_key_free(ed);
	hk_key_free(rsa);
}

static void
test_fp_equal(void **state)
{
	(void)state;
	assert_true(hk_fp_equal("MD5:cb:d0:21:36:14:b2:85:0c:87:b3:64:01:2d:d2:e3:30",
	    "CBD0213614B2850C87B364012DD2E330"));
	assert_true(hk_fp_equal("SHA256:xvxnqBJ7S71D5MbmUohoi4VItOmDYU4Eu5gj1c/8ibw",
	    "xvxnqBJ7S71D5MbmUohoi4VItOmDYU4Eu5gj1c/8ibw="));
	assert_false(hk_fp_equal("cbd0213614b2850c87b364012dd2e330",
	    "cbd0213614b2850c87b364012dd2e331"));
	assert_false(hk_fp_equal("cbd0", "cbd0213614b2850c87b364012dd2e330"));
	assert_false(hk_fp_equal("", ""));
	assert_false(hk_fp_equal(NULL, "x"));
}

static void
test_fp_names(void **state)
{
	enum hk_fp fp;

	(void)state;
	assert_int_equal(hk_fp_from_name("aws", &fp), 0);
	assert_int_equal(fp, HK_FP_AWS);
	assert_string_equal(hk_fp_name(HK_FP_ALIYUN), "aliyun");
	assert_int_equal(hk_fp_from_name("sha1", &fp), HK_ERR_INVALID_ARGUMENT);
	assert_null(hk_fp_name((enum hk_fp)99));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moto_rsa_vectors),
		cmocka_unit_test(test_moto_ed25519_vectors),
		cmocka_unit_test(test_aws_refuses_ecdsa),
		cmocka_unit_test(test_randomart_matches_ssh_keygen),
		cmocka_unit_test(test_fp_equal),
		cmocka_unit_test(test_fp_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
