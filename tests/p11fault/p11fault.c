/* libp11fault.so: a PKCS#11 module that forwards every call to a real module
 * (SoftHSM by default), numbering and logging the calls, and failing the ones
 * the environment names. Tests use it to make a token die at each step. */
/*
 * Environment:
 *   HK_P11FAULT_MODULE=PATH   the real module (default: SoftHSM 2)
 *   HK_P11FAULT_LOG=FILE      append "<n> <C_Function> <CKR_name>" per call
 *                             (" injected" added when this module chose the rv)
 *   HK_P11FAULT_TIME=1        add " us=<microseconds>" spent in the real module
 *   HK_P11FAULT_FAIL=SPEC[,SPEC...]       SPEC = C_Function:<nth>:<CKR>[:after]
 *   HK_P11FAULT_FAIL_CALL=SPEC[,SPEC...]  SPEC = <n>:<CKR>[:after]
 * <nth> counts calls of that function, <n> all calls (from 1, C_GetFunctionList
 * included). A failed call is not forwarded and has no effect on the token;
 * with ":after" it is forwarded first and its result replaced, as when a device
 * dies after doing the work but before answering. <CKR> is a CKR_ name or a
 * number (0x30).
 *   HK_P11FAULT_DELAY=C_Function:<ms>[,...]  sleep before forwarding that function
 *                             (a slow device: real hardware takes ~1 s per keygen)
 *   HK_P11FAULT_REMOVED=FILE  tokens named in FILE (one label or serial per
 *                             line) are pulled out: their slot calls answer
 *                             CKR_TOKEN_NOT_PRESENT, their session calls
 *                             CKR_DEVICE_REMOVED, while FILE names them
 *   HK_P11FAULT_PULL=LABEL:C_Function[:after]  pull token LABEL (append it to
 *                             the REMOVED file) at its first call of C_Function:
 *                             that call already fails, or with ":after" is
 *                             forwarded first (the work is done, the answer lost)
 *   HK_P11FAULT_GUARD=FILE    hold a shared flock on FILE while any call is inside
 *                             the real module: a test that takes it exclusively
 *                             (flock FILE kill -9 PID) kills the process between
 *                             token calls, never inside one. A real token's own
 *                             writes do not tear when the host dies; SoftHSM's
 *                             token files do, and that is not what is tested.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define MAX_SPECS	16

/*
 * X(function, (parameters), (arguments)) for every CK_FUNCTION_LIST entry
 * but C_GetFunctionList, in the order of PKCS#11 2.40.
 */
