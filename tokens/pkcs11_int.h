/* Internal state shared by tokens/pkcs11*.c (the only files that see the
 * PKCS#11 headers): loaded modules, the selected token and its session. */
#ifndef HK_PKCS11_INT_H
#define HK_PKCS11_INT_H

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "pkcs11_err.h"
#include "token_impl.h"

/* Quirk flags (tokens/pkcs11_quirks.c). */
#define HK_P11Q_MINIMAL_TEMPLATE	0x01	/* rejects optional attributes: start minimal */
#define HK_P11Q_KEYGEN_SO_LOGIN		0x02	/* keygen needs CKU_SO (YKCS11: management key) */
#define HK_P11Q_ID_IS_SLOT		0x04	/* CKA_ID is one byte naming a PIV slot */
#define HK_P11Q_NO_KEYGEN		0x08	/* never offers C_GenerateKeyPair */
/*
 * The module sees tokens another process added or removed only after
 * C_Finalize + C_Initialize (SoftHSM2 reads its token directory once, in
 * C_Initialize; a deleted token's slot stays listed and C_GetTokenInfo
 * fails): hk_tokens_rescan cycles it when none of its tokens is open.
 */
#define HK_P11Q_RESCAN_REINIT		0x10

struct hk_p11_quirk {
	const char *family;		/* "softhsm", "ykcs11", "opensc" */
	const char *manufacturer;	/* token manufacturer prefix, or NULL */
	const char *library;		/* library description substring, or NULL */
	const char *model;		/* token model substring, or NULL */
	unsigned int flags;
	unsigned int gen_mask;		/* HK_KIND_BIT()s it can make, 0 = what mechanisms say */
	const char *so_prompt;		/* what the SO secret is called */
	const char *note;		/* shown by hwkey tokens --json */
};

/* Match a token against the quirk table; NULL when none applies. */
const struct hk_p11_quirk *hk_p11_quirk_find(const CK_INFO *lib, const CK_TOKEN_INFO *ti);

/*
 * One token found while enumerating. Open tokens hold their slot (refs), so
 * a rescan that no longer finds it parks it in ctx->gone until they close.
 */
struct hk_p11_slot {
	CK_FUNCTION_LIST *mod;
	char *modname;		/* p11-kit name or path; owned by info */
	char *modpath;		/* file name, for module-path= queries */
	CK_INFO lib;
	CK_SLOT_ID slot;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	const struct hk_p11_quirk *quirk;
	struct hk_token_info *info;
	CK_RV mech_rv;		/* first C_GetMechanismInfo failure, or CKR_OK */
	unsigned int refs;	/* open tokens on this slot */
};

struct hk_p11_ctx {
	CK_FUNCTION_LIST **mods;	/* NULL-terminated, from p11-kit */
	CK_FUNCTION_LIST *single;	/* --module: loaded by path */
	void *dl;			/* dlopen handle when p11-kit declined the path */
	char *path;			/* --module as given */
	struct hk_p11_slot **slots;	/* the current scan */
	size_t nslots;
	struct hk_p11_slot **gone;	/* no longer listed, still open */
	size_t ngone;
	struct hk_token_info **infos;
	int scanned;
	CK_RV scan_rv;		/* first failure while enumerating, or CKR_OK */
	char scan_what[96];	/* "C_GetTokenInfo (slot 3): CKR_..." */
};

struct hk_p11_tok {
	struct hk_p11_ctx *ctx;
	struct hk_p11_slot *s;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE sess;
	int have_sess;
	int logged_in;		/* -1, CKU_USER or CKU_SO */
	P11KitUri *uri;		/* the selecting URI (its id=/object= pick keys) */
	/*
	 * Labels of every key on the token, read once when a batch of keygens
	 * starts (hk_keygen_req_set_batch) and kept current by keygen, so a
	 * batch costs one scan instead of two token searches per key.
	 */
	char **labels;
	size_t nlabels;
	int have_labels;
};

/* Handles kept in struct hk_token_key.be (released by free()). */
struct hk_p11_keyref {
	CK_OBJECT_HANDLE pub, priv;
	int has_pub, has_priv;
};

static inline struct hk_p11_tok *
hk_p11_tok(struct hk_token *tok)
{
	return tok->be;
}

