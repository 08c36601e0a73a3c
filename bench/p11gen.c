/* p11gen MODULE TOKEN-LABEL N: the floor for "hwkey keygen --count N": one
 * login, then N C_GenerateKeyPair (EC P-256, hwkey's template) timed alone.
 * The PIN comes from $HK_BENCH_PIN. Built by bench/token.sh, not by CMake.
 * The module runs as it does under hwkey (p11-kit initializes every module
 * with CKF_OS_LOCKING_OK): SoftHSM takes its mutexes only when asked to,
 * which is ~9% of the instructions of its C_GenerateKeyPair. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
die(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11gen: %s: 0x%lx\n", what, (unsigned long)rv);
	return 1;
}

int
main(int argc, char **argv)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_C_GetFunctionList getlist;
	CK_FUNCTION_LIST *p;
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, i;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv;
	char label[64], want[32];
	unsigned char id[16];
	const char *pin = getenv("HK_BENCH_PIN");
	double t0, total = 0;
	long n, k;
	void *dl;

	if (argc != 4 || pin == NULL || (n = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: HK_BENCH_PIN=... p11gen MODULE TOKEN-LABEL N\n");
		return 2;
	}
	if ((dl = dlopen(argv[1], RTLD_NOW)) == NULL ||
	    (*(void **)&getlist = dlsym(dl, "C_GetFunctionList")) == NULL) {
		fprintf(stderr, "p11gen: %s: %s\n", argv[1], dlerror());
		return 1;
	}
	if ((rv = getlist(&p)) != CKR_OK || (rv = p->C_Initialize(&init)) != CKR_OK)
		return die("C_Initialize", rv);
	if ((rv = p->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		return die("C_GetSlotList", rv);
	memset(want, ' ', sizeof(want));
	memcpy(want, argv[2], strlen(argv[2]) < 32 ? strlen(argv[2]) : 32);
	for (i = 0; i < nslots; i++)
		if (p->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, 32) == 0)
			break;
	if (i == nslots)
		return die("no such token", 0);
	if ((rv = p->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s)) != CKR_OK)
		return die("C_OpenSession", rv);
	if ((rv = p->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) != CKR_OK)
		return die("C_Login", rv);
	for (k = 0; k < n; k++) {
		CK_ATTRIBUTE pub[] = {
			{ CKA_TOKEN, &t, 1 }, { CKA_LABEL, label, 0 }, { CKA_ID, id, sizeof(id) },
			{ CKA_VERIFY, &t, 1 }, { CKA_PRIVATE, &f, 1 }, { CKA_ENCRYPT, &f, 1 },
			{ CKA_VERIFY_RECOVER, &f, 1 }, { CKA_WRAP, &f, 1 }, { CKA_DERIVE, &f, 1 },
			{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		};
		CK_ATTRIBUTE priv[] = {
			{ CKA_TOKEN, &t, 1 }, { CKA_LABEL, label, 0 }, { CKA_ID, id, sizeof(id) },
			{ CKA_PRIVATE, &t, 1 }, { CKA_SENSITIVE, &t, 1 }, { CKA_SIGN, &t, 1 },
			{ CKA_DECRYPT, &f, 1 }, { CKA_SIGN_RECOVER, &f, 1 }, { CKA_UNWRAP, &f, 1 },
			{ CKA_DERIVE, &f, 1 }, { CKA_EXTRACTABLE, &f, 1 },
		};

		snprintf(label, sizeof(label), "p11gen-%ld", k + 1);
		pub[1].ulValueLen = priv[1].ulValueLen = strlen(label);
		memset(id, 0, sizeof(id));
		memcpy(id, &k, sizeof(k));
		id[15] = 0x99;
		t0 = now();
		rv = p->C_GenerateKeyPair(s, &mech, pub, sizeof(pub) / sizeof(pub[0]),
		    priv, sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv);
		total += now() - t0;
		if (rv != CKR_OK)
			return die("C_GenerateKeyPair", rv);
	}
	printf("%.6f\n", total);
	p->C_Logout(s);
	p->C_CloseSession(s);
	p->C_Finalize(NULL);
	return 0;
}
