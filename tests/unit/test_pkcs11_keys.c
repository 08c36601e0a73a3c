/* PKCS#11 attribute decoding (tokens/pkcs11_keys.c) and the quirk table
 * (tokens/pkcs11_quirks.c): curves from CKA_EC_PARAMS in every encoding
 * tokens use, CKA_EC_POINT wrapped or raw, and which family a token is. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "pkcs11_int.h"

static void
test_curves(void **state)
{
	static const struct {
		const char *der;
		size_t len;
		enum hk_curve curve;
		int ed;
	} ok[] = {
		{ "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10, HK_CURVE_P256, 0 },
		{ "\x06\x05\x2b\x81\x04\x00\x22", 7, HK_CURVE_P384, 0 },
		{ "\x06\x05\x2b\x81\x04\x00\x23", 7, HK_CURVE_P521, 0 },
		{ "\x06\x03\x2b\x65\x70", 5, HK_CURVE_NONE, 1 },
		{ "\x13\x0c" "edwards25519", 14, HK_CURVE_NONE, 1 },
		{ "\x13\x0a" "prime256v1", 12, HK_CURVE_P256, 0 },
	};
	enum hk_curve c;
	size_t i;
	int ed;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		c = HK_CURVE_NONE;
		ed = -1;
		assert_int_equal(hk_p11_curve((const uint8_t *)ok[i].der, ok[i].len, &c, &ed), 0);
		assert_int_equal(c, ok[i].curve);
		assert_int_equal(ed, ok[i].ed);
	}
	/* Ed448 (1.3.101.113), secp256k1, a truncated OID: refused. */
	assert_int_equal(hk_p11_curve((const uint8_t *)"\x06\x03\x2b\x65\x71", 5, &c, &ed),
	    HK_ERR_EC_CURVE_UNKNOWN);
	assert_int_equal(hk_p11_curve((const uint8_t *)"\x06\x05\x2b\x81\x04\x00\x0a", 7,
	    &c, &ed), HK_ERR_EC_CURVE_UNKNOWN);
	assert_int_equal(hk_p11_curve((const uint8_t *)"\x06\x08\x2a\x86\x48", 5, &c, &ed),
	    HK_ERR_EC_CURVE_UNKNOWN);
}

static void
test_points(void **state)
{
	uint8_t raw[133], der[136];
	const uint8_t *p;
	size_t len;

	(void)state;
	memset(raw, 0xab, sizeof(raw));
	raw[0] = 0x04;
	/* P-256: raw 65 bytes, DER 04 41 || raw. */
	assert_int_equal(hk_p11_unwrap_point(raw, 65, 65, &p, &len), 0);
	assert_ptr_equal(p, raw);
	assert_int_equal(len, 65);
	der[0] = 0x04;
	der[1] = 0x41;
	memcpy(der + 2, raw, 65);
	assert_int_equal(hk_p11_unwrap_point(der, 67, 65, &p, &len), 0);
	assert_ptr_equal(p, der + 2);
	assert_int_equal(len, 65);
	/* P-521: long-form length 04 81 85. */
	der[1] = 0x81;
	der[2] = 0x85;
	memcpy(der + 3, raw, 133);
	assert_int_equal(hk_p11_unwrap_point(der, 136, 133, &p, &len), 0);
	assert_ptr_equal(p, der + 3);
	assert_int_equal(len, 133);
	/* Ed25519: raw 32, or 04 20 || 32 (SoftHSM, OpenSC, YKCS11). */
	assert_int_equal(hk_p11_unwrap_point(raw + 1, 32, 32, &p, &len), 0);
	der[1] = 0x20;
	memcpy(der + 2, raw + 1, 32);
	assert_int_equal(hk_p11_unwrap_point(der, 34, 32, &p, &len), 0);
	assert_ptr_equal(p, der + 2);
	/* Wrong sizes, wrong tag, a length that overruns or leaves bytes over. */
	assert_int_equal(hk_p11_unwrap_point(raw, 64, 65, &p, &len), HK_ERR_EC_POINT);
	der[0] = 0x03;
	der[1] = 0x41;
	assert_int_equal(hk_p11_unwrap_point(der, 67, 65, &p, &len), HK_ERR_EC_POINT);
	der[0] = 0x04;
	der[1] = 0x42;
	assert_int_equal(hk_p11_unwrap_point(der, 67, 65, &p, &len), HK_ERR_EC_POINT);
	der[1] = 0x41;
	assert_int_equal(hk_p11_unwrap_point(der, 68, 65, &p, &len), HK_ERR_EC_POINT);
	assert_int_equal(hk_p11_unwrap_point(der, 1, 65, &p, &len), HK_ERR_EC_POINT);
}

