/* hk_fido2_sign's checks before it asks the device (tokens/fido2_assert.c):
 * what the OpenSSH middleware must refuse without a round trip, and the
 * output left cleared on every refusal. The signatures themselves are proved
 * against hwkey-fido2sim in tests/integration/test_sk_middleware.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "fido2_int.h"

static const uint8_t kh[16] = { 1, 2, 3 };
static const uint8_t msg[] = "data";

struct dev {
	fido_dev_t *dev;
};

static int
setup(void **state)
{
	struct dev *d = calloc(1, sizeof(*d));

	hk_fido2_init();
	/* A device never opened: nothing here may reach it. */
	if (d == NULL || (d->dev = fido_dev_new()) == NULL)
		return -1;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dev *d = *state;

	fido_dev_free(&d->dev);
	free(d);
	return 0;
}

static int
sign(fido_dev_t *dev, int alg, const char *app, const uint8_t *h, size_t hlen,
    uint8_t flags, const char *pin, struct hk_fido2_sig *sig)
{
	memset(sig, 0xa5, sizeof(*sig));	/* must come back cleared */
	hk_err_clear();
	return hk_fido2_sign(dev, "fido:unix:/nowhere", alg, app, h, hlen, msg,
	    sizeof(msg) - 1, flags, pin, NULL, sig);
}

static void
assert_cleared(const struct hk_fido2_sig *sig)
{
	assert_null(sig->sig_r);
	assert_null(sig->sig_s);
	assert_int_equal(sig->sig_r_len, 0);
	assert_int_equal(sig->counter, 0);
	assert_int_equal(sig->sk_flags, 0);
}

static void
test_refusals(void **state)
{
	struct dev *d = *state;
	struct hk_fido2_sig sig;

	assert_int_equal(sign(d->dev, -257, "ssh:", kh, sizeof(kh), 0x01, NULL, &sig),
	    HK_ERR_MECHANISM);
	assert_non_null(strstr(hk_err_detail(), "COSE algorithm -257"));
	assert_cleared(&sig);

	assert_int_equal(sign(d->dev, COSE_ES256, "https://example.com", kh, sizeof(kh),
	    0x01, NULL, &sig), HK_ERR_SK_APPLICATION);
	assert_non_null(strstr(hk_err_detail(), "does not start with \"ssh:\""));
	assert_cleared(&sig);

	assert_int_equal(sign(d->dev, COSE_EDDSA, NULL, kh, sizeof(kh), 0x01, NULL, &sig),
	    HK_ERR_SK_APPLICATION);
	assert_cleared(&sig);

	assert_int_equal(sign(d->dev, COSE_EDDSA, "ssh:", NULL, 0, 0x01, NULL, &sig),
	    HK_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(hk_err_detail(), "no key handle"));
	assert_cleared(&sig);
}

/* verify-required without a PIN: only built-in UV could do, and a device
 * that has none (an unopened one reports none) gets the PIN asked for. */
static void
test_uv_needs_pin(void **state)
{
	struct dev *d = *state;
	struct hk_fido2_sig sig;

	assert_int_equal(sign(d->dev, COSE_ES256, "ssh:", kh, sizeof(kh), 0x05, NULL, &sig),
	    HK_ERR_PIN_REQUIRED);
	assert_non_null(strstr(hk_err_detail(), "give its PIN"));
	assert_non_null(strstr(hk_err_detail(), "fido:unix:/nowhere"));
	assert_cleared(&sig);
}

static void
test_sig_clear(void **state)
{
	struct hk_fido2_sig sig = { 0 };

	(void)state;
	hk_fido2_sig_clear(NULL);
	sig.sig_r = malloc(32);
	sig.sig_s = malloc(32);
	sig.sig_r_len = sig.sig_s_len = 32;
	sig.counter = 7;
	hk_fido2_sig_clear(&sig);
	assert_cleared(&sig);
	hk_fido2_sig_clear(&sig);	/* twice is fine */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uv_needs_pin, setup, teardown),
		cmocka_unit_test(test_sig_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
