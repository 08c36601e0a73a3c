/* Unit tests for the security-key key-handle file: built here field by
 * field as OpenSSH writes it (ssh-keygen -y reads it back as the oracle),
 * parsed, and refused when encrypted, a software key, or damaged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "key.h"
#include "ops_skfile.h"

static const char ecdsa_sk[] = "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAy"
    "NTYAAABBBKr+SCxRB4Hed9Ti1MqjQC0VXOs794mPLizF5j1as0Ek0COO8RreTpxAZer9Zl0CTzHY20psgEb11+"
    "TZfRTitgIAAAAEc3NoOg==";
static const char ed25519_sk[] = "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIJRke6SocTLEpgXX"
    "+5EXLpXMqaqjJN/6K79sCMSr/vf3AAAABHNzaDo=";

struct spec {
	const char *pub_b64;
	const char *cipher;
	uint32_t nkeys;
	uint32_t check2;	/* 0: same as check1 */
	const char *app;	/* NULL: the public key's */
	size_t khlen;
};

/* The text of a key-handle file as OpenSSH's sshkey_private_to_blob2 writes it. */
static char *
build(const struct spec *s)
{
	struct hk_buf *pub = hk_buf_new(), *priv = hk_buf_new(), *file = hk_buf_new();
	struct hk_buf *b64 = hk_buf_new(), *fields = NULL;
	struct hk_key *key = NULL;
	uint8_t kh[64];
	const uint8_t *p;
	size_t len, i;
	char *text;

	assert_non_null(pub);
	assert_int_equal(hk_b64_decode(pub, s->pub_b64, strlen(s->pub_b64), 0), 0);
	assert_int_equal(hk_key_from_blob(hk_buf_ptr(pub), hk_buf_len(pub), &key), 0);
	memset(kh, 0xa5, sizeof(kh));
	assert_int_equal(hk_buf_put_u32(priv, 0x01020304), 0);
	assert_int_equal(hk_buf_put_u32(priv, s->check2 != 0 ? s->check2 : 0x01020304), 0);
	/* The public blob's fields after its type name, then the sk fields. */
	assert_non_null(fields = hk_buf_from(hk_buf_ptr(pub), hk_buf_len(pub)));
	assert_int_equal(hk_buf_get_string_direct(fields, &p, &len), 0);
	assert_int_equal(hk_buf_put_string(priv, p, len), 0);
	if (hk_key_type(key) == HK_KEY_ECDSA_SK) {
		assert_int_equal(hk_buf_get_string_direct(fields, &p, &len), 0);
		assert_int_equal(hk_buf_put_string(priv, p, len), 0);
	}
	assert_int_equal(hk_buf_get_string_direct(fields, &p, &len), 0);
	assert_int_equal(hk_buf_put_string(priv, p, len), 0);
	assert_int_equal(hk_buf_put_cstring(priv, s->app != NULL ? s->app :
	    hk_key_sk_application(key)), 0);
	assert_int_equal(hk_buf_put_u8(priv, HK_SKFILE_F_USER_PRESENCE |
	    HK_SKFILE_F_RESIDENT), 0);
	assert_int_equal(hk_buf_put_string(priv, kh, s->khlen), 0);
	assert_int_equal(hk_buf_put_string(priv, "", 0), 0);
	assert_int_equal(hk_buf_put_cstring(priv, "alice@lab"), 0);
	for (i = 1; hk_buf_len(priv) % 8 != 0; i++)
		assert_int_equal(hk_buf_put_u8(priv, (uint8_t)i), 0);

	assert_int_equal(hk_buf_put(file, "openssh-key-v1", 15), 0);
	assert_int_equal(hk_buf_put_cstring(file, s->cipher), 0);
	assert_int_equal(hk_buf_put_cstring(file, strcmp(s->cipher, "none") == 0 ? "none" :
	    "bcrypt"), 0);
	assert_int_equal(hk_buf_put_string(file, "", 0), 0);
	assert_int_equal(hk_buf_put_u32(file, s->nkeys), 0);
	for (i = 0; i < s->nkeys; i++)
		assert_int_equal(hk_buf_put_stringb(file, pub), 0);
	assert_int_equal(hk_buf_put_stringb(file, priv), 0);
	assert_int_equal(hk_buf_putf(b64, "-----BEGIN OPENSSH PRIVATE KEY-----\n"), 0);
	assert_int_equal(hk_b64_encode(b64, hk_buf_ptr(file), hk_buf_len(file), 70), 0);
	assert_int_equal(hk_buf_putf(b64, "\n-----END OPENSSH PRIVATE KEY-----\n"), 0);
	assert_non_null(text = hk_buf_dup_string(b64));
	hk_key_free(key);
	hk_buf_free(pub);
	hk_buf_free(priv);
	hk_buf_free(file);
	hk_buf_free(b64);
	hk_buf_free(fields);
	return text;
}

