/* Unit tests for the provisioning plan (src/ops/ops_plan.c): defaults fill
 * entries, a serial becomes a pkcs11: URI, the identity is the "plan" name
 * or the file's path; every refusal names the entry and the field, with
 * HK_ERR_PLAN (a type or name the cloud refuses: its own code); the
 * command-line form gives usage errors instead. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "ops_plan.h"

static int
parse(const char *json, struct hk_plan **planp, struct hk_error *e)
{
	return hk_plan_parse("p.json", json, strlen(json), planp, e);
}

static void
test_defaults_and_serial(void **state)
{
	struct hk_plan *plan = NULL;
	struct hk_error e;

	(void)state;
	assert_int_equal(parse("{\"plan\": \"st7\", \"defaults\": {\"type\": \"ecdsa-p256\", "
	    "\"label\": \"ssh\", \"cloud\": \"aliyun\", \"regions\": [\"cn-hangzhou\", "
	    "\"cn-shanghai\"], \"pin\": \"env:PIN\"}, \"entries\": ["
	    "{\"token\": \"pkcs11:token=a\", \"name\": \"alice-ssh\", \"attach\": [\"i-1\", \"i-2\"]},"
	    "{\"serial\": \"0123abcd\", \"name\": \"bob-ssh\", \"id\": \"bob\", \"label\": \"b\", "
	    "\"regions\": \"cn-beijing\", \"pin\": \"fd:3\", \"type\": \"rsa2048\"}]}", &plan, &e), 0);
	assert_string_equal(plan->id, "st7");
	assert_int_equal(plan->n, 2);
	assert_string_equal(plan->entries[0].id, "alice-ssh");
	assert_string_equal(plan->entries[0].label, "ssh");
	assert_int_equal(plan->entries[0].kind, HK_KIND_ECDSA_P256);
	assert_int_equal(plan->entries[0].nregions, 2);
	assert_string_equal(plan->entries[0].regions[1], "cn-shanghai");
	assert_null(plan->entries[0].regions[2]);
	assert_string_equal(plan->entries[0].pin, "env:PIN");
	assert_int_equal(plan->entries[0].nattach, 2);
	assert_string_equal(plan->entries[1].id, "bob");
	assert_string_equal(plan->entries[1].token, "pkcs11:serial=0123abcd");
	assert_int_equal(plan->entries[1].kind, HK_KIND_RSA2048);
	assert_int_equal(plan->entries[1].nregions, 1);
	assert_string_equal(plan->entries[1].regions[0], "cn-beijing");
	assert_string_equal(plan->entries[1].pin, "fd:3");
	assert_int_equal(plan->entries[1].index, 1);
	hk_plan_free(plan);
}

/* The plan's identity without a "plan" name: the file's absolute path. */
static void
test_identity_from_path(void **state)
{
	const char *doc = "{\"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
	    "\"type\": \"ecdsa-p384\", \"label\": \"l\", \"cloud\": \"huawei\", \"regions\": "
	    "[\"cn-north-4\"]}]}";
	struct hk_plan *plan = NULL;
	struct hk_error e;
	char path[] = "/tmp/hwkey-plan-XXXXXX", *abs;
	FILE *fp;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(doc, fp);
	fclose(fp);
	assert_int_equal(hk_plan_load(path, &plan, &e), 0);
	assert_non_null(abs = realpath(path, NULL));
	assert_string_equal(plan->id, abs);
	free(abs);
	hk_plan_free(plan);
	unlink(path);
	assert_int_not_equal(hk_plan_load("/nonexistent/plan.json", &plan, &e), 0);
	assert_null(plan);
	assert_string_equal(e.file, "/nonexistent/plan.json");
}

/* tmpl with its "%s" (if any) replaced by d. */
static void
fill(char *buf, size_t size, const char *tmpl, const char *d)
{
	const char *at = strstr(tmpl, "%s");

	if (at == NULL)
		snprintf(buf, size, "%s", tmpl);
	else
		snprintf(buf, size, "%.*s%s%s", (int)(at - tmpl), tmpl, d, at + 2);
}

struct bad {
	const char *json;
	int code;
	const char *where;		/* must appear in the message */
};

