/* Unit tests for the OpenSSH security-key files (src/fmt_sk.c): the
 * key-handle file against known vectors, its reader's checks, and the
 * ssh-sk-attest blob. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "key.h"
#include "skfile.h"

/* Written by an independent encoder from PROTOCOL.key (checkint 0x01020304);
 * ssh-keygen 9.2 -y loads both. */
static const char ED_VECTOR[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAASgAAABpzay1zc2\n"
    "gtZWQyNTUxOUBvcGVuc3NoLmNvbQAAACABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhsc\n"
    "HR4fIAAAAARzc2g6AAAAeAECAwQBAgMEAAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY2\n"
    "9tAAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gAAAABHNzaDoBAAAAEKCh\n"
    "oqOkpaanqKmqq6ytrq8AAAAAAAAAB3Rlc3RAdm0BAg==\n"
    "-----END OPENSSH PRIVATE KEY-----\n";
static const char EC_VECTOR[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAhAAAACJzay1lY2\n"
    "RzYS1zaGEyLW5pc3RwMjU2QG9wZW5zc2guY29tAAAACG5pc3RwMjU2AAAAQQRrF9Hy4SxC\n"
    "R/i85uVjpEDydwN9gS3rM6D0oTlF2JjClk/jQuL+Gn+bjufrSnwPnhYrzjNXazFezsu2QG\n"
    "g3v1H1AAAACXNzaDpod2tleQAAAOgBAgMEAQIDBAAAACJzay1lY2RzYS1zaGEyLW5pc3Rw\n"
    "MjU2QG9wZW5zc2guY29tAAAACG5pc3RwMjU2AAAAQQRrF9Hy4SxCR/i85uVjpEDydwN9gS\n"
    "3rM6D0oTlF2JjClk/jQuL+Gn+bjufrSnwPnhYrzjNXazFezsu2QGg3v1H1AAAACXNzaDpo\n"
    "d2tleSUAAABAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKi\n"
    "ssLS4vMDEyMzQ1Njc4OTo7PD0+PwAAAAAAAAAMZWNkc2EgdmVjdG9yAQID\n"
    "-----END OPENSSH PRIVATE KEY-----\n";

static const char ED_PUB[] = "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9"
    "wZW5zc2guY29tAAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gAAAABHNzaDo= test@vm\n";
static const char EC_PUB[] = "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNo"
    "YTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLe"
    "szoPShOUXYmMKWT+NC4v4af5uO5+tKfA+eFivOM1drMV7Oy7ZAaDe/UfUAAAAJc3NoOmh3a2V5 ecdsa vector\n";

/* The P-256 generator: a valid point for a test key. */
static const uint8_t P256_G[65] = {
	0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
	0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
	0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
	0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

static struct hk_key *
ed_key(void)
{
	uint8_t pk[32];
	struct hk_key *k = NULL;
	size_t i;

	for (i = 0; i < sizeof(pk); i++)
		pk[i] = (uint8_t)(i + 1);
	assert_int_equal(hk_key_from_sk(HK_KEY_ED25519_SK, pk, sizeof(pk), "ssh:", &k), 0);
	return k;
}

static struct hk_key *
ec_key(void)
{
	struct hk_key *k = NULL;

	assert_int_equal(hk_key_from_sk(HK_KEY_ECDSA_SK, P256_G, sizeof(P256_G),
	    "ssh:hwkey", &k), 0);
	return k;
}

static void
test_write_matches_vectors(void **state)
{
	struct hk_key *ed = ed_key(), *ec = ec_key();
	struct hk_buf *b = hk_buf_new();
	uint8_t kh1[16], kh2[64];
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kh1); i++)
		kh1[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < sizeof(kh2); i++)
		kh2[i] = (uint8_t)i;
	assert_int_equal(hk_fmt_sk_write(ed, 0x01, kh1, sizeof(kh1), "test@vm",
	    0x01020304, b), 0);
	assert_non_null(s = hk_buf_dup_string(b));
	assert_string_equal(s, ED_VECTOR);
	free(s);
	hk_buf_reset(b);
	assert_int_equal(hk_fmt_sk_write(ec, 0x25, kh2, sizeof(kh2), "ecdsa vector",
	    0x01020304, b), 0);
	assert_non_null(s = hk_buf_dup_string(b));
	assert_string_equal(s, EC_VECTOR);
	free(s);
	hk_buf_free(b);
	hk_key_free(ed);
	hk_key_free(ec);
}

/* The public writer draws its checkints: same text but for them, and it reads back. */
static void
test_write_random_checkint_roundtrip(void **state)
{
	struct hk_key *ed = ed_key(), *pub = NULL;
	struct hk_sk_file *sk = NULL;
	uint8_t kh[16];
	char *a = NULL, *b = NULL;
	size_t alen, blen, i;

	(void)state;
	for (i = 0; i < sizeof(kh); i++)
		kh[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(hk_key_set_comment(ed, "test@vm"), 0);
	assert_int_equal(hk_sk_file_write(ed, 0x01, kh, sizeof(kh), NULL, &a, &alen), 0);
	assert_int_equal(hk_sk_file_write(ed, 0x01, kh, sizeof(kh), NULL, &b, &blen), 0);
	assert_int_equal(alen, strlen(ED_VECTOR));
	assert_int_equal(alen, blen);
	assert_int_equal(hk_sk_file_parse(a, alen, &sk), 0);
	assert_int_equal(sk->flags, 0x01);
	assert_int_equal(sk->key_handle_len, sizeof(kh));
	assert_memory_equal(sk->key_handle, kh, sizeof(kh));
	assert_true(hk_key_equal(sk->key, ed));
	assert_string_equal(hk_key_comment(sk->key), "test@vm");
	assert_int_equal(hk_key_parse(ED_PUB, strlen(ED_PUB), &pub), 0);
	assert_true(hk_key_equal(sk->key, pub));
	hk_sk_file_free(sk);
	hk_key_free(pub);
	free(a);
	free(b);
	hk_key_free(ed);
}

static void
test_parse_vectors(void **state)
{
	struct hk_sk_file *sk = NULL;
	struct hk_key *pub = NULL;
	size_t i;

	(void)state;
	assert_int_equal(hk_sk_file_parse(EC_VECTOR, strlen(EC_VECTOR), &sk), 0);
	assert_int_equal(hk_key_type(sk->key), HK_KEY_ECDSA_SK);
	assert_string_equal(hk_key_sk_application(sk->key), "ssh:hwkey");
	assert_int_equal(sk->flags, 0x25);
	assert_int_equal(sk->key_handle_len, 64);
	for (i = 0; i < 64; i++)
		assert_int_equal(sk->key_handle[i], i);
	assert_string_equal(hk_key_comment(sk->key), "ecdsa vector");
	assert_int_equal(hk_key_parse(EC_PUB, strlen(EC_PUB), &pub), 0);
	assert_true(hk_key_equal(sk->key, pub));
	hk_key_free(pub);
	hk_sk_file_free(sk);
}

/* Replace the base64 body of ED_VECTOR by that of der. */
static char *
rearmour(const struct hk_buf *der)
{
	struct hk_buf *b = hk_buf_new();
	char *s;

	assert_int_equal(hk_buf_putf(b, "-----BEGIN OPENSSH PRIVATE KEY-----\n"), 0);
	assert_int_equal(hk_b64_encode(b, hk_buf_ptr(der), hk_buf_len(der), 70), 0);
	assert_int_equal(hk_buf_putf(b, "\n-----END OPENSSH PRIVATE KEY-----\n"), 0);
	assert_non_null(s = hk_buf_dup_string(b));
	hk_buf_free(b);
	return s;
}

/* ED_VECTOR decoded, one byte at off changed to v, parsed again. */
static int
parse_patched(size_t off, uint8_t v)
{
	const char *b = strchr(ED_VECTOR, '\n') + 1, *e = strstr(ED_VECTOR, "-----END");
	struct hk_buf *der = hk_buf_new();
	struct hk_sk_file *sk = NULL;
	char *t;
	int r;

	assert_int_equal(hk_b64_decode(der, b, (size_t)(e - b), HK_B64_SKIP_SPACE), 0);
	assert_true(off < hk_buf_len(der));
	hk_buf_mutable_ptr(der)[off] = v;
	t = rearmour(der);
	r = hk_sk_file_parse(t, strlen(t), &sk);
	assert_true(r != 0 || sk != NULL);
	hk_sk_file_free(sk);
	free(t);
	hk_buf_free(der);
	return r;
}

static void
test_parse_rejects(void **state)
{
	struct hk_sk_file *sk = NULL;
	char *t;
	/* Offsets into ED_VECTOR's binary: see PROTOCOL.key. */
	const size_t cipher = 15 + 4, priv = 15 + 8 + 8 + 4 + 4 + 4 + 74 + 4;

	(void)state;
	assert_int_equal(parse_patched(0, 'O'), HK_ERR_FORMAT_MALFORMED);	/* magic */
	assert_int_equal(parse_patched(cipher, 'a'), HK_ERR_NOT_SUPPORTED);	/* "aone" cipher */
	assert_int_equal(parse_patched(priv, 0xff), HK_ERR_FORMAT_MALFORMED);	/* checkints */
	assert_int_equal(parse_patched(priv + 8 + 40, 0x00),
	    HK_ERR_FORMAT_MALFORMED);	/* public fields differ */
	/* the last padding byte (2) */
	assert_int_equal(parse_patched(15 + 8 + 8 + 4 + 4 + 4 + 74 + 4 + 120 - 1, 0x07),
	    HK_ERR_FORMAT_MALFORMED);
	assert_null(sk);
	assert_int_equal(hk_sk_file_parse("", 0, &sk), HK_ERR_FORMAT_MALFORMED);
	t = strdup(ED_VECTOR);
	t[strlen(t) - 5] = '\0';	/* no END line */
	assert_int_equal(hk_sk_file_parse(t, strlen(t), &sk), HK_ERR_FORMAT_MALFORMED);
	free(t);
	assert_null(sk);
}

static void
test_write_rejects(void **state)
{
	struct hk_key *plain = NULL, *ed = ed_key();
	struct hk_buf *b = hk_buf_new();
	uint8_t pk[32] = { 1 };

	(void)state;
	assert_int_equal(hk_key_from_ed25519(pk, sizeof(pk), &plain), 0);
	assert_int_equal(hk_fmt_sk_write(plain, 1, pk, 4, NULL, 0, b),
	    HK_ERR_FORMAT_UNSUPPORTED);
	assert_int_equal(hk_fmt_sk_write(ed, 1, NULL, 0, NULL, 0, b),
	    HK_ERR_INVALID_ARGUMENT);
	hk_key_free(plain);
	hk_key_free(ed);
	hk_buf_free(b);
}

/* ssh-sk-attest-v01 as OpenSSH's fill_attestation_blob lays it out. */
static const char ATTEST_V01_HEX[] =
    "000000117373682d736b2d6174746573742d7630310000000530030201010000000830060201"
    "0102010200000027582500000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000";

static void
test_attest_blob(void **state)
{
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	static const uint8_t sig[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02 };
	uint8_t ad[39] = { 0x58, 0x25 }, want[200], *blob = NULL;
	struct hk_sk_attest *at = NULL;
	size_t len, i, n = strlen(ATTEST_V01_HEX) / 2;
	unsigned int v;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(ATTEST_V01_HEX + 2 * i, "%2x", &v), 1);
		want[i] = (uint8_t)v;
	}
	assert_int_equal(hk_sk_attest_write(cert, sizeof(cert), sig, sizeof(sig), ad,
	    sizeof(ad), &blob, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(blob, want, n);
	assert_int_equal(hk_sk_attest_parse(blob, len, &at), 0);
	assert_int_equal(at->version, 1);
	assert_int_equal(at->cert_len, sizeof(cert));
	assert_memory_equal(at->cert, cert, sizeof(cert));
	assert_memory_equal(at->signature, sig, sizeof(sig));
	assert_int_equal(at->authdata_len, sizeof(ad));
	hk_sk_attest_free(at);
	at = NULL;
	/* Truncated anywhere, or with a byte more: refused. */
	for (i = 0; i < len; i++)
		assert_int_equal(hk_sk_attest_parse(blob, i, &at), HK_ERR_FORMAT_MALFORMED);
	blob[4] = 'x';
	assert_int_equal(hk_sk_attest_parse(blob, len, &at), HK_ERR_FORMAT_MALFORMED);
	assert_null(at);
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_matches_vectors),
		cmocka_unit_test(test_write_random_checkint_roundtrip),
		cmocka_unit_test(test_parse_vectors),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_write_rejects),
		cmocka_unit_test(test_attest_blob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