static void
check_parses(const char *pub_b64, const char *type)
{
	struct spec s = { pub_b64, "none", 1, 0, NULL, 48 };
	struct hk_skfile sk;
	char *text = build(&s), path[] = "/tmp/hk-test-skfile.XXXXXX", cmd[128], line[1024];
	FILE *fp;
	int fd;

	assert_int_equal(hk_skfile_parse(text, strlen(text), &sk), 0);
	assert_string_equal(hk_key_type_name(sk.key), type);
	assert_string_equal(hk_key_comment(sk.key), "alice@lab");
	assert_string_equal(hk_key_sk_application(sk.key), "ssh:");
	assert_int_equal(sk.flags, HK_SKFILE_F_USER_PRESENCE | HK_SKFILE_F_RESIDENT);
	assert_int_equal(sk.key_handle_len, 48);
	/* The oracle: ssh-keygen reads the same public key out of the file. */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -y -f %s", path);
	assert_non_null(fp = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_int_equal(pclose(fp), 0);
	line[strcspn(line, "\n")] = '\0';
	assert_true(strncmp(line, type, strlen(type)) == 0);
	assert_non_null(strstr(line, pub_b64));
	hk_skfile_clear(&sk);
	assert_int_equal(hk_skfile_read(path, &sk), 0);
	assert_string_equal(hk_key_type_name(sk.key), type);
	hk_skfile_clear(&sk);
	unlink(path);
	free(text);
}

static void
test_ecdsa_sk(void **state)
{
	(void)state;
	check_parses(ecdsa_sk, "sk-ecdsa-sha2-nistp256@openssh.com");
}

static void
test_ed25519_sk(void **state)
{
	(void)state;
	check_parses(ed25519_sk, "sk-ssh-ed25519@openssh.com");
}

static void
expect_refused(const struct spec *s, int err, const char *words)
{
	struct hk_skfile sk;
	char *text = build(s);

	assert_int_equal(hk_skfile_parse(text, strlen(text), &sk), err);
	assert_null(sk.key);
	assert_non_null(strstr(hk_err_detail(), words));
	free(text);
}

static void
test_refusals(void **state)
{
	struct spec s = { ecdsa_sk, "aes256-ctr", 1, 0, NULL, 48 };
	struct hk_skfile sk;
	const char *pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

	(void)state;
	expect_refused(&s, HK_ERR_FORMAT_UNSUPPORTED, "cipher is 'aes256-ctr'");
	s.cipher = "none";
	s.nkeys = 2;
	expect_refused(&s, HK_ERR_FORMAT_UNSUPPORTED, "holds 2 keys");
	s.nkeys = 1;
	s.check2 = 7;
	expect_refused(&s, HK_ERR_FORMAT_MALFORMED, "check words differ");
	s.check2 = 0;
	s.app = "ssh:other";
	expect_refused(&s, HK_ERR_FORMAT_MALFORMED, "application differs");
	s.app = NULL;
	s.khlen = 0;
	expect_refused(&s, HK_ERR_FORMAT_MALFORMED, "empty key handle");
	assert_int_equal(hk_skfile_parse(pem, strlen(pem), &sk), HK_ERR_FORMAT_UNKNOWN);
	assert_int_equal(hk_skfile_parse("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA", 40, &sk),
	    HK_ERR_FORMAT_MALFORMED);
	assert_int_equal(hk_skfile_read("/nonexistent/hk-key", &sk), HK_ERR_NOT_FOUND);
}

/* A software private key (ssh-keygen -t ed25519 -N '') is not a key handle. */
static void
test_software_key_refused(void **state)
{
	char dir[] = "/tmp/hk-test-skfile.XXXXXX", cmd[256], path[64];
	struct hk_skfile sk;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/id", dir);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hk_skfile_read(path, &sk), HK_ERR_KEY_TYPE_MISMATCH);
	assert_non_null(strstr(hk_err_detail(), "ssh-ed25519 private key"));
	assert_non_null(strstr(hk_err_detail(), path));
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N secret99 -f %s.enc", path);
	assert_int_equal(system(cmd), 0);
	strcat(path, ".enc");
	assert_int_equal(hk_skfile_read(path, &sk), HK_ERR_FORMAT_UNSUPPORTED);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdsa_sk),
		cmocka_unit_test(test_ed25519_sk),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_software_key_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