static void
test_refusals_name_entry_and_field(void **state)
{
	static const char *const D = "\"defaults\": {\"type\": \"ecdsa-p256\", \"label\": \"l\", "
	    "\"cloud\": \"aliyun\", \"regions\": [\"cn-hangzhou\"]}";
	static const struct bad bad[] = {
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
		  "\"pin\": \"123456\"}]}", HK_ERR_PLAN, "entries[0] (aa): field \"pin\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\"}, "
		  "{\"token\": \"pkcs11:token=b\", \"name\": \"bb\", \"tpye\": \"x\"}]}", HK_ERR_PLAN,
		  "entries[1] (bb): field \"tpye\": unknown field" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
		  "\"type\": \"ecdsa-p999\"}]}", HK_ERR_PLAN, "entries[0] (aa): field \"type\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
		  "\"type\": \"ed25519\"}]}", HK_ERR_CLOUD_UNSUPPORTED, "entries[0] (aa): field \"type\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"9bad\"}]}",
		  HK_ERR_CLOUD_NAME, "entries[0] (9bad): field \"name\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
		  "\"regions\": [\"cn-hangzhou\", \"cn-hangzhou\"]}]}", HK_ERR_PLAN,
		  "field \"regions\": \"cn-hangzhou\" twice" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
		  "\"regions\": [\"all\"]}]}", HK_ERR_PLAN, "field \"regions\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\"}, "
		  "{\"token\": \"pkcs11:token=b\", \"name\": \"aa\"}]}", HK_ERR_PLAN,
		  "entries[1] (aa): field \"id\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"id\": \"x1\", \"name\": \"aa\"}, "
		  "{\"token\": \"pkcs11:token=b\", \"id\": \"x2\", \"name\": \"aa\"}]}", HK_ERR_PLAN,
		  "entries[1] (x2): field \"name\"" },
		{ "{%s, \"entries\": [{\"name\": \"aa\"}]}", HK_ERR_PLAN,
		  "entries[0] (aa): field \"token\": missing" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"serial\": \"1\", "
		  "\"name\": \"aa\"}]}", HK_ERR_PLAN, "field \"serial\"" },
		{ "{%s, \"entries\": [{\"token\": \"/dev/sda\", \"name\": \"aa\"}]}", HK_ERR_PLAN,
		  "field \"token\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\", "
		  "\"regions\": 7}]}", HK_ERR_PLAN, "field \"regions\": expected an array" },
		{ "{%s, \"entries\": []}", HK_ERR_PLAN, "field \"entries\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\"}], "
		  "\"extra\": 1}", HK_ERR_PLAN, "the plan: field \"extra\"" },
		{ "{\"defaults\": {\"token\": \"pkcs11:token=a\"}, \"entries\": [{}]}", HK_ERR_PLAN,
		  "defaults: field \"token\"" },
		{ "{%s, \"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"aa\",}]}",
		  HK_ERR_FORMAT_MALFORMED, "p.json: line 1" },
	};
	struct hk_plan *plan;
	struct hk_error e;
	char doc[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		plan = NULL;
		fill(doc, sizeof(doc), bad[i].json, D);
		if (parse(doc, &plan, &e) != bad[i].code || strstr(e.message, bad[i].where) == NULL)
			fail_msg("case %zu: code %d (%s), want %d with \"%s\"", i, e.code, e.message,
			    bad[i].code, bad[i].where);
		assert_null(plan);
		assert_string_equal(e.file, "p.json");
	}
}

static void
test_single(void **state)
{
	struct hk_plan *plan = NULL;
	struct hk_error e;

	(void)state;
	assert_int_equal(hk_plan_single("pkcs11:token=a", "ecdsa-p256", "ssh", "alice-ssh",
	    "aliyun", "cn-hangzhou,cn-beijing", NULL, "i-1", &plan, &e), 0);
	assert_string_equal(plan->id, "");
	assert_int_equal(plan->entries[0].nregions, 2);
	assert_int_equal(plan->entries[0].nattach, 1);
	assert_null(plan->entries[0].pin);
	hk_plan_free(plan);
	plan = NULL;
	/* The same mistakes on the command line are usage errors. */
	assert_int_equal(hk_plan_single("pkcs11:token=a", "nope", "ssh", "alice-ssh", "aliyun",
	    "cn-hangzhou", NULL, NULL, &plan, &e), HK_ERR_USAGE);
	assert_non_null(strstr(e.message, "field \"type\""));
	assert_null(plan);
}

