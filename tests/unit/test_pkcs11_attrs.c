/* The batched attribute reader (tokens/pkcs11_attrs.c) against a fake
 * C_GetAttributeValue: what it answers per attribute, how many calls it
 * makes, and the module behaviours SoftHSM never shows (a batch refused as
 * a whole, a value grown between the size query and the read, a too-small
 * buffer answered with the size it needs, a device failing mid-read). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "pkcs11_int.h"

struct fake_attr {
	CK_ATTRIBUTE_TYPE type;
	const char *val;
	CK_ULONG len;
	int sensitive;
};

/* One object: its attributes and how the fake module misbehaves. */
static struct {
	struct fake_attr a[8];
	size_t n;
	int refuse_batches;	/* CKR_FUNCTION_FAILED for any template of 2 or more */
	int grow_after;		/* from this call on, every value is one byte longer */
	int leave_size;		/* BUFFER_TOO_SMALL writes the size it needs */
	int fail_at;		/* this call fails with CKR_DEVICE_ERROR */
	int calls;
} obj;

static CK_RV
fake_gav(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	static const char grown[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	CK_RV rv = CKR_OK;
	CK_ULONG i, len;
	size_t j;

	(void)s;
	(void)h;
	obj.calls++;
	if (obj.fail_at == obj.calls)
		return CKR_DEVICE_ERROR;
	if (obj.refuse_batches && n > 1)
		return CKR_FUNCTION_FAILED;
	for (i = 0; i < n; i++) {
		for (j = 0; j < obj.n && obj.a[j].type != tmpl[i].type; j++)
			;
		if (j == obj.n || obj.a[j].sensitive) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = j == obj.n ? CKR_ATTRIBUTE_TYPE_INVALID : CKR_ATTRIBUTE_SENSITIVE;
			continue;
		}
		len = obj.a[j].len + (obj.grow_after && obj.calls >= obj.grow_after);
		if (tmpl[i].pValue == NULL) {
			tmpl[i].ulValueLen = len;
		} else if (tmpl[i].ulValueLen < len) {
			tmpl[i].ulValueLen = obj.leave_size ? len : CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(tmpl[i].pValue, len > obj.a[j].len ? grown : obj.a[j].val, len);
			tmpl[i].ulValueLen = len;
		}
	}
	return rv;
}

static CK_FUNCTION_LIST fake = { .C_GetAttributeValue = fake_gav };
static char tok_label[] = "fake";
static struct hk_token_info info = { .label = tok_label };
static struct hk_p11_tok p11tok = { .f = &fake, .have_sess = 1 };
static struct hk_token tok = { .be = &p11tok, .info = &info };

static const CK_ULONG ec = CKK_EC;

static int
setup(void **state)
{
	(void)state;
	memset(&obj, 0, sizeof(obj));
	obj.a[obj.n++] = (struct fake_attr){ CKA_KEY_TYPE, (const char *)&ec, sizeof(ec), 0 };
	obj.a[obj.n++] = (struct fake_attr){ CKA_ID, "\x01\x02\x03", 3, 0 };
	obj.a[obj.n++] = (struct fake_attr){ CKA_LABEL, "my key", 6, 0 };
	obj.a[obj.n++] = (struct fake_attr){ CKA_EC_POINT, "\x04\x01\xaa", 3, 0 };
	obj.a[obj.n++] = (struct fake_attr){ CKA_VALUE, "secret", 6, 1 };
	obj.a[obj.n++] = (struct fake_attr){ CKA_SUBJECT, "", 0, 0 };
	return 0;
}

/* KEY_TYPE fixed; ID, LABEL, EC_POINT there; MODULUS absent; VALUE sensitive. */
struct tmpl {
	CK_ULONG kt;
	CK_ATTRIBUTE a[6];
};

static void
tmpl_init(struct tmpl *t)
{
	memset(t, 0, sizeof(*t));
	t->a[0] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &t->kt, sizeof(t->kt) };
	t->a[1] = (CK_ATTRIBUTE){ CKA_ID, NULL, 0 };
	t->a[2] = (CK_ATTRIBUTE){ CKA_LABEL, NULL, 0 };
	t->a[3] = (CK_ATTRIBUTE){ CKA_MODULUS, NULL, 0 };
	t->a[4] = (CK_ATTRIBUTE){ CKA_EC_POINT, NULL, 0 };
	t->a[5] = (CK_ATTRIBUTE){ CKA_VALUE, NULL, 0 };
}

