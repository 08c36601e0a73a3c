/* PKCS#11 attribute decoding (tokens/pkcs11_keys.c) and the quirk table
 * (tokens/pkcs11_quirks.c): curves from CKA_EC_PARAMS in every encoding
 * tokens use (the DER made here by OpenSSL from the RFCs' dotted OIDs, not
 * copied from the production table), CKA_EC_POINT wrapped or raw, and which
 * family a token is. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "err.h"
#include "pkcs11_int.h"

/*
 * DER of an OID from its dotted form, by OpenSSL: an encoder independent of
 * the production table, so a wrong byte there fails here.
 */
static size_t
der_oid(const char *dotted, uint8_t *buf, size_t size)
{
	ASN1_OBJECT *o;
	unsigned char *p = buf;
	int n;

	assert_non_null(o = OBJ_txt2obj(dotted, 1));
	n = i2d_ASN1_OBJECT(o, NULL);
	assert_true(n > 0 && (size_t)n <= size);
	assert_int_equal(i2d_ASN1_OBJECT(o, &p), n);
	ASN1_OBJECT_free(o);
	return (size_t)n;
}

/* DER PrintableString (PKCS#11 3.0 lets CKA_EC_PARAMS name the curve). */
static size_t
der_printable(const char *name, uint8_t *buf, size_t size)
{
	size_t n = strlen(name);

	assert_true(n < 0x80 && n + 2 <= size);
	buf[0] = 0x13;
	buf[1] = (uint8_t)n;
	memcpy(buf + 2, name, n);
	return n + 2;
}

static void
test_curves(void **state)
{
	/* RFC 5480 section 2.1.1.1 (NIST curves), RFC 8410 section 3 (Ed25519). */
	static const struct {
		const char *oid;
		enum hk_curve curve;
		int ed;
	} oids[] = {
		{ "1.2.840.10045.3.1.7", HK_CURVE_P256, 0 },	/* secp256r1 */
		{ "1.3.132.0.34", HK_CURVE_P384, 0 },		/* secp384r1 */
		{ "1.3.132.0.35", HK_CURVE_P521, 0 },		/* secp521r1 */
		{ "1.3.101.112", HK_CURVE_NONE, 1 },		/* id-Ed25519 */
	};
	/* Names tokens put in CKA_EC_PARAMS instead (YKCS11, OpenSC). */
	static const struct {
		const char *name;
		enum hk_curve curve;
		int ed;
	} printable[] = {
		{ "edwards25519", HK_CURVE_NONE, 1 },
		{ "prime256v1", HK_CURVE_P256, 0 },
		{ "secp256r1", HK_CURVE_P256, 0 },
		{ "secp384r1", HK_CURVE_P384, 0 },
		{ "secp521r1", HK_CURVE_P521, 0 },
	};
	/* Near misses: Ed448, X25519, secp256k1, brainpoolP256r1, secp224r1. */
	static const char *const refused[] = {
		"1.3.101.113", "1.3.101.110", "1.3.132.0.10", "1.3.36.3.3.2.8.1.1.7",
		"1.3.132.0.33",
	};
	uint8_t der[64];
	enum hk_curve c;
	size_t i, len;
	int ed;

	(void)state;
	for (i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
		len = der_oid(oids[i].oid, der, sizeof(der));
		c = HK_CURVE_NONE;
		ed = -1;
		assert_int_equal(hk_p11_curve(der, len, &c, &ed), 0);
		assert_int_equal(c, oids[i].curve);
		assert_int_equal(ed, oids[i].ed);
		/* One byte short, or one over: not that curve. */
		assert_int_equal(hk_p11_curve(der, len - 1, &c, &ed), HK_ERR_EC_CURVE_UNKNOWN);
		der[len] = 0x01;
		assert_int_equal(hk_p11_curve(der, len + 1, &c, &ed), HK_ERR_EC_CURVE_UNKNOWN);
	}
	/* The encoding of the first by hand (X9.62: 06 08 2a 86 48 ce 3d 03 01 07). */
	len = der_oid(oids[0].oid, der, sizeof(der));
	assert_int_equal(len, 10);
	assert_memory_equal(der, "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10);
	for (i = 0; i < sizeof(printable) / sizeof(printable[0]); i++) {
		len = der_printable(printable[i].name, der, sizeof(der));
		c = HK_CURVE_NONE;
		ed = -1;
		assert_int_equal(hk_p11_curve(der, len, &c, &ed), 0);
		assert_int_equal(c, printable[i].curve);
		assert_int_equal(ed, printable[i].ed);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		len = der_oid(refused[i], der, sizeof(der));
		assert_int_equal(hk_p11_curve(der, len, &c, &ed), HK_ERR_EC_CURVE_UNKNOWN);
	}
	/* The name of a curve as a UTF8String, not a PrintableString: refused. */
	len = der_printable("secp384r1", der, sizeof(der));
	der[0] = 0x0c;
	assert_int_equal(hk_p11_curve(der, len, &c, &ed), HK_ERR_EC_CURVE_UNKNOWN);
	assert_int_equal(hk_p11_curve(der, 0, &c, &ed), HK_ERR_EC_CURVE_UNKNOWN);
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
