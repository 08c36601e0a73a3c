/* hk_token_decrypt and the keygen usage (tokens/pkcs11_decrypt.c,
 * token_keygen_req.c, token.c) on a SoftHSM2 token: a key made with
 * HK_KEY_USAGE_WINDOWS_PASSWORD decrypts what OpenSSL encrypted to its
 * public key (RSA PKCS#1 v1.5, as Cloudbase-init does); an SSH-only key is
 * refused from its CKA_DECRYPT before any C_Decrypt; another key's or a cut
 * ciphertext is HK_ERR_ENCRYPTED_DATA; non-RSA usage is refused before the
 * backend; a backend without the operation says so; the usage words. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "hk_softhsm.h"

#include "err.h"
#include "token_impl.h"

static char tmpdir[] = "/tmp/hk-decrypt.XXXXXX";
static int pin_asks;

static int
ui_secret(void *arg, enum hk_ui_secret which, const char *prompt, struct hk_secret **secp)
{
	(void)arg;
	(void)prompt;
	assert_int_equal(which, HK_UI_SECRET_PIN);
	pin_asks++;
	return hk_secret_new("1234", 4, secp);
}

static const struct hk_ui ui = { .secret = ui_secret };

static int
setup(void **state)
{
	(void)state;
	return hk_test_softhsm_setup(tmpdir, "dec");
}

static int
teardown(void **state)
{
	(void)state;
	return hk_test_softhsm_teardown(tmpdir);
}

static struct hk_token_key *
make_key(struct hk_token *tok, enum hk_kind kind, const char *label, unsigned int usage,
    int want)
{
	struct hk_keygen_req *req;
	struct hk_token_key *k = NULL;

	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_set_kind(req, kind), 0);
	assert_int_equal(hk_keygen_req_set_label(req, label), 0);
	assert_int_equal(hk_keygen_req_set_usage(req, usage), 0);
	assert_int_equal(hk_token_keygen(tok, req, &k), want);
	hk_keygen_req_free(req);
	return k;
}

/* What a cloud does: RSA PKCS#1 v1.5 to the key's public half (via its SPKI PEM). */
static size_t
encrypt_to(const struct hk_token_key *k, const char *msg, uint8_t *out, size_t size)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey;
	BIO *bio;
	char *pem = NULL;
	size_t len = size;

	assert_int_equal(hk_key_write(k->key, HK_FMT_PEM, &pem), 0);
	assert_non_null(bio = BIO_new_mem_buf(pem, -1));
	assert_non_null(pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL));
	assert_non_null(ctx = EVP_PKEY_CTX_new(pkey, NULL));
	assert_true(EVP_PKEY_encrypt_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_encrypt(ctx, out, &len, (const unsigned char *)msg,
	    strlen(msg)) > 0);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	free(pem);
	return len;
}