static void
assert_values(const struct tmpl *t)
{
	assert_int_equal(t->a[0].ulValueLen, sizeof(CK_ULONG));
	assert_int_equal(t->kt, CKK_EC);
	assert_int_equal(t->a[1].ulValueLen, 3);
	assert_memory_equal(t->a[1].pValue, "\x01\x02\x03", 3);
	assert_int_equal(t->a[2].ulValueLen, 6);
	assert_string_equal(t->a[2].pValue, "my key");	/* NUL-terminated */
	assert_null(t->a[3].pValue);
	assert_int_equal(t->a[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(t->a[4].ulValueLen, 3);
	assert_memory_equal(t->a[4].pValue, "\x04\x01\xaa", 3);
	assert_null(t->a[5].pValue);
	assert_int_equal(t->a[5].ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void
test_two_calls(void **state)
{
	struct tmpl t;
	void *block = NULL;

	(void)state;
	tmpl_init(&t);
	assert_int_equal(hk_p11_attrs_get(&tok, 1, t.a, 6, 0, &block), 0);
	assert_int_equal(obj.calls, 2);	/* sizes (and the key type), then values */
	assert_non_null(block);
	assert_values(&t);
	free(block);
}

static void
test_fixed_only(void **state)
{
	CK_ULONG kt = 0;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	void *block = &a;

	(void)state;
	assert_int_equal(hk_p11_attrs_get(&tok, 1, &a, 1, 0, &block), 0);
	assert_int_equal(obj.calls, 1);
	assert_null(block);
	assert_int_equal(kt, CKK_EC);
}

static void
test_empty_value(void **state)
{
	CK_ATTRIBUTE a[2] = { { CKA_SUBJECT, NULL, 0 }, { CKA_MODULUS, NULL, 0 } };
	void *block = NULL;

	(void)state;
	/* An empty value needs no read; an absent one none either. */
	assert_int_equal(hk_p11_attrs_get(&tok, 1, a, 2, 0, &block), 0);
	assert_int_equal(obj.calls, 1);
	assert_non_null(a[0].pValue);
	assert_int_equal(a[0].ulValueLen, 0);
	assert_string_equal(a[0].pValue, "");
	assert_null(a[1].pValue);
	free(block);
}

static void
test_refused_batch(void **state)
{
	struct tmpl t;
	void *block = &t;

	(void)state;
	obj.refuse_batches = 1;
	tmpl_init(&t);
	assert_int_equal(hk_p11_attrs_get(&tok, 1, t.a, 6, 0, &block), HK_ERR_NOT_FOUND);
	assert_int_equal(obj.calls, 1);
	assert_null(block);
	assert_int_equal(t.a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_null(t.a[2].pValue);
	assert_int_equal(t.a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* One by one: each attribute in phase 1, each value there in phase 2. */
	obj.calls = 0;
	tmpl_init(&t);
	assert_int_equal(hk_p11_attrs_get(&tok, 1, t.a, 6, HK_P11_ATTRS_EACH, &block), 0);
	assert_int_equal(obj.calls, 6 + 3);
	assert_values(&t);
	free(block);
}

static void
test_grown_value(void **state)
{
	struct tmpl t;
	void *block = NULL;

	(void)state;
	obj.grow_after = 2;	/* the read finds every value longer than its size */
	tmpl_init(&t);
	assert_int_equal(hk_p11_attrs_get(&tok, 1, t.a, 6, 0, &block), 0);
	assert_int_equal(obj.calls, 2);
	assert_int_equal(t.kt, CKK_EC);
	assert_null(t.a[1].pValue);
	assert_int_equal(t.a[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_null(t.a[4].pValue);
	free(block);
	/* A module that leaves the size it needs must not get it believed. */
	obj.calls = 0;
	obj.leave_size = 1;
	tmpl_init(&t);
	assert_int_equal(hk_p11_attrs_get(&tok, 1, t.a, 6, 0, &block), 0);
	assert_null(t.a[2].pValue);
	assert_int_equal(t.a[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	free(block);
}

static void
test_small_fixed_buffer(void **state)
{
	uint8_t buf[2];
	CK_ATTRIBUTE a[2] = { { CKA_ID, buf, sizeof(buf) }, { CKA_LABEL, NULL, 0 } };
	void *block = NULL;

	(void)state;
	obj.leave_size = 1;
	assert_int_equal(hk_p11_attrs_get(&tok, 1, a, 2, 0, &block), 0);
	assert_int_equal(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_ptr_equal(a[0].pValue, buf);
	assert_string_equal(a[1].pValue, "my key");
	free(block);
}

static void
test_device_error(void **state)
{
	struct tmpl t;
	void *block = &t;

	(void)state;
	obj.fail_at = 2;
	tmpl_init(&t);
	assert_int_equal(hk_p11_attrs_get(&tok, 1, t.a, 6, 0, &block), HK_ERR_DEVICE);
	assert_non_null(strstr(hk_err_detail(), "C_GetAttributeValue"));
	assert_non_null(strstr(hk_err_detail(), "CKR_DEVICE_ERROR"));
	assert_null(block);
	/* Nothing from the half-done read may be taken for a value. */
	assert_int_equal(t.a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_null(t.a[1].pValue);
	assert_int_equal(t.a[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void
test_one_attr(void **state)
{
	uint8_t *v = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(hk_p11_attr(&tok, 1, CKA_LABEL, &v, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal((char *)v, "my key");
	free(v);
	assert_int_equal(hk_p11_attr(&tok, 1, CKA_MODULUS, &v, &len), HK_ERR_NOT_FOUND);
	assert_null(v);
	assert_int_equal(hk_p11_attr(&tok, 1, CKA_VALUE, &v, &len), HK_ERR_NOT_FOUND);
	assert_int_equal(obj.calls, 2 + 1 + 1);
}

static void
test_too_many(void **state)
{
	CK_ATTRIBUTE a[HK_P11_ATTRS_MAX + 1];
	void *block = NULL;

	(void)state;
	memset(a, 0, sizeof(a));
	assert_int_equal(hk_p11_attrs_get(&tok, 1, a, HK_P11_ATTRS_MAX + 1, 0, &block),
	    HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(obj.calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_two_calls, setup),
		cmocka_unit_test_setup(test_fixed_only, setup),
		cmocka_unit_test_setup(test_empty_value, setup),
		cmocka_unit_test_setup(test_refused_batch, setup),
		cmocka_unit_test_setup(test_grown_value, setup),
		cmocka_unit_test_setup(test_small_fixed_buffer, setup),
		cmocka_unit_test_setup(test_device_error, setup),
		cmocka_unit_test_setup(test_one_attr, setup),
		cmocka_unit_test_setup(test_too_many, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