/* pkcs11_scan.c */
void hk_p11_slot_free(struct hk_p11_slot *s);	/* accepts NULL */
void hk_p11_slots_free(struct hk_p11_slot **slots, size_t n);
/* HK_TOKEN_F_* of CK_TOKEN_INFO flags. */
unsigned int hk_p11_flags(CK_FLAGS f);
/* Every slot with a token, of every loaded module, into ctx->slots. */
int hk_p11_scan(struct hk_p11_ctx *ctx);
int hk_p11_enumerate(void *arg, struct hk_token_info *const **infosp, size_t *np);
int hk_p11_rescan(void *arg, int *changedp);
/* pkcs11.c */
int hk_p11_session(struct hk_token *tok);
int hk_p11_login(struct hk_token *tok, enum hk_token_user who);
const char *hk_p11_name(struct hk_token *tok);	/* for error details */
int hk_p11_refresh_info(struct hk_token *tok);
/* "token alice: C_Login: CKR_PIN_INCORRECT (PIN count low)" */
int hk_p11_pin_err(struct hk_token *tok, CK_RV rv, const char *call,
    enum hk_token_user who);
/* pkcs11_proof.c */
/*
 * Fill k->proof (HK_PROOF_PKCS11_FLAGS) from the flags read back: verified
 * when LOCAL, NEVER_EXTRACTABLE, ALWAYS_SENSITIVE, SENSITIVE are set and
 * EXTRACTABLE clear, all reported; else the reason names what failed.
 */
int hk_p11_key_prove(struct hk_token_key *k);
/* pkcs11_admin.c */
int hk_p11_init_token(struct hk_token *tok, const char *label);
int hk_p11_init_pin(struct hk_token *tok);
int hk_p11_set_pin(struct hk_token *tok, enum hk_token_user who);
/* pkcs11_keys.c */
/* Curve of CKA_EC_PARAMS (DER OID or PKCS#11 3.0 name); *edp = 1 for Ed25519. */
int hk_p11_curve(const uint8_t *p, size_t len, enum hk_curve *cp, int *edp);
/* CKA_EC_POINT as DER OCTET STRING or raw; want is the raw point's size. */
int hk_p11_unwrap_point(const uint8_t *p, size_t len, size_t want,
    const uint8_t **outp, size_t *outlenp);
int hk_p11_find(struct hk_token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE **hsp, size_t *np);
/*
 * Read one variable-length attribute (NUL added after it). Absent or
 * unreadable gives HK_ERR_NOT_FOUND; a failure of the token is its own error.
 */
int hk_p11_attr(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    uint8_t **valp, size_t *lenp);
int hk_p11_key_load(struct hk_token *tok, CK_OBJECT_HANDLE pub, int has_pub,
    CK_OBJECT_HANDLE priv, int has_priv, struct hk_token_key **keyp);
int hk_p11_list_keys(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np);
int hk_p11_find_key(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp);
int hk_p11_delete_key(struct hk_token *tok, const struct hk_token_key *key);
/* pkcs11_decrypt.c */
int hk_p11_decrypt(struct hk_token *tok, const struct hk_token_key *key,
    enum hk_decrypt_mech mech, const uint8_t *in, size_t len, struct hk_secret **outp);
/* pkcs11_keygen.c */
int hk_p11_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp);
/* Drop the label index of a batch (it is read again when needed). */
void hk_p11_labels_free(struct hk_p11_tok *t);

/* pkcs11_attrs.c */
#define HK_P11_ATTRS_MAX	32	/* attributes in one hk_p11_attrs_get */
#define HK_P11_ATTRS_EACH	0x01	/* one call per attribute (the token refuses batches) */
/*
 * Read tmpl[0..n) of object h: one C_GetAttributeValue, and a second for the
 * values of variable-length entries. An entry with pValue set is fixed-size
 * (ulValueLen bytes there); one with pValue NULL is variable: on return it
 * points into *blockp (one malloc for the caller to free(), NUL after each
 * value). Either way ulValueLen is the value's length or
 * CK_UNAVAILABLE_INFORMATION when the object has no readable value (type
 * invalid, sensitive). 0 when the token answered per attribute;
 * HK_ERR_NOT_FOUND when it refused the template as a whole (every entry
 * then unavailable; HK_P11_ATTRS_EACH may still get them); a failure of
 * the token names C_GetAttributeValue and its CKR.
 */
int hk_p11_attrs_get(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
    CK_ULONG n, unsigned int flags, void **blockp);

#endif /* HK_PKCS11_INT_H */
