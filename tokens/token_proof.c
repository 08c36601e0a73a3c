/* struct hk_token_proof: the names of its kinds, and the release of what a
 * backend put in it (certificates, attestation blobs, the reason). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "token_impl.h"

const char *
hk_proof_kind_name(enum hk_proof_kind kind)
{
	switch (kind) {
	case HK_PROOF_NONE:		return "none";
	case HK_PROOF_PKCS11_FLAGS:	return "pkcs11-flags";
	case HK_PROOF_FIDO2_ATTESTATION: return "fido2-attestation";
	case HK_PROOF_PIV_ATTESTATION:	return "piv-attestation";
	}
	return "unknown";
}

static void
proof_certs_free(struct hk_proof_blob *certs, size_t n)
{
	size_t i;

	for (i = 0; certs != NULL && i < n; i++)
		free(certs[i].ptr);
	free(certs);
}

void
hk_token_proof_clear(struct hk_token_proof *proof)
{
	if (proof == NULL)
		return;
	switch (proof->kind) {
	case HK_PROOF_FIDO2_ATTESTATION:
		free(proof->u.fido2.format);
		free(proof->u.fido2.attestation.ptr);
		free(proof->u.fido2.authdata.ptr);
		free(proof->u.fido2.signature.ptr);
		proof_certs_free(proof->u.fido2.certs, proof->u.fido2.ncerts);
		free(proof->u.fido2.subject);
		free(proof->u.fido2.issuer);
		break;
	case HK_PROOF_PIV_ATTESTATION:
		proof_certs_free(proof->u.piv.certs, proof->u.piv.ncerts);
		break;
	case HK_PROOF_NONE:
	case HK_PROOF_PKCS11_FLAGS:
		break;
	}
	free(proof->reason);
	memset(proof, 0, sizeof(*proof));
}

int
hk_token_proof_reason(struct hk_token_proof *proof, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return HK_ERR_ALLOC;
	free(proof->reason);
	proof->reason = s;
	return 0;
}
