/* PKCS#11 decryption with a token's private key (hwkey windows-password):
 * the key's own CKA_DECRYPT and type checked first, then C_DecryptInit and
 * C_Decrypt with the size query, the plaintext kept only in wiped memory. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "pkcs11_int.h"

#define P11_DECRYPT_MAX	(64 * 1024)	/* more than any RSA modulus gives back */

/* How to get a key that may decrypt: in every refusal, the same advice. */
#define P11_MAKE_ONE	"make one with hwkey keygen TOKEN --type rsa2048 " \
	"--usage ssh,windows-password (and create the instance with its key pair)"

/*
 * CKA_KEY_TYPE and CKA_DECRYPT of the private key, each as the token
 * answered it: *known_decrypt 0 when it did not say (some tokens hide it).
 */
static int
p11_decrypt_attrs(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_KEY_TYPE *ktp,
    CK_BBOOL *decp, int *known_decrypt)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_ATTRIBUTE a[2] = {
		{ CKA_KEY_TYPE, ktp, sizeof(*ktp) },
		{ CKA_DECRYPT, decp, sizeof(*decp) },
	};
	CK_RV rv;

	*known_decrypt = 0;
	rv = t->f->C_GetAttributeValue(t->sess, h, a, 2);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
	    rv != CKR_ATTRIBUTE_SENSITIVE)
		return hk_p11_err(rv, "%s: C_GetAttributeValue (CKA_KEY_TYPE, CKA_DECRYPT)",
		    hk_p11_name(tok));
	if (a[0].ulValueLen != sizeof(*ktp))
		*ktp = CK_UNAVAILABLE_INFORMATION;
	*known_decrypt = a[1].ulValueLen == sizeof(*decp);
	return 0;
}

/* A failed C_DecryptInit/C_Decrypt in words: what it means for this key and blob. */
static int
p11_decrypt_err(struct hk_token *tok, const struct hk_token_key *key, CK_RV rv,
    const char *call)
{
	switch (rv) {
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return hk_errf(HK_ERR_KEY_USAGE, "%s: key %s (\"%s\") may not decrypt "
		    "(%s: CKR_KEY_FUNCTION_NOT_PERMITTED); " P11_MAKE_ONE,
		    hk_p11_name(tok), key->id_hex, key->label, call);
	case CKR_KEY_TYPE_INCONSISTENT:
		return hk_errf(HK_ERR_KEY_USAGE, "%s: key %s (\"%s\") is not an RSA key "
		    "(%s: CKR_KEY_TYPE_INCONSISTENT); " P11_MAKE_ONE, hk_p11_name(tok),
		    key->id_hex, key->label, call);
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
		return hk_errf(HK_ERR_ENCRYPTED_DATA, "%s: key %s (\"%s\") does not decrypt "
		    "this data (%s: %s): it was encrypted to another key pair, or it is "
		    "damaged or cut", hk_p11_name(tok), key->id_hex, key->label, call,
		    rv == CKR_ENCRYPTED_DATA_INVALID ? "CKR_ENCRYPTED_DATA_INVALID" :
		    "CKR_ENCRYPTED_DATA_LEN_RANGE");
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
		/*
		 * SoftHSM (and others) answer a ciphertext whose PKCS#1 padding does
		 * not check out this way: with the right length and a key that may
		 * decrypt, that is what it means.
		 */
		if (strcmp(call, "C_Decrypt") == 0)
			return hk_errf(HK_ERR_ENCRYPTED_DATA, "%s: key %s (\"%s\") does not "
			    "decrypt this data (C_Decrypt: %s, the PKCS#1 padding does not "
			    "check out): it was encrypted to another key pair, or it is "
			    "damaged", hk_p11_name(tok), key->id_hex, key->label,
			    hk_p11_rv_name(rv));
		/* FALLTHROUGH */
	default:
		return hk_p11_err(rv, "%s: %s with key %s", hk_p11_name(tok), call,
		    key->id_hex);
	}
}

