/* hwkey error codes: one flat table of negative codes, their text and the exit
 * status class the CLI maps them to; plus a per-thread detail ("what, where"). */
#ifndef HK_ERR_H
#define HK_ERR_H

#include <stdarg.h>

/*
 * Exit statuses of the hwkey commands. Documented in hwkey.1 (EXIT STATUS);
 * never reuse a number for another meaning.
 */
enum hk_exit {
	HK_EXIT_OK = 0,
	HK_EXIT_FAILURE = 1,	/* internal or unexpected failure */
	HK_EXIT_USAGE = 2,	/* bad command line */
	HK_EXIT_INPUT = 3,	/* unreadable or malformed input (key file, plan, config) */
	HK_EXIT_TOKEN = 4,	/* module, token or key selection and token errors */
	HK_EXIT_TOKEN_ABSENT = 5,	/* no token in the slot / token not present */
	HK_EXIT_DEVICE_REMOVED = 6,	/* device removed during the operation */
	HK_EXIT_PIN_INCORRECT = 7,	/* wrong PIN (retries were consumed) */
	HK_EXIT_PIN_LOCKED = 8,	/* PIN blocked */
	HK_EXIT_PIN_INVALID = 9,	/* PIN rejected before use: length, characters, source */
	HK_EXIT_CLOUD = 10,	/* cloud API or network failure */
	HK_EXIT_CLOUD_AUTH = 11,	/* cloud credentials missing, unsafe or refused */
	HK_EXIT_UNSUPPORTED = 12,	/* refused by a capability: key type, size, name rule */
	HK_EXIT_CONFLICT = 13,	/* already exists with other content (label, id, key pair name) */
	HK_EXIT_VERIFY = 14,	/* a verification failed: fingerprint mismatch, key flags */
	HK_EXIT_PARTIAL = 15,	/* a batch finished with some items failed */
	HK_EXIT_INTERRUPTED = 16,	/* cancelled by the user or a signal */
	HK_EXIT_PERMISSION = 17,	/* no permission on the device node */
	HK_EXIT_USER_PRESENCE = 18,	/* touch denied or timed out */
	HK_EXIT_KEY_USAGE = 19,	/* the key was not made for this use (decrypt, windows-password) */
	HK_EXIT_INVENTORY = 20,	/* inventory missing, full, read-only, corrupt or too new */
};

/*
 * X(NAME, value, exit class, message). Codes are grouped by area:
 * core -1..-99, tokens -100..-199, cloud -200..-299, inventory -300..-399.
 * Add new codes at the end of their area; never renumber.
 */