/* fido: entries: sk types need no cloud; the sk fields get defaults and checks. */
static void
test_security_keys(void **state)
{
	static const struct bad bad[] = {
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"cloud\": \"aliyun\", \"regions\": [\"cn-hangzhou\"]}]}", HK_ERR_CLOUD_UNSUPPORTED,
		  "entries[0] (k): field \"type\"" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"regions\": [\"cn-hangzhou\"]}]}", HK_ERR_PLAN, "field \"regions\": given without" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"resident\": 1}]}", HK_ERR_PLAN, "field \"resident\": expected true or false" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"user\": \"alice\"}]}", HK_ERR_PLAN, "field \"user\": names a resident" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"resident\": true, \"user\": \"0123456789abcdef0123456789abcdef\"}]}", HK_ERR_PLAN,
		  "field \"user\": is 32 bytes" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"application\": \"web:x\"}]}", HK_ERR_PLAN, "field \"application\"" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"attestation_roots\": \"/nonexistent\"}]}", HK_ERR_PLAN,
		  "field \"attestation_roots\": \"/nonexistent\" is not a directory" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"output\": \"/nonexistent\"}]}", HK_ERR_PLAN, "field \"output\"" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"a/b\", \"type\": \"ecdsa-sk\"}]}",
		  HK_ERR_PLAN, "field \"name\"" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\", "
		  "\"attach\": [\"i-1\"]}]}", HK_ERR_PLAN, "field \"attach\"" },
		{ "{\"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"k\", \"type\": \"ed25519-sk\"}]}",
		  HK_ERR_PLAN, "field \"type\": ed25519-sk keys are made on a fido: device" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ed25519\", "
		  "\"label\": \"l\"}]}", HK_ERR_PLAN, "field \"type\": a fido: device makes" },
		{ "{\"entries\": [{\"token\": \"pkcs11:token=a\", \"name\": \"k\", \"type\": \"ed25519\", "
		  "\"label\": \"l\"}]}", HK_ERR_PLAN, "field \"cloud\": missing" },
		{ "{\"entries\": [{\"token\": \"fido:unix:/s\", \"name\": \"k\", \"type\": \"ecdsa-sk\"}, "
		  "{\"token\": \"fido:unix:/t\", \"id\": \"k2\", \"name\": \"k\", \"type\": \"ecdsa-sk\"}]}",
		  HK_ERR_PLAN, "entries[1] (k2): field \"name\": \"k\" is also entries[0]'s key file" },
	};
	struct hk_plan *plan = NULL;
	struct hk_error e;
	size_t i;

	(void)state;
	assert_int_equal(parse("{\"defaults\": {\"output\": \"/tmp\"}, \"entries\": ["
	    "{\"token\": \"fido:unix:/s\", \"name\": \"alice-sk\", \"type\": \"ecdsa-sk\", "
	    "\"resident\": true, \"verify_required\": true, \"user\": \"alice\", "
	    "\"application\": \"ssh:hw\", \"attestation_roots\": \"/tmp\", \"cloud\": null}, "
	    "{\"token\": \"fido:unix:/t\", \"name\": \"bob-sk\", \"type\": \"ed25519-sk\", "
	    "\"output\": \".\"}]}", &plan, &e), 0);
	assert_int_equal(plan->n, 2);
	assert_true(hk_plan_entry_is_sk(&plan->entries[0]));
	assert_null(plan->entries[0].cloud);
	assert_int_equal(plan->entries[0].nregions, 0);
	assert_int_equal(plan->entries[0].resident, 1);
	assert_int_equal(plan->entries[0].verify_required, 1);
	assert_string_equal(plan->entries[0].user, "alice");
	assert_string_equal(plan->entries[0].application, "ssh:hw");
	assert_string_equal(plan->entries[0].attestation_roots, "/tmp");
	assert_string_equal(plan->entries[0].output, "/tmp");
	assert_string_equal(plan->entries[0].label, "alice-sk");	/* the name */
	assert_int_equal(plan->entries[1].resident, 0);
	assert_null(plan->entries[1].user);
	assert_string_equal(plan->entries[1].application, "ssh:");
	assert_string_equal(plan->entries[1].output, ".");
	assert_null(plan->entries[1].attestation_roots);
	hk_plan_free(plan);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		plan = NULL;
		if (parse(bad[i].json, &plan, &e) != bad[i].code ||
		    strstr(e.message, bad[i].where) == NULL)
			fail_msg("case %zu: code %d (%s), want %d with \"%s\"", i, e.code, e.message,
			    bad[i].code, bad[i].where);
		assert_null(plan);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_serial),
		cmocka_unit_test(test_identity_from_path),
		cmocka_unit_test(test_refusals_name_entry_and_field),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_security_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