#define P11_FUNCTIONS(X) \
	X(C_Initialize, (CK_VOID_PTR a), (a)) \
	X(C_Finalize, (CK_VOID_PTR a), (a)) \
	X(C_GetInfo, (CK_INFO_PTR a), (a)) \
	X(C_GetSlotList, (CK_BBOOL a, CK_SLOT_ID_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_GetSlotInfo, (CK_SLOT_ID a, CK_SLOT_INFO_PTR b), (a, b)) \
	X(C_GetTokenInfo, (CK_SLOT_ID a, CK_TOKEN_INFO_PTR b), (a, b)) \
	X(C_GetMechanismList, (CK_SLOT_ID a, CK_MECHANISM_TYPE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_GetMechanismInfo, (CK_SLOT_ID a, CK_MECHANISM_TYPE b, CK_MECHANISM_INFO_PTR c), (a, b, c)) \
	X(C_InitToken, (CK_SLOT_ID a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d), (a, b, c, d)) \
	X(C_InitPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_SetPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d, CK_ULONG e), (a, b, c, d, e)) \
	X(C_OpenSession, (CK_SLOT_ID a, CK_FLAGS b, CK_VOID_PTR c, CK_NOTIFY d, CK_SESSION_HANDLE_PTR e), (a, b, c, d, e)) \
	X(C_CloseSession, (CK_SESSION_HANDLE a), (a)) \
	X(C_CloseAllSessions, (CK_SLOT_ID a), (a)) \
	X(C_GetSessionInfo, (CK_SESSION_HANDLE a, CK_SESSION_INFO_PTR b), (a, b)) \
	X(C_GetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_SetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE d, CK_OBJECT_HANDLE e), (a, b, c, d, e)) \
	X(C_Login, (CK_SESSION_HANDLE a, CK_USER_TYPE b, CK_UTF8CHAR_PTR c, CK_ULONG d), (a, b, c, d)) \
	X(C_Logout, (CK_SESSION_HANDLE a), (a)) \
	X(C_CreateObject, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE_PTR d), (a, b, c, d)) \
	X(C_CopyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e), (a, b, c, d, e)) \
	X(C_DestroyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b), (a, b)) \
	X(C_GetObjectSize, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_GetAttributeValue, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d), (a, b, c, d)) \
	X(C_SetAttributeValue, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d), (a, b, c, d)) \
	X(C_FindObjectsInit, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_FindObjects, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE_PTR b, CK_ULONG c, CK_ULONG_PTR d), (a, b, c, d)) \
	X(C_FindObjectsFinal, (CK_SESSION_HANDLE a), (a)) \
	X(C_EncryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
	X(C_Encrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_EncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_EncryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_DecryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
	X(C_Decrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_DecryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_DecryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_DigestInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b), (a, b)) \
	X(C_Digest, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_DigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_DigestKey, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b), (a, b)) \
	X(C_DigestFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_SignInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
	X(C_Sign, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_SignUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_SignFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
	X(C_SignRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
	X(C_SignRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_VerifyInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
	X(C_Verify, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e), (a, b, c, d, e)) \
	X(C_VerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_VerifyFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_VerifyRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
	X(C_VerifyRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_DigestEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_DecryptDigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_SignEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
	X(C_GenerateKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e), (a, b, c, d, e)) \
	X(C_GenerateKeyPair, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_ATTRIBUTE_PTR e, CK_ULONG f, CK_OBJECT_HANDLE_PTR g, CK_OBJECT_HANDLE_PTR h), (a, b, c, d, e, f, g, h)) \
	X(C_WrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_OBJECT_HANDLE d, CK_BYTE_PTR e, CK_ULONG_PTR f), (a, b, c, d, e, f)) \
	X(C_UnwrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_BYTE_PTR d, CK_ULONG e, CK_ATTRIBUTE_PTR f, CK_ULONG g, CK_OBJECT_HANDLE_PTR h), (a, b, c, d, e, f, g, h)) \
	X(C_DeriveKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d, CK_ULONG e, CK_OBJECT_HANDLE_PTR f), (a, b, c, d, e, f)) \
	X(C_SeedRandom, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_GenerateRandom, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
	X(C_GetFunctionStatus, (CK_SESSION_HANDLE a), (a)) \
	X(C_CancelFunction, (CK_SESSION_HANDLE a), (a)) \
	X(C_WaitForSlotEvent, (CK_FLAGS a, CK_SLOT_ID_PTR b, CK_VOID_PTR c), (a, b, c))

enum fn {
	FN_C_GetFunctionList,
#define FN_ENUM(name, params, args) FN_##name,
	P11_FUNCTIONS(FN_ENUM)
#undef FN_ENUM
	FN_COUNT
};

static const char *const fn_names[FN_COUNT] = {
	"C_GetFunctionList",
#define FN_NAME(name, params, args) #name,
	P11_FUNCTIONS(FN_NAME)
#undef FN_NAME
};

#define R(x) { x, #x }
static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	R(CKR_OK), R(CKR_CANCEL), R(CKR_HOST_MEMORY), R(CKR_SLOT_ID_INVALID),
	R(CKR_GENERAL_ERROR), R(CKR_FUNCTION_FAILED), R(CKR_ARGUMENTS_BAD),
	R(CKR_NO_EVENT), R(CKR_NEED_TO_CREATE_THREADS), R(CKR_CANT_LOCK),
	R(CKR_ATTRIBUTE_READ_ONLY), R(CKR_ATTRIBUTE_SENSITIVE),
	R(CKR_ATTRIBUTE_TYPE_INVALID), R(CKR_ATTRIBUTE_VALUE_INVALID),
	R(CKR_ACTION_PROHIBITED), R(CKR_DATA_INVALID), R(CKR_DATA_LEN_RANGE),
	R(CKR_DEVICE_ERROR), R(CKR_DEVICE_MEMORY), R(CKR_DEVICE_REMOVED),
	R(CKR_ENCRYPTED_DATA_INVALID), R(CKR_ENCRYPTED_DATA_LEN_RANGE),
	R(CKR_FUNCTION_CANCELED), R(CKR_FUNCTION_NOT_PARALLEL),
	R(CKR_FUNCTION_NOT_SUPPORTED), R(CKR_KEY_HANDLE_INVALID),
	R(CKR_KEY_SIZE_RANGE), R(CKR_KEY_TYPE_INCONSISTENT),
	R(CKR_KEY_NOT_NEEDED), R(CKR_KEY_CHANGED), R(CKR_KEY_NEEDED),
	R(CKR_KEY_INDIGESTIBLE), R(CKR_KEY_FUNCTION_NOT_PERMITTED),
	R(CKR_KEY_NOT_WRAPPABLE), R(CKR_KEY_UNEXTRACTABLE),
	R(CKR_MECHANISM_INVALID), R(CKR_MECHANISM_PARAM_INVALID),
	R(CKR_OBJECT_HANDLE_INVALID), R(CKR_OPERATION_ACTIVE),
	R(CKR_OPERATION_NOT_INITIALIZED), R(CKR_PIN_INCORRECT),
	R(CKR_PIN_INVALID), R(CKR_PIN_LEN_RANGE), R(CKR_PIN_EXPIRED),
	R(CKR_PIN_LOCKED), R(CKR_SESSION_CLOSED), R(CKR_SESSION_COUNT),
	R(CKR_SESSION_HANDLE_INVALID), R(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	R(CKR_SESSION_READ_ONLY), R(CKR_SESSION_EXISTS),
	R(CKR_SESSION_READ_ONLY_EXISTS), R(CKR_SESSION_READ_WRITE_SO_EXISTS),
	R(CKR_SIGNATURE_INVALID), R(CKR_SIGNATURE_LEN_RANGE),
	R(CKR_TEMPLATE_INCOMPLETE), R(CKR_TEMPLATE_INCONSISTENT),
	R(CKR_TOKEN_NOT_PRESENT), R(CKR_TOKEN_NOT_RECOGNIZED),
	R(CKR_TOKEN_WRITE_PROTECTED), R(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	R(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT), R(CKR_USER_ALREADY_LOGGED_IN),
	R(CKR_USER_NOT_LOGGED_IN), R(CKR_USER_PIN_NOT_INITIALIZED),
	R(CKR_USER_TYPE_INVALID), R(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	R(CKR_USER_TOO_MANY_TYPES), R(CKR_WRAPPED_KEY_INVALID),
	R(CKR_WRAPPED_KEY_LEN_RANGE), R(CKR_WRAPPING_KEY_HANDLE_INVALID),
	R(CKR_WRAPPING_KEY_SIZE_RANGE), R(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	R(CKR_RANDOM_SEED_NOT_SUPPORTED), R(CKR_RANDOM_NO_RNG),
	R(CKR_DOMAIN_PARAMS_INVALID), R(CKR_CURVE_NOT_SUPPORTED),
	R(CKR_BUFFER_TOO_SMALL), R(CKR_SAVED_STATE_INVALID),
	R(CKR_INFORMATION_SENSITIVE), R(CKR_STATE_UNSAVEABLE),
	R(CKR_CRYPTOKI_NOT_INITIALIZED), R(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	R(CKR_MUTEX_BAD), R(CKR_MUTEX_NOT_LOCKED), R(CKR_NEW_PIN_MODE),
	R(CKR_NEXT_OTP), R(CKR_EXCEEDED_MAX_ITERATIONS),
	R(CKR_FIPS_SELF_TEST_FAILED), R(CKR_LIBRARY_LOAD_FAILED),
	R(CKR_PIN_TOO_WEAK), R(CKR_PUBLIC_KEY_INVALID), R(CKR_FUNCTION_REJECTED),
};
#undef R
#define NRV (sizeof(rv_names) / sizeof(rv_names[0]))

/* One failure to inject: by function and its nth call, or by overall call n. */
struct spec {
	int fn;			/* FN_*, or -1 for "the nth call overall" */
	unsigned long nth;
	CK_RV rv;
	int after;		/* forward the call, then return rv */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int configured;
static struct spec specs[MAX_SPECS];
static size_t nspecs;
static unsigned long total_calls, fn_calls[FN_COUNT];
static int log_fd = -1;
static int log_time;
static void *real_dl;
static CK_FUNCTION_LIST_PTR real;
static struct {
	int fn;
	long ms;
} delays[MAX_SPECS];
static size_t ndelays;
static const char *removed_path;
static char pull_label[64];
static int pull_fn = -1, pull_after, pulled;
static int guard_fd = -1;
static unsigned long guard_users;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;

static void
warnx_(const char *what, const char *val)
{
	fprintf(stderr, "p11fault: %s: \"%s\"\n", what, val);
}

static const char *
rv_name(CK_RV rv, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < NRV; i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	snprintf(buf, size, "0x%lx", (unsigned long)rv);
	return buf;
}

static int
rv_parse(const char *s, CK_RV *rv)
{
	char *end;
	size_t i;

	for (i = 0; i < NRV; i++)
		if (strcmp(rv_names[i].name, s) == 0) {
			*rv = rv_names[i].rv;
			return 0;
		}
	errno = 0;
	*rv = strtoul(s, &end, 0);
	return (*s != '\0' && *end == '\0' && errno == 0) ? 0 : -1;
}

/* "C_Login:1:CKR_PIN_INCORRECT[:after]" (by_fn) or "7:CKR_DEVICE_ERROR[:after]". */
static int
spec_parse(char *s, int by_fn, struct spec *sp)
{
	char *field[4], *save = NULL, *end;
	size_t n = 0, i, want = by_fn ? 3 : 2;

	memset(sp, 0, sizeof(*sp));
	sp->fn = -1;
	for (field[n] = strtok_r(s, ":", &save); field[n] != NULL && n < 4;
	    field[n] = strtok_r(NULL, ":", &save))
		if (++n == 4)
			break;
	if (n == want + 1 && strcmp(field[want], "after") == 0)
		sp->after = 1;
	else if (n != want)
		return -1;
	if (by_fn) {
		for (i = 0; i < FN_COUNT; i++)
			if (strcmp(fn_names[i], field[0]) == 0)
				sp->fn = (int)i;
		if (sp->fn == -1)
			return -1;
	}
	errno = 0;
	sp->nth = strtoul(field[want - 2], &end, 10);
	if (*end != '\0' || errno != 0 || sp->nth == 0)
		return -1;
	return rv_parse(field[want - 1], &sp->rv);
}

static void
specs_add(const char *env, int by_fn)
{
	char *copy, *item, *save = NULL;
	const char *v;

	if ((v = getenv(env)) == NULL || *v == '\0')
		return;
	if ((copy = strdup(v)) == NULL)
		return;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if (nspecs == MAX_SPECS) {
			warnx_("too many specs in", env);
			break;
		}
		if (spec_parse(item, by_fn, &specs[nspecs]) != 0) {
			/* Loudly: a mistyped spec would make a test pass vacuously. */
			warnx_("ignoring malformed spec in", env);
			abort();
		}
		nspecs++;
	}
	free(copy);
}

static int
fn_parse(const char *name)
{
	size_t i;

	for (i = 0; i < FN_COUNT; i++)
		if (strcmp(fn_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* "C_GenerateKeyPair:1000,C_Login:50" */
static void
delays_add(void)
{
	char *copy, *item, *save = NULL, *colon, *end;
	const char *v;

	if ((v = getenv("HK_P11FAULT_DELAY")) == NULL || *v == '\0' ||
	    (copy = strdup(v)) == NULL)
		return;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((colon = strchr(item, ':')) == NULL || ndelays == MAX_SPECS)
			goto bad;
		*colon = '\0';
		delays[ndelays].fn = fn_parse(item);
		errno = 0;
		delays[ndelays].ms = strtol(colon + 1, &end, 10);
		if (delays[ndelays].fn < 0 || *end != '\0' || errno != 0 ||
		    delays[ndelays].ms < 0)
			goto bad;
		ndelays++;
	}
	free(copy);
	return;
 bad:
	warnx_("malformed spec in", "HK_P11FAULT_DELAY");
	abort();
}

/* "LABEL:C_Function[:after]" */
static void
pull_parse(void)
{
	char *copy, *f1, *f2;
	const char *v;

	if ((v = getenv("HK_P11FAULT_PULL")) == NULL || *v == '\0')
		return;
	if ((copy = strdup(v)) == NULL)
		return;
	if ((f1 = strchr(copy, ':')) == NULL)
		goto bad;
	*f1++ = '\0';
	if ((f2 = strchr(f1, ':')) != NULL) {
		*f2++ = '\0';
		if (strcmp(f2, "after") != 0)
			goto bad;
		pull_after = 1;
	}
	if ((pull_fn = fn_parse(f1)) < 0 || strlen(copy) >= sizeof(pull_label) ||
	    getenv("HK_P11FAULT_REMOVED") == NULL)
		goto bad;
	snprintf(pull_label, sizeof(pull_label), "%s", copy);
	free(copy);
	return;
 bad:
	warnx_("malformed spec (or no HK_P11FAULT_REMOVED) in", "HK_P11FAULT_PULL");
	abort();
}

/* Called with lock held. */
static void
configure(void)
{
	const char *v;

	if (configured)
		return;
	configured = 1;
	specs_add("HK_P11FAULT_FAIL", 1);
	specs_add("HK_P11FAULT_FAIL_CALL", 0);
	delays_add();
	pull_parse();
	if ((v = getenv("HK_P11FAULT_GUARD")) != NULL && *v != '\0')
		guard_fd = open(v, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	removed_path = getenv("HK_P11FAULT_REMOVED");
	if (removed_path != NULL && *removed_path == '\0')
		removed_path = NULL;
	log_time = (v = getenv("HK_P11FAULT_TIME")) != NULL && strcmp(v, "1") == 0;
	if ((v = getenv("HK_P11FAULT_LOG")) != NULL && *v != '\0')
		log_fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* us < 0: not timed. */
static void
log_call(unsigned long n, int fn, CK_RV rv, int injected, double us)
{
	char line[160], rvbuf[32], tbuf[32] = "";
	int len;

	if (log_fd == -1)
		return;
	if (log_time && us >= 0)
		snprintf(tbuf, sizeof(tbuf), " us=%.0f", us);
	len = snprintf(line, sizeof(line), "%lu %s %s%s%s\n", n, fn_names[fn],
	    rv_name(rv, rvbuf, sizeof(rvbuf)), injected ? " injected" : "", tbuf);
	/* One write per line: O_APPEND keeps lines whole across processes. */
	if (len > 0 && write(log_fd, line, (size_t)len) < 0)
		return;
}

/* A call in progress: its number and the failure chosen for it, if any. */
struct call {
	double t0;		/* when it was forwarded (HK_P11FAULT_TIME) */
	int fn;
	unsigned long n;
	int fail, after;
	CK_RV rv;
};

/* Count the call; 1 if it must fail without being forwarded (c->rv). */
static int
call_begin(int fn, struct call *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->fn = fn;
	pthread_mutex_lock(&lock);
	configure();
	c->n = ++total_calls;
	fn_calls[fn]++;
	for (i = 0; i < nspecs && !c->fail; i++) {
		if ((specs[i].fn == -1 && specs[i].nth == c->n) ||
		    (specs[i].fn == fn && specs[i].nth == fn_calls[fn])) {
			c->fail = 1;
			c->after = specs[i].after;
			c->rv = specs[i].rv;
		}
	}
	pthread_mutex_unlock(&lock);
	if (c->fail && !c->after) {
		log_call(c->n, fn, c->rv, 1, -1);
		return 1;
	}
	if (log_time)
		c->t0 = mono();
	return 0;
}

static CK_RV
call_end(struct call *c, CK_RV rv)
{
	if (c->fail)
		rv = c->rv;
	log_call(c->n, c->fn, rv, c->fail, log_time ? (mono() - c->t0) * 1e6 : -1);
	return rv;
}

/* Which handle a function's first parameter is. */
enum handle_kind { H_NONE, H_SLOT, H_SESSION };

static enum handle_kind
handle_kind(int fn)
{
	switch (fn) {
	case FN_C_GetFunctionList:
	case FN_C_Initialize:
	case FN_C_Finalize:
	case FN_C_GetInfo:
	case FN_C_GetSlotList:
	case FN_C_WaitForSlotEvent:
		return H_NONE;
	case FN_C_GetSlotInfo:
	case FN_C_GetTokenInfo:
	case FN_C_GetMechanismList:
	case FN_C_GetMechanismInfo:
	case FN_C_InitToken:
	case FN_C_OpenSession:
	case FN_C_CloseAllSessions:
		return H_SLOT;
	default:
		return H_SESSION;
	}
}

/*
 * "label" and "serial" of a slot's token, blanks trimmed; -1 when unknown.
 * Asked once per slot, under the lock: SoftHSM's C_GetTokenInfo calls
 * gmtime(), which is not thread-safe, and a fault module must not add races
 * of its own to the process it is testing.
 */
#define SLOT_CACHE_MAX 256
static struct {
	CK_SLOT_ID slot;
	char label[33], serial[17];
} slot_cache[SLOT_CACHE_MAX];
static size_t nslot_cache;

static int
slot_names(CK_SLOT_ID slot, char *label, size_t lsize, char *serial, size_t ssize)
{
	CK_TOKEN_INFO ti;
	size_t n, i;
	int r = -1;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nslot_cache && slot_cache[i].slot != slot; i++)
		;
	if (i == nslot_cache) {
		if (real == NULL || real->C_GetTokenInfo(slot, &ti) != CKR_OK ||
		    nslot_cache == SLOT_CACHE_MAX)
			goto out;
		slot_cache[i].slot = slot;
		n = sizeof(ti.label);
		while (n > 0 && ti.label[n - 1] == ' ')
			n--;
		snprintf(slot_cache[i].label, sizeof(slot_cache[i].label), "%.*s", (int)n,
		    (const char *)ti.label);
		n = sizeof(ti.serialNumber);
		while (n > 0 && ti.serialNumber[n - 1] == ' ')
			n--;
		snprintf(slot_cache[i].serial, sizeof(slot_cache[i].serial), "%.*s", (int)n,
		    (const char *)ti.serialNumber);
		nslot_cache++;
	}
	snprintf(label, lsize, "%s", slot_cache[i].label);
	snprintf(serial, ssize, "%s", slot_cache[i].serial);
	r = 0;
 out:
	pthread_mutex_unlock(&lock);
	return r;
}

static int
handle_slot(int fn, uintptr_t h, CK_SLOT_ID *slotp)
{
	CK_SESSION_INFO si;

	switch (handle_kind(fn)) {
	case H_SLOT:
		*slotp = (CK_SLOT_ID)h;
		return 0;
	case H_SESSION:
		if (real == NULL || real->C_GetSessionInfo((CK_SESSION_HANDLE)h, &si) != CKR_OK)
			return -1;
		*slotp = si.slotID;
		return 0;
	default:
		return -1;
	}
}

/* 1 if the REMOVED file names this token (label or serial). */
static int
pulled_out(CK_SLOT_ID slot)
{
	char label[64], serial[32], line[128];
	FILE *fp;
	size_t n;
	int hit = 0;

	if (removed_path == NULL || (fp = fopen(removed_path, "r")) == NULL)
		return 0;
	if (slot_names(slot, label, sizeof(label), serial, sizeof(serial)) != 0) {
		fclose(fp);
		return 0;
	}
	while (!hit && fgets(line, sizeof(line), fp) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		hit = n > 0 && (strcmp(line, label) == 0 || strcmp(line, serial) == 0);
	}
	fclose(fp);
	return hit;
}

/* HK_P11FAULT_PULL: the first call of pull_fn on the token named pull_label. */
static int
pull_now(int fn, CK_SLOT_ID slot)
{
	char label[64], serial[32];
	int fd, now = 0;

	if (fn != pull_fn || slot_names(slot, label, sizeof(label), serial, sizeof(serial)) != 0 ||
	    (strcmp(label, pull_label) != 0 && strcmp(serial, pull_label) != 0))
		return 0;
	pthread_mutex_lock(&lock);
	if (!pulled) {
		pulled = now = 1;
		if ((fd = open(removed_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) >= 0) {
			if (write(fd, pull_label, strlen(pull_label)) < 0 || write(fd, "\n", 1) < 0)
				now = 1;
			close(fd);
		}
	}
	pthread_mutex_unlock(&lock);
	return now;
}

static CK_RV
removed_rv(int fn)
{
	return handle_kind(fn) == H_SLOT ? CKR_TOKEN_NOT_PRESENT : CKR_DEVICE_REMOVED;
}

/* The first thread into the real module takes the shared lock, the last out drops it. */
static void
guard_enter(void)
{
	if (guard_fd < 0)
		return;
	pthread_mutex_lock(&guard_lock);
	if (guard_users++ == 0)
		while (flock(guard_fd, LOCK_SH) != 0 && errno == EINTR)
			;
	pthread_mutex_unlock(&guard_lock);
}

static void
guard_leave(void)
{
	if (guard_fd < 0)
		return;
	pthread_mutex_lock(&guard_lock);
	if (--guard_users == 0)
		(void)flock(guard_fd, LOCK_UN);
	pthread_mutex_unlock(&guard_lock);
}

static CK_RV
guarded(CK_RV rv)
{
	guard_leave();
	return rv;
}

/* Delays and removal around the real call; rv is what the caller gets. */
static int
before_real(struct call *c, uintptr_t h, CK_RV *rvp)
{
	CK_SLOT_ID slot;
	size_t i;

	for (i = 0; i < ndelays; i++)
		if (delays[i].fn == c->fn) {
			struct timespec ts = { delays[i].ms / 1000, (delays[i].ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
	if (removed_path == NULL || handle_slot(c->fn, h, &slot) != 0)
		return 0;
	if (pull_fn >= 0 && pull_now(c->fn, slot)) {
		if (pull_after) {
			c->fail = 1;
			c->after = 1;
			c->rv = removed_rv(c->fn);
			return 0;
		}
	}
	if (pulled_out(slot)) {
		*rvp = removed_rv(c->fn);
		return 1;
	}
	return 0;
}

#define FORWARD(name, params, args) \
static CK_RV \
fw_##name params \
{ \
	struct call fc; \
	CK_RV rm_; \
	\
	if (call_begin(FN_##name, &fc)) \
		return fc.rv; \
	if (real == NULL || real->name == NULL) \
		return call_end(&fc, CKR_FUNCTION_NOT_SUPPORTED); \
	if (before_real(&fc, (uintptr_t)(a), &rm_)) { \
		fc.fail = 1; \
		fc.rv = rm_; \
		return call_end(&fc, rm_); \
	} \
	guard_enter(); \
	return call_end(&fc, guarded(real->name args)); \
}
P11_FUNCTIONS(FORWARD)
#undef FORWARD

static CK_RV fw_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_FUNCTION_LIST fault_list = {
	{ CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR },
#define ENTRY(name, params, args) .name = fw_##name,
	P11_FUNCTIONS(ENTRY)
#undef ENTRY
	.C_GetFunctionList = fw_C_GetFunctionList,
};

/* Load the real module once; its list is what every entry forwards to. */
static CK_RV
load_real(void)
{
	CK_C_GetFunctionList get;
	const char *path;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&lock);
	if (real != NULL)
		goto out;
	if ((path = getenv("HK_P11FAULT_MODULE")) == NULL || *path == '\0')
		path = DEFAULT_MODULE;
	if (real_dl == NULL &&
	    (real_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11fault: %s\n", dlerror());
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	*(void **)&get = dlsym(real_dl, "C_GetFunctionList");
	if (get == NULL) {
		fprintf(stderr, "p11fault: %s: no C_GetFunctionList\n", path);
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	if ((rv = get(&real)) != CKR_OK)
		real = NULL;
 out:
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV
fw_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	struct call c;
	CK_RV rv;

	if (call_begin(FN_C_GetFunctionList, &c))
		return c.rv;
	if (list == NULL)
		return call_end(&c, CKR_ARGUMENTS_BAD);
	if ((rv = load_real()) != CKR_OK)
		return call_end(&c, rv);
	*list = &fault_list;
	return call_end(&c, CKR_OK);
}

/* The one exported symbol. */
__attribute__((visibility("default"))) CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	return fw_C_GetFunctionList(list);
}