#define HK_ERR_TABLE(X) \
	X(HK_ERR_INTERNAL,		-1, HK_EXIT_FAILURE, "internal error") \
	X(HK_ERR_ALLOC,			-2, HK_EXIT_FAILURE, "memory allocation failed") \
	X(HK_ERR_INVALID_ARGUMENT,	-3, HK_EXIT_USAGE, "invalid argument") \
	X(HK_ERR_SYSTEM,		-4, HK_EXIT_FAILURE, "system error") \
	X(HK_ERR_IO,			-5, HK_EXIT_INPUT, "input/output error") \
	X(HK_ERR_NOT_FOUND,		-6, HK_EXIT_INPUT, "not found") \
	X(HK_ERR_CRYPTO,		-7, HK_EXIT_FAILURE, "cryptographic library error") \
	X(HK_ERR_INTERRUPTED,		-8, HK_EXIT_INTERRUPTED, "interrupted") \
	X(HK_ERR_NOT_SUPPORTED,		-9, HK_EXIT_UNSUPPORTED, "not supported") \
	X(HK_ERR_BUF_TOO_SHORT,		-10, HK_EXIT_INPUT, "truncated data") \
	X(HK_ERR_BUF_LENGTH,		-11, HK_EXIT_INPUT, "length field too large") \
	X(HK_ERR_BUF_TRAILING,		-12, HK_EXIT_INPUT, "trailing bytes after the key") \
	X(HK_ERR_BUF_LIMIT,		-13, HK_EXIT_INPUT, "buffer size limit exceeded") \
	X(HK_ERR_BASE64,		-14, HK_EXIT_INPUT, "invalid base64") \
	X(HK_ERR_KEY_TYPE_UNKNOWN,	-15, HK_EXIT_INPUT, "unknown key type") \
	X(HK_ERR_KEY_TYPE_MISMATCH,	-16, HK_EXIT_INPUT, "key type name does not match the key blob") \
	X(HK_ERR_RSA_TOO_SMALL,		-17, HK_EXIT_INPUT, "RSA modulus is smaller than 1024 bits") \
	X(HK_ERR_RSA_TOO_LARGE,		-18, HK_EXIT_INPUT, "RSA modulus is larger than 16384 bits") \
	X(HK_ERR_RSA_EXPONENT,		-19, HK_EXIT_INPUT, "invalid RSA public exponent") \
	X(HK_ERR_EC_CURVE_UNKNOWN,	-20, HK_EXIT_INPUT, "unknown or unsupported elliptic curve") \
	X(HK_ERR_EC_CURVE_MISMATCH,	-21, HK_EXIT_INPUT, "curve name does not match the key type") \
	X(HK_ERR_EC_POINT,		-22, HK_EXIT_INPUT, "EC point is invalid or not on its curve") \
	X(HK_ERR_ED25519_LENGTH,	-23, HK_EXIT_INPUT, "Ed25519 public key is not 32 bytes") \
	X(HK_ERR_DSA_INVALID,		-24, HK_EXIT_INPUT, "invalid DSA key parameters") \
	X(HK_ERR_SK_APPLICATION,	-25, HK_EXIT_INPUT, "invalid security-key application string") \
	X(HK_ERR_FORMAT_UNKNOWN,	-26, HK_EXIT_INPUT, "not a public key in any supported format") \
	X(HK_ERR_FORMAT_MALFORMED,	-27, HK_EXIT_INPUT, "malformed key file") \
	X(HK_ERR_FORMAT_EMPTY,		-28, HK_EXIT_INPUT, "no key found") \
	X(HK_ERR_FORMAT_UNSUPPORTED,	-29, HK_EXIT_UNSUPPORTED, "key type cannot be written in this format") \
	X(HK_ERR_PEM,			-30, HK_EXIT_INPUT, "malformed PEM data") \
	X(HK_ERR_PPK,			-31, HK_EXIT_INPUT, "malformed PuTTY key file") \
	X(HK_ERR_RFC4716,		-32, HK_EXIT_INPUT, "malformed RFC 4716 public key") \
	X(HK_ERR_OPTIONS,		-33, HK_EXIT_INPUT, "malformed authorized_keys options") \
	X(HK_ERR_USAGE,			-34, HK_EXIT_USAGE, "usage error") \
	X(HK_ERR_SECRET_SOURCE,		-35, HK_EXIT_PIN_INVALID, "cannot read secret from its source") \
	X(HK_ERR_SECRET_UNSAFE,		-36, HK_EXIT_PIN_INVALID, "secret source is readable by others") \
	X(HK_ERR_CANCELLED,		-37, HK_EXIT_INTERRUPTED, "cancelled") \
	X(HK_ERR_EXISTS,		-38, HK_EXIT_CONFLICT, "already exists") \
	X(HK_ERR_VERIFY,		-39, HK_EXIT_VERIFY, "verification failed") \
	X(HK_ERR_PARTIAL,		-40, HK_EXIT_PARTIAL, "some items failed") \
	X(HK_ERR_AGENT_REFUSED,		-41, HK_EXIT_UNSUPPORTED, "ssh-agent refused the key") \
	X(HK_ERR_SSH_TOOL,		-42, HK_EXIT_FAILURE, "an OpenSSH program failed") \
	X(HK_ERR_PLAN,			-43, HK_EXIT_INPUT, "invalid provisioning plan") \
	\
	X(HK_ERR_MODULE_LOAD,		-100, HK_EXIT_TOKEN, "cannot load PKCS#11 module") \
	X(HK_ERR_TOKEN_NOT_FOUND,	-101, HK_EXIT_TOKEN, "no token matches") \
	X(HK_ERR_TOKEN_AMBIGUOUS,	-102, HK_EXIT_TOKEN, "more than one token matches") \
	X(HK_ERR_TOKEN_URI,		-103, HK_EXIT_USAGE, "invalid token URI") \
	X(HK_ERR_TOKEN_ABSENT,		-104, HK_EXIT_TOKEN_ABSENT, "token not present") \
	X(HK_ERR_DEVICE_REMOVED,	-105, HK_EXIT_DEVICE_REMOVED, "device removed") \
	X(HK_ERR_DEVICE,		-106, HK_EXIT_TOKEN, "token device error") \
	X(HK_ERR_PIN_INCORRECT,		-107, HK_EXIT_PIN_INCORRECT, "PIN incorrect") \
	X(HK_ERR_PIN_LOCKED,		-108, HK_EXIT_PIN_LOCKED, "PIN locked") \
	X(HK_ERR_PIN_LEN_RANGE,		-109, HK_EXIT_PIN_INVALID, "PIN length out of range") \
	X(HK_ERR_PIN_INVALID,		-110, HK_EXIT_PIN_INVALID, "PIN contains invalid characters") \
	X(HK_ERR_PIN_REQUIRED,		-111, HK_EXIT_PIN_INVALID, "PIN required") \
	X(HK_ERR_KEY_NOT_FOUND,		-112, HK_EXIT_TOKEN, "no key matches") \
	X(HK_ERR_KEY_AMBIGUOUS,		-113, HK_EXIT_TOKEN, "more than one key matches") \
	X(HK_ERR_KEY_EXISTS,		-114, HK_EXIT_CONFLICT, "a key with this id or label already exists") \
	X(HK_ERR_KEY_EXTRACTABLE,	-115, HK_EXIT_VERIFY, "key attributes do not prove it cannot leave the token") \
	X(HK_ERR_MECHANISM,		-116, HK_EXIT_UNSUPPORTED, "token does not support this key type") \
	X(HK_ERR_TEMPLATE,		-117, HK_EXIT_TOKEN, "token rejected the key template") \
	X(HK_ERR_TOKEN_READONLY,	-118, HK_EXIT_TOKEN, "token is write-protected") \
	X(HK_ERR_TOKEN_NOT_INITIALIZED,	-119, HK_EXIT_TOKEN, "token is not initialized") \
	X(HK_ERR_SESSION,		-120, HK_EXIT_TOKEN, "token session error") \
	X(HK_ERR_PKCS11,		-121, HK_EXIT_TOKEN, "PKCS#11 call failed") \
	X(HK_ERR_USER_NOT_LOGGED_IN,	-122, HK_EXIT_TOKEN, "login required") \
	X(HK_ERR_FIDO2,			-123, HK_EXIT_TOKEN, "FIDO2 device error") \
	X(HK_ERR_DEVICE_PERMISSION,	-124, HK_EXIT_PERMISSION, "no permission to open the device") \
	X(HK_ERR_TOUCH_TIMEOUT,		-125, HK_EXIT_USER_PRESENCE, "the security key was not touched in time") \
	X(HK_ERR_TOUCH_DENIED,		-126, HK_EXIT_USER_PRESENCE, "the security key denied the operation") \
	X(HK_ERR_PIN_AUTH_BLOCKED,	-127, HK_EXIT_PIN_LOCKED, "too many wrong PINs: remove and reinsert the security key") \
	X(HK_ERR_ATTESTATION,		-128, HK_EXIT_VERIFY, "attestation does not verify") \
	X(HK_ERR_CREDENTIAL_EXISTS,	-129, HK_EXIT_CONFLICT, "a credential for this application already exists on the device") \
	X(HK_ERR_KEY_USAGE,		-130, HK_EXIT_KEY_USAGE, "the key was not made for this use") \
	X(HK_ERR_ENCRYPTED_DATA,	-131, HK_EXIT_INPUT, "encrypted data does not decrypt with this key") \
	\
	X(HK_ERR_HTTP,			-200, HK_EXIT_CLOUD, "HTTP request failed") \
	X(HK_ERR_NETWORK,		-201, HK_EXIT_CLOUD, "network error") \
	X(HK_ERR_TIMEOUT,		-202, HK_EXIT_CLOUD, "request timed out") \
	X(HK_ERR_TLS,			-203, HK_EXIT_CLOUD, "TLS verification failed") \
	X(HK_ERR_THROTTLED,		-204, HK_EXIT_CLOUD, "throttled by the provider") \
	X(HK_ERR_CLOUD,			-205, HK_EXIT_CLOUD, "cloud provider error") \
	X(HK_ERR_CLOUD_RESPONSE,	-206, HK_EXIT_CLOUD, "unexpected response from the provider") \
	X(HK_ERR_CREDENTIALS,		-207, HK_EXIT_CLOUD_AUTH, "cloud credentials not found") \
	X(HK_ERR_CREDENTIALS_UNSAFE,	-208, HK_EXIT_CLOUD_AUTH, "cloud credentials file is readable by group or others") \
	X(HK_ERR_CLOUD_AUTH,		-209, HK_EXIT_CLOUD_AUTH, "cloud rejected the credentials or signature") \
	X(HK_ERR_CLOUD_UNSUPPORTED,	-210, HK_EXIT_UNSUPPORTED, "the cloud does not accept this key") \
	X(HK_ERR_CLOUD_NAME,		-211, HK_EXIT_UNSUPPORTED, "key pair name breaks the provider's rules") \
	X(HK_ERR_CLOUD_EXISTS,		-212, HK_EXIT_CONFLICT, "a key pair with this name holds another key") \
	X(HK_ERR_CLOUD_NOT_FOUND,	-213, HK_EXIT_CLOUD, "key pair or instance not found") \
	X(HK_ERR_CLOUD_QUOTA,		-214, HK_EXIT_CLOUD, "key pair quota exceeded") \
	X(HK_ERR_CLOUD_REGION,		-215, HK_EXIT_USAGE, "unknown region") \
	X(HK_ERR_FINGERPRINT_MISMATCH,	-216, HK_EXIT_VERIFY, "fingerprint returned by the cloud does not match") \
	\
	X(HK_ERR_INVENTORY,		-300, HK_EXIT_FAILURE, "inventory error") \
	X(HK_ERR_INVENTORY_NOT_FOUND,	-301, HK_EXIT_INVENTORY, "inventory not found") \
	X(HK_ERR_INVENTORY_FULL,	-302, HK_EXIT_INVENTORY, "inventory disk is full") \
	X(HK_ERR_INVENTORY_READONLY,	-303, HK_EXIT_INVENTORY, "inventory is read-only") \
	X(HK_ERR_INVENTORY_CORRUPT,	-304, HK_EXIT_INVENTORY, "inventory is corrupt or not an inventory") \
	X(HK_ERR_INVENTORY_VERSION,	-305, HK_EXIT_INVENTORY, "inventory was written by a newer hwkey") \
	X(HK_ERR_INVENTORY_BUSY,	-306, HK_EXIT_INVENTORY, "inventory is locked by another process") \
	X(HK_ERR_INVENTORY_CONFLICT,	-307, HK_EXIT_CONFLICT, "inventory already holds another key under this id") \
	X(HK_ERR_INVENTORY_NO_RECORD,	-308, HK_EXIT_USAGE, "no such record in the inventory")