int
hk_p11_decrypt(struct hk_token *tok, const struct hk_token_key *key,
    enum hk_decrypt_mech mech, const uint8_t *in, size_t len, struct hk_secret **outp)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	const struct hk_p11_keyref *ref = key->be;
	CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };
	CK_KEY_TYPE kt = CK_UNAVAILABLE_INFORMATION;
	CK_BBOOL dec = CK_FALSE;
	CK_ULONG outlen = 0;
	uint8_t *out = NULL;
	size_t cap = 0;
	int r, known, tries, done = 0;
	CK_RV rv;

	*outp = NULL;
	if (mech != HK_DECRYPT_RSA_PKCS1)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: unknown decryption mechanism",
		    hk_p11_name(tok));
	if ((r = hk_p11_login(tok, HK_TOKEN_USER)) != 0)
		return r;
	if (ref == NULL || !ref->has_priv)
		return hk_errf(HK_ERR_KEY_NOT_FOUND, "%s: key %s (\"%s\") has no private "
		    "half on the token (or it was looked for without logging in)",
		    hk_p11_name(tok), key->id_hex, key->label);
	/* Refuse from the key's own attributes before any decryption is tried. */
	if ((r = p11_decrypt_attrs(tok, ref->priv, &kt, &dec, &known)) != 0)
		return r;
	if (kt != CK_UNAVAILABLE_INFORMATION && kt != CKK_RSA)
		return hk_errf(HK_ERR_KEY_USAGE, "%s: key %s (\"%s\") is not an RSA key: "
		    "Windows passwords are RSA-encrypted; " P11_MAKE_ONE,
		    hk_p11_name(tok), key->id_hex, key->label);
	if (known && dec != CK_TRUE)
		return hk_errf(HK_ERR_KEY_USAGE, "%s: key %s (\"%s\") was not made for "
		    "decryption (CKA_DECRYPT is false: an SSH-only key); " P11_MAKE_ONE,
		    hk_p11_name(tok), key->id_hex, key->label);
	if (len > P11_DECRYPT_MAX)
		return hk_errf(HK_ERR_ENCRYPTED_DATA, "%s: %zu bytes to decrypt: no RSA "
		    "key encrypts that much", hk_p11_name(tok), len);
	/* An RSA ciphertext is exactly as long as the modulus. */
	if (key->key != NULL && hk_key_type(key->key) == HK_KEY_RSA &&
	    len != (hk_key_bits(key->key) + 7) / 8)
		return hk_errf(HK_ERR_ENCRYPTED_DATA, "%s: key %s (\"%s\") does not decrypt "
		    "this data: %zu bytes, where a ciphertext of this %u-bit key has %u; "
		    "it was encrypted to another key pair, or it is damaged or cut",
		    hk_p11_name(tok), key->id_hex, key->label, len, hk_key_bits(key->key),
		    (hk_key_bits(key->key) + 7) / 8);

	if ((rv = t->f->C_DecryptInit(t->sess, &m, ref->priv)) != CKR_OK)
		return p11_decrypt_err(tok, key, rv, "C_DecryptInit");
	/* The size first (a NULL buffer keeps the operation active), then the data. */
	rv = t->f->C_Decrypt(t->sess, (CK_BYTE_PTR)(uintptr_t)in, (CK_ULONG)len, NULL,
	    &outlen);
	for (tries = 0; rv == CKR_OK && tries < 2; tries++) {
		if (outlen == 0 || outlen > P11_DECRYPT_MAX) {
			r = hk_errf(HK_ERR_PKCS11, "%s: C_Decrypt announced %lu bytes",
			    hk_p11_name(tok), (unsigned long)outlen);
			goto cancel;
		}
		hk_freezero(out, cap);
		cap = 0;
		if ((out = malloc(outlen)) == NULL) {
			r = HK_ERR_ALLOC;
			goto cancel;
		}
		cap = outlen;
		rv = t->f->C_Decrypt(t->sess, (CK_BYTE_PTR)(uintptr_t)in, (CK_ULONG)len,
		    out, &outlen);
		/* Too small for what it found after all: it said how much, once more. */
		if (rv == CKR_BUFFER_TOO_SMALL)
			rv = CKR_OK;
		else if (rv == CKR_OK) {
			done = 1;
			break;
		}
	}
	if (!done && rv == CKR_OK) {
		r = hk_errf(HK_ERR_PKCS11, "%s: C_Decrypt kept asking for a larger buffer",
		    hk_p11_name(tok));
		goto cancel;
	}
	if (!done) {
		r = p11_decrypt_err(tok, key, rv, "C_Decrypt");
		goto out;
	}
	r = hk_secret_new(out, outlen, outp);
	goto out;
 cancel:
	/* PKCS#11 3.0: a NULL mechanism ends the active operation (best effort). */
	(void)t->f->C_DecryptInit(t->sess, NULL, ref->priv);
 out:
	hk_freezero(out, cap);
	return r;
}
