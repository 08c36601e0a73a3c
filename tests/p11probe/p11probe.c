/* p11probe MODULE TOKEN-LABEL ID-HEX: log in (PIN from $HK_PROBE_PIN), find
 * the private key with that CKA_ID and try to read its secret attributes;
 * prints "ATTRIBUTE CKR_NAME" per attempt. Test helper, independent of hwkey. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

static const char *
rvname(CK_RV rv)
{
	static char buf[32];

	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
	case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
	case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
	}
	snprintf(buf, sizeof(buf), "CKR_0x%lx", (unsigned long)rv);
	return buf;
}

static void
probe(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, const char *name)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	unsigned char buf[4096];
	CK_RV rv;

	rv = f->C_GetAttributeValue(s, h, &a, 1);
	if (rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION &&
	    a.ulValueLen <= sizeof(buf)) {
		a.pValue = buf;
		rv = f->C_GetAttributeValue(s, h, &a, 1);
	}
	printf("%s %s\n", name, rvname(rv));
}

int
main(int argc, char **argv)
{
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i, found = 0;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE h;
	CK_KEY_TYPE kt;
	unsigned char id[64];
	size_t idlen = 0;
	const char *pin = getenv("HK_PROBE_PIN");
	char *label;
	CK_RV rv;

	if (argc != 4 || pin == NULL) {
		fprintf(stderr, "usage: HK_PROBE_PIN=.. p11probe MODULE LABEL IDHEX\n");
		return 2;
	}
	for (; argv[3][2 * idlen] != '\0' && idlen < sizeof(id); idlen++)
		if (sscanf(argv[3] + 2 * idlen, "%2hhx", &id[idlen]) != 1)
			return 2;
	if ((f = p11_kit_module_load(argv[1], 0)) == NULL ||
	    p11_kit_module_initialize(f) != CKR_OK) {
		fprintf(stderr, "p11probe: cannot load %s\n", argv[1]);
		return 1;
	}
	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return 1;
	for (i = 0; i < n; i++) {
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		label = p11_kit_space_strdup(ti.label, sizeof(ti.label));
		if (strcmp(label, argv[2]) == 0)
			found = 1;
		free(label);
		if (found)
			break;
	}
	if (!found) {
		fprintf(stderr, "p11probe: no token %s\n", argv[2]);
		return 1;
	}
	if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return 1;
	if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin))) != CKR_OK) {
		printf("C_Login %s\n", rvname(rv));
		return 1;
	}
	CK_ATTRIBUTE tmpl[2] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, id, idlen } };
	if (f->C_FindObjectsInit(s, tmpl, 2) != CKR_OK ||
	    f->C_FindObjects(s, &h, 1, &n) != CKR_OK)
		return 1;
	f->C_FindObjectsFinal(s);
	if (n != 1) {
		fprintf(stderr, "p11probe: no private key with id %s\n", argv[3]);
		return 1;
	}
	CK_ATTRIBUTE ka = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	if (f->C_GetAttributeValue(s, h, &ka, 1) != CKR_OK)
		return 1;
	if (kt == CKK_RSA) {
		probe(f, s, h, CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT");
		probe(f, s, h, CKA_PRIME_1, "CKA_PRIME_1");
	} else {
		probe(f, s, h, CKA_VALUE, "CKA_VALUE");
	}
	f->C_Logout(s);
	f->C_CloseSession(s);
	p11_kit_module_finalize(f);
	p11_kit_module_release(f);
	return 0;
}