static void
test_decrypt_softhsm(void **state)
{
	static const char msg[] = "Q7!xr=Kd2mPz:w9A";
	struct hk_tokens *ts = NULL;
	struct hk_token *tok = NULL;
	struct hk_token_key *win, *ssh, *other, *ec;
	struct hk_secret *pw = NULL;
	uint8_t ct[512], ct2[512];
	size_t n, n2;

	(void)state;
	pin_asks = 0;
	assert_int_equal(hk_tokens_open(HK_TEST_SOFTHSM_MODULE, &ts), 0);
	assert_int_equal(hk_token_select(ts, "pkcs11:token=dec", &tok), 0);
	hk_token_set_ui(tok, &ui);

	win = make_key(tok, HK_KIND_RSA2048, "win",
	    HK_KEY_USAGE_SSH | HK_KEY_USAGE_WINDOWS_PASSWORD, 0);
	ssh = make_key(tok, HK_KIND_RSA2048, "ssh", 0, 0);
	other = make_key(tok, HK_KIND_RSA2048, "other", HK_KEY_USAGE_WINDOWS_PASSWORD, 0);
	/* The usage as read back from the token, not from the template. */
	assert_true((win->known & HK_TKEY_F_DECRYPT) != 0);
	assert_true((win->flags & HK_TKEY_F_DECRYPT) != 0);
	assert_true((ssh->known & HK_TKEY_F_DECRYPT) != 0);
	assert_true((ssh->flags & HK_TKEY_F_DECRYPT) == 0);
	assert_true(hk_token_key_proven(win));
	assert_string_equal(hk_token_key_flag_name(HK_TKEY_F_DECRYPT), "decrypt");
	/* Only RSA may decrypt Windows passwords: refused before the backend. */
	ec = make_key(tok, HK_KIND_ED25519, "ec", HK_KEY_USAGE_WINDOWS_PASSWORD,
	    HK_ERR_KEY_USAGE);
	assert_null(ec);
	assert_non_null(strstr(hk_token_error(tok)->message, "needs an RSA key"));

	/* The round trip, with one login for everything. */
	n = encrypt_to(win, msg, ct, sizeof(ct));
	assert_int_equal(n, 256);
	assert_int_equal(hk_token_decrypt(tok, win, HK_DECRYPT_RSA_PKCS1, ct, n, &pw), 0);
	assert_int_equal(hk_secret_len(pw), strlen(msg));
	assert_string_equal(hk_secret_str(pw), msg);
	hk_secret_free(pw);
	pw = NULL;
	assert_int_equal(pin_asks, 1);

	/* An SSH-only key: its CKA_DECRYPT refuses, saying how to make one. */
	n2 = encrypt_to(ssh, msg, ct2, sizeof(ct2));
	assert_int_equal(hk_token_decrypt(tok, ssh, HK_DECRYPT_RSA_PKCS1, ct2, n2, &pw),
	    HK_ERR_KEY_USAGE);
	assert_null(pw);
	assert_non_null(strstr(hk_token_error(tok)->message, "CKA_DECRYPT is false"));
	assert_non_null(strstr(hk_token_error(tok)->message, "--usage ssh,windows-password"));
	assert_int_equal(hk_err_exit(HK_ERR_KEY_USAGE), HK_EXIT_KEY_USAGE);

	/* Another key pair's ciphertext, and a cut one. */
	assert_int_equal(hk_token_decrypt(tok, other, HK_DECRYPT_RSA_PKCS1, ct, n, &pw),
	    HK_ERR_ENCRYPTED_DATA);
	assert_non_null(strstr(hk_token_error(tok)->message, "another key pair"));
	assert_int_equal(hk_token_decrypt(tok, win, HK_DECRYPT_RSA_PKCS1, ct, n - 1, &pw),
	    HK_ERR_ENCRYPTED_DATA);
	assert_non_null(strstr(hk_token_error(tok)->message, "255 bytes"));
	assert_null(pw);
	/* After the failures the session still decrypts (no operation left active). */
	assert_int_equal(hk_token_decrypt(tok, win, HK_DECRYPT_RSA_PKCS1, ct, n, &pw), 0);
	assert_string_equal(hk_secret_str(pw), msg);
	hk_secret_free(pw);
	pw = NULL;
	/* Nothing to decrypt, or no key. */
	assert_int_equal(hk_token_decrypt(tok, win, HK_DECRYPT_RSA_PKCS1, ct, 0, &pw),
	    HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_token_decrypt(tok, NULL, HK_DECRYPT_RSA_PKCS1, ct, n, &pw),
	    HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(pin_asks, 1);

	hk_token_key_free(win);
	hk_token_key_free(ssh);
	hk_token_key_free(other);
	hk_token_free(tok);
	hk_tokens_free(ts);
}

/* ---- a backend without the operation ---- */

static struct hk_token_info fake_info = { .backend = "plain", .label = (char *)"p",
    .uri = (char *)"plain:p" };
static struct hk_token_info *fake_infos[] = { &fake_info };

static int
plain_load(const char *module, void **ctxp)
{
	(void)module;
	*ctxp = NULL;
	return 0;
}

static void
plain_unload(void *ctx)
{
	(void)ctx;
}

static int
plain_enumerate(void *ctx, struct hk_token_info *const **infosp, size_t *np)
{
	(void)ctx;
	*infosp = fake_infos;
	*np = 1;
	return 0;
}

static int
plain_open(void *ctx, const char *uri, struct hk_token *tok)
{
	(void)ctx;
	(void)uri;
	tok->info = &fake_info;
	return 0;
}

static void
plain_close(struct hk_token *tok)
{
	(void)tok;
}

static const struct hk_token_impl plain_impl = {
	.name = "plain",
	.scheme = "plain:",
	.load = plain_load,
	.unload = plain_unload,
	.enumerate = plain_enumerate,
	.open = plain_open,
	.close = plain_close,
};

static void
test_decrypt_not_supported(void **state)
{
	static const struct hk_token_impl *const impls[] = { &plain_impl, NULL };
	static const uint8_t ct[4] = { 1, 2, 3, 4 };
	struct hk_tokens *ts = NULL;
	struct hk_token *tok = NULL;
	struct hk_token_key *k;
	struct hk_secret *pw = NULL;

	(void)state;
	assert_int_equal(hk_tokens_open_backends(impls, NULL, &ts), 0);
	assert_int_equal(hk_token_select(ts, "plain:p", &tok), 0);
	assert_non_null(k = hk_token_key_new(&plain_impl));
	assert_int_equal(hk_token_decrypt(tok, k, HK_DECRYPT_RSA_PKCS1, ct, sizeof(ct), &pw),
	    HK_ERR_NOT_SUPPORTED);
	assert_null(pw);
	assert_non_null(strstr(hk_token_error(tok)->message, "decrypt"));
	hk_token_key_free(k);
	hk_token_free(tok);
	hk_tokens_free(ts);
}

static void
test_usage_words(void **state)
{
	struct hk_keygen_req *req;
	unsigned int u = 99;
	char buf[64];

	(void)state;
	assert_int_equal(hk_key_usage_parse("ssh", &u), 0);
	assert_int_equal(u, HK_KEY_USAGE_SSH);
	assert_int_equal(hk_key_usage_parse("ssh,windows-password", &u), 0);
	assert_int_equal(u, HK_KEY_USAGE_SSH | HK_KEY_USAGE_WINDOWS_PASSWORD);
	assert_int_equal(hk_key_usage_parse("windows-password", &u), 0);
	assert_int_equal(u, HK_KEY_USAGE_WINDOWS_PASSWORD);
	assert_string_equal(hk_key_usage_names(HK_KEY_USAGE_ALL, buf, sizeof(buf)),
	    "ssh,windows-password");
	assert_int_equal(hk_key_usage_parse("ssh,rdp", &u), HK_ERR_USAGE);
	assert_int_equal(u, 0);
	assert_non_null(strstr(hk_err_detail(), "\"rdp\""));
	assert_int_equal(hk_key_usage_parse("", &u), HK_ERR_USAGE);
	assert_int_equal(hk_key_usage_parse("windows", &u), HK_ERR_USAGE);	/* no prefixes */
	/* The request: ssh by default, unknown bits refused, what was set kept. */
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_usage(req), HK_KEY_USAGE_SSH);
	assert_int_equal(hk_keygen_req_set_usage(req, HK_KEY_USAGE_WINDOWS_PASSWORD), 0);
	assert_int_equal(hk_keygen_req_usage(req), HK_KEY_USAGE_WINDOWS_PASSWORD);
	assert_int_equal(hk_keygen_req_set_usage(req, 0x80), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_usage(req), HK_KEY_USAGE_WINDOWS_PASSWORD);
	assert_int_equal(hk_keygen_req_set_usage(NULL, 1), HK_ERR_INVALID_ARGUMENT);
	hk_keygen_req_free(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decrypt_softhsm, setup, teardown),
		cmocka_unit_test(test_decrypt_not_supported),
		cmocka_unit_test(test_usage_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