enum hk_err {
	HK_OK = 0,
#define HK_ERR_ENUM(name, value, exit, msg) name = value,
	HK_ERR_TABLE(HK_ERR_ENUM)
#undef HK_ERR_ENUM
};

/*
 * An error as a value, owned by whoever holds it: a token or cloud handle, a
 * job, one result of a batch. The library reports a failure through the
 * thread's detail (hk_errf below) only on the way up one call chain; every
 * boundary that outlives the call (a handle, a job, a batch result) takes
 * the error into its own struct hk_error, so concurrent jobs never read each
 * other's detail. "Where" fields are empty when they do not apply.
 */
#define HK_ERROR_MESSAGE_MAX	1024
struct hk_error {
	int code;			/* HK_ERR_*; 0: no error */
	char message[HK_ERROR_MESSAGE_MAX];	/* what and where; never a secret */
	char file[256];			/* input file, with line */
	unsigned long line;
	char token[160];		/* token label or URI */
	char region[64];
	char provider_code[96];		/* "KeyPair.AlreadyExist", "CKR_PIN_INCORRECT" */
	char request_id[96];		/* the provider's, for support tickets */
	long http_status;
};
void hk_error_clear(struct hk_error *e);
/* Set code and message (printf style); returns code. */
int hk_error_set(struct hk_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Take the error a call just returned (code) into e: the thread's detail when
 * it was set for code since the last hk_err_clear(), else the code's text.
 * Clears the thread's detail. Returns code (0 clears e and returns 0).
 */
int hk_error_take(struct hk_error *e, int code);
/* Copy *src into *dst (either "where" may be filled); returns src->code. */
int hk_error_copy(struct hk_error *dst, const struct hk_error *src);
/* Make e the thread's current error again (for a caller that reports through hk_errf). */
int hk_error_raise(const struct hk_error *e);
/* The message, or the code's text when none was set. */
const char *hk_error_message(const struct hk_error *e);

/* Text for a code (never NULL). */
const char *hk_strerror(int err);
/* Symbolic name ("HK_ERR_PIN_LOCKED") for logs and --json; never NULL. */
const char *hk_err_name(int err);
/* The exit status the CLI uses for a code; 0 for HK_OK. */
int hk_err_exit(int err);

/*
 * How a failure travels up one call chain: hk_errf() sets the thread's
 * detail (what and where: "keys.txt:12: ...", "token alice",
 * "region cn-hangzhou: Throttling ...") and returns err, so backends write
 *	return hk_errf(HK_ERR_PIN_LOCKED, "token %s", label);
 * The first boundary that outlives the call (a handle, a job, a result, the
 * CLI's report) takes it into a struct hk_error with hk_error_take(); nothing
 * else reads it. Never put a secret in the detail.
 */
int hk_errf(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hk_verrf(int err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Forget the thread's detail (an operation starts afresh). */
void hk_err_clear(void);
/*
 * The thread's detail as it stands, or "" (tests and hwkey-cloudsim's own
 * messages; the library and the CLI take errors with hk_error_take).
 */
const char *hk_err_detail(void);

#endif /* HK_ERR_H */
