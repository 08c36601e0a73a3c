/* Per-family PKCS#11 quirks, as data: how SoftHSM2, YKCS11 (YubiKey PIV) and
 * OpenSC differ in what they generate and how keygen must be asked for.
 * Facts from shared/reference/tokens.md section 8. */
#include <string.h>

#include "pkcs11_int.h"

static const struct hk_p11_quirk quirks[] = {
	/*
	 * YKCS11 2.2.0 (Debian 12) refuses any attribute outside its short list
	 * (CKA_EXTRACTABLE, CKA_*_RECOVER: CKR_ATTRIBUTE_TYPE_INVALID), so start
	 * minimal; the read-back still proves the key. Keygen needs C_Login as
	 * CKU_SO with the management key, CKA_ID picks the PIV slot (1=9a,
	 * 2=9c, 3=9d, 4=9e). 2.2.0 makes RSA 2048 and P-256/P-384 only; later
	 * versions add more and their mechanism list says so, so the mask is
	 * applied only to 2.x < 2.6 (see hk_p11_quirk_find).
	 */
	{ "ykcs11", "Yubico", "PIV", NULL,
	    HK_P11Q_MINIMAL_TEMPLATE | HK_P11Q_KEYGEN_SO_LOGIN | HK_P11Q_ID_IS_SLOT,
	    HK_KIND_BIT(HK_KIND_RSA2048) | HK_KIND_BIT(HK_KIND_ECDSA_P256) |
	    HK_KIND_BIT(HK_KIND_ECDSA_P384),
	    "Management key",
	    "keygen logs in as SO with the management key; CKA_ID 1-4 = PIV slot 9a/9c/9d/9e" },
	/*
	 * OpenSC's PIV driver hides on-card keygen from PKCS#11 on purpose
	 * (card-piv.c); generate with piv-tool/yubico-piv-tool instead. Its
	 * tokens carry the driver name "piv_II" as manufacturer.
	 */
	{ "opensc", "piv_II", "OpenSC", NULL,
	    HK_P11Q_NO_KEYGEN, 0, "SO PIN",
	    "PIV cards: OpenSC offers no PKCS#11 keygen; use piv-tool or YKCS11" },
	{ "opensc", NULL, "OpenSC", NULL, 0, 0, "SO PIN", NULL },
	/*
	 * SoftHSM2: defaults CKA_TOKEN/CKA_SENSITIVE to FALSE, so always send
	 * them. It reads its token directory in C_Initialize only: a token
	 * softhsm2-util adds later is not listed, a deleted one stays listed
	 * with C_GetTokenInfo failing (CKR_GENERAL_ERROR), until the module is
	 * finalized and initialized again (2.6.1, SlotManager/ObjectStore).
	 */
	{ "softhsm", "SoftHSM", NULL, NULL, HK_P11Q_RESCAN_REINIT, 0, "SO PIN", NULL },
};

static int
padded_has(const CK_UTF8CHAR *field, size_t size, const char *needle, int prefix)
{
	char buf[65];
	size_t n = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;

	memcpy(buf, field, n);
	buf[n] = '\0';
	if (prefix)
		return strncmp(buf, needle, strlen(needle)) == 0;
	return strstr(buf, needle) != NULL;
}

const struct hk_p11_quirk *
hk_p11_quirk_find(const CK_INFO *lib, const CK_TOKEN_INFO *ti)
{
	static struct hk_p11_quirk yk_new;
	const struct hk_p11_quirk *q;
	size_t i;

	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++) {
		q = &quirks[i];
		if (q->manufacturer != NULL && !padded_has(ti->manufacturerID,
		    sizeof(ti->manufacturerID), q->manufacturer, 1))
			continue;
		if (q->library != NULL && !padded_has(lib->libraryDescription,
		    sizeof(lib->libraryDescription), q->library, 0))
			continue;
		if (q->model != NULL && !padded_has(ti->model, sizeof(ti->model),
		    q->model, 0))
			continue;
		/* YKCS11 >= 2.6 accepts more types and CKA_EXTRACTABLE=FALSE. */
		if (strcmp(q->family, "ykcs11") == 0 &&
		    (lib->libraryVersion.major > 2 ||
		    (lib->libraryVersion.major == 2 && lib->libraryVersion.minor >= 6))) {
			yk_new = *q;
			yk_new.flags &= ~(unsigned int)HK_P11Q_MINIMAL_TEMPLATE;
			yk_new.gen_mask = 0;
			return &yk_new;
		}
		return q;
	}
	return NULL;
}
