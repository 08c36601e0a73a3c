/* libfido2 statuses as hwkey errors: each with what to do about it. */
#include <stdio.h>

#include "fido2_int.h"

int
hk_fido2_err(int fr, const char *what, const char *dev, int retries)
{
	const char *d = dev != NULL ? dev : "security key";

	switch (fr) {
	case FIDO_OK:
		return 0;
	case FIDO_ERR_PIN_INVALID:
		if (retries >= 0)
			return hk_errf(HK_ERR_PIN_INCORRECT, "%s: %s: PIN incorrect, "
			    "%d %s left before the PIN is blocked", d, what, retries,
			    retries == 1 ? "try" : "tries");
		return hk_errf(HK_ERR_PIN_INCORRECT, "%s: %s: PIN incorrect", d, what);
	case FIDO_ERR_PIN_AUTH_INVALID:
		return hk_errf(HK_ERR_PIN_INCORRECT, "%s: %s: the device rejected the "
		    "PIN authentication", d, what);
	case FIDO_ERR_PIN_BLOCKED:
		return hk_errf(HK_ERR_PIN_LOCKED, "%s: %s: PIN blocked; only a reset "
		    "(hwkey token init %s) makes the device usable again, and it "
		    "erases every credential on it", d, what, d);
	case FIDO_ERR_PIN_AUTH_BLOCKED:
		return hk_errf(HK_ERR_PIN_AUTH_BLOCKED, "%s: %s: too many wrong PINs "
		    "in a row; remove and reinsert the security key, then try again",
		    d, what);
	case FIDO_ERR_PIN_REQUIRED:
	case FIDO_ERR_UV_INVALID:
		return hk_errf(HK_ERR_PIN_REQUIRED, "%s: %s: the device needs its "
		    "PIN (give one with --pin SRC)", d, what);
	case FIDO_ERR_PIN_NOT_SET:
		return hk_errf(HK_ERR_PIN_REQUIRED, "%s: %s: the device has no PIN; "
		    "set one with hwkey pin set %s", d, what, d);
	case FIDO_ERR_PIN_POLICY_VIOLATION:
		return hk_errf(HK_ERR_PIN_INVALID, "%s: %s: the device refused the "
		    "new PIN (FIDO2 PINs are 4 to 63 bytes; the device may ask for "
		    "more)", d, what);
	case FIDO_ERR_OPERATION_DENIED:
		return hk_errf(HK_ERR_TOUCH_DENIED, "%s: %s: the security key denied "
		    "the operation", d, what);
	case FIDO_ERR_USER_ACTION_TIMEOUT:
	case FIDO_ERR_ACTION_TIMEOUT:
		return hk_errf(HK_ERR_TOUCH_TIMEOUT, "%s: %s: the security key was "
		    "not touched in time; run again and touch it when it blinks", d,
		    what);
	case FIDO_ERR_KEEPALIVE_CANCEL:
		return hk_errf(HK_ERR_CANCELLED, "%s: %s: cancelled", d, what);
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
		return hk_errf(HK_ERR_MECHANISM, "%s: %s: the device does not support "
		    "this key type (see its algorithms in hwkey tokens)", d, what);
	case FIDO_ERR_UNSUPPORTED_OPTION:
	case FIDO_ERR_INVALID_OPTION:
	case FIDO_ERR_UNSUPPORTED_EXTENSION:
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: %s: the device does not "
		    "support an option asked for (resident keys, user verification "
		    "or credProtect; see its options in hwkey tokens)", d, what);
	case FIDO_ERR_CREDENTIAL_EXCLUDED:
		return hk_errf(HK_ERR_CREDENTIAL_EXISTS, "%s: %s: a resident key for "
		    "this application and user already exists; delete it first "
		    "(hwkey key delete) or pick another --user", d, what);
	case FIDO_ERR_KEY_STORE_FULL:
		return hk_errf(HK_ERR_DEVICE, "%s: %s: the device has no room for "
		    "another resident key; delete one with hwkey key delete", d, what);
	case FIDO_ERR_NO_CREDENTIALS:
	case FIDO_ERR_INVALID_CREDENTIAL:
		return hk_errf(HK_ERR_KEY_NOT_FOUND, "%s: %s: the device does not know "
		    "this key (made on another security key, or deleted)", d, what);
	case FIDO_ERR_NOT_ALLOWED:
	case FIDO_ERR_UNAUTHORIZED_PERM:
		return hk_errf(HK_ERR_DEVICE, "%s: %s: the device does not allow "
		    "this operation now", d, what);
	case FIDO_ERR_TX:
	case FIDO_ERR_RX:
		return hk_errf(HK_ERR_DEVICE_REMOVED, "%s: %s: lost contact with the "
		    "device (removed?)", d, what);
	case FIDO_ERR_INVALID_SIG:
		return hk_errf(HK_ERR_ATTESTATION, "%s: %s: signature does not verify",
		    d, what);
	case FIDO_ERR_INTERNAL:
		return hk_errf(HK_ERR_FIDO2, "%s: %s: libfido2 internal error", d, what);
	}
	return hk_errf(HK_ERR_FIDO2, "%s: %s: %s (libfido2 status %d)", d, what,
	    fido_strerr(fr), fr);
}