static void
pad(CK_UTF8CHAR *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', size);
	memcpy(dst, s, n < size ? n : size);
}

static const struct hk_p11_quirk *
quirk(const char *libdesc, int major, int minor, const char *manuf, const char *model)
{
	CK_INFO lib;
	CK_TOKEN_INFO ti;

	memset(&lib, 0, sizeof(lib));
	memset(&ti, 0, sizeof(ti));
	pad(lib.libraryDescription, sizeof(lib.libraryDescription), libdesc);
	lib.libraryVersion.major = (CK_BYTE)major;
	lib.libraryVersion.minor = (CK_BYTE)minor;
	pad(ti.manufacturerID, sizeof(ti.manufacturerID), manuf);
	pad(ti.model, sizeof(ti.model), model);
	return hk_p11_quirk_find(&lib, &ti);
}

static void
test_quirks(void **state)
{
	const struct hk_p11_quirk *q;

	(void)state;
	q = quirk("Implementation of PKCS11", 2, 6, "SoftHSM project", "SoftHSM v2");
	assert_non_null(q);
	assert_string_equal(q->family, "softhsm");
	/* No keygen quirk; only the rescan one (tests/unit/test_token_rescan.c). */
	assert_int_equal(q->flags, HK_P11Q_RESCAN_REINIT);

	/* YKCS11 2.2: minimal template, SO login, id = slot, few types. */
	q = quirk("PKCS#11 PIV Library (SP-800-73)", 2, 2, "Yubico (www.yubico.com)",
	    "YubiKey YK5");
	assert_non_null(q);
	assert_string_equal(q->family, "ykcs11");
	assert_true(q->flags & HK_P11Q_MINIMAL_TEMPLATE);
	assert_true(q->flags & HK_P11Q_KEYGEN_SO_LOGIN);
	assert_true(q->flags & HK_P11Q_ID_IS_SLOT);
	assert_int_equal(q->gen_mask, HK_KIND_BIT(HK_KIND_RSA2048) |
	    HK_KIND_BIT(HK_KIND_ECDSA_P256) | HK_KIND_BIT(HK_KIND_ECDSA_P384));
	assert_string_equal(q->so_prompt, "Management key");
	/* YKCS11 2.6 takes CKA_EXTRACTABLE and more types: mechanisms decide. */
	q = quirk("PKCS#11 PIV Library (SP-800-73)", 2, 6, "Yubico (www.yubico.com)",
	    "YubiKey YK5");
	assert_non_null(q);
	assert_false(q->flags & HK_P11Q_MINIMAL_TEMPLATE);
	assert_true(q->flags & HK_P11Q_KEYGEN_SO_LOGIN);
	assert_int_equal(q->gen_mask, 0);

	/* OpenSC: PIV cards never generate through PKCS#11, others may. */
	q = quirk("OpenSC smartcard framework", 0, 23, "piv_II", "PKCS#15 emulated");
	assert_non_null(q);
	assert_true(q->flags & HK_P11Q_NO_KEYGEN);
	q = quirk("OpenSC smartcard framework", 0, 23, "www.CardContact.de",
	    "PKCS#15 emulated");
	assert_non_null(q);
	assert_string_equal(q->family, "opensc");
	assert_false(q->flags & HK_P11Q_NO_KEYGEN);

	assert_null(quirk("Some HSM", 1, 0, "Acme", "HSM 9000"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curves),
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_quirks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
