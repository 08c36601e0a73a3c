/* The PKCS#11 proof that a private key was made on the token and cannot
 * leave it: the flags the token reports for it, checked against one rule. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "pkcs11_int.h"

static const struct {
	unsigned int flag;
	const char *name;
	int want;
} p11_need[] = {
	{ HK_TKEY_F_LOCAL, "CKA_LOCAL", 1 },
	{ HK_TKEY_F_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", 1 },
	{ HK_TKEY_F_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", 1 },
	{ HK_TKEY_F_SENSITIVE, "CKA_SENSITIVE", 1 },
	{ HK_TKEY_F_EXTRACTABLE, "CKA_EXTRACTABLE", 0 },
};
#define P11_NNEED (sizeof(p11_need) / sizeof(p11_need[0]))

int
hk_p11_key_prove(struct hk_token_key *k)
{
	struct hk_token_proof *p = &k->proof;
	char why[256];
	size_t i, len;

	hk_token_proof_clear(p);
	p->kind = HK_PROOF_PKCS11_FLAGS;
	p->u.pkcs11.flags = k->flags;
	p->u.pkcs11.known = k->known;
	if (!k->has_private)
		return hk_token_proof_reason(p, "no private key object");
	/* "CKA_LOCAL=FALSE, CKA_EXTRACTABLE unreadable" */
	why[0] = '\0';
	for (i = 0; i < P11_NNEED; i++) {
		len = strlen(why);
		if ((k->known & p11_need[i].flag) == 0)
			snprintf(why + len, sizeof(why) - len, "%s%s unreadable",
			    len ? ", " : "", p11_need[i].name);
		else if (((k->flags & p11_need[i].flag) != 0) != p11_need[i].want)
			snprintf(why + len, sizeof(why) - len, "%s%s=%s", len ? ", " : "",
			    p11_need[i].name, p11_need[i].want ? "FALSE" : "TRUE");
	}
	if (why[0] != '\0')
		return hk_token_proof_reason(p, "%s", why);
	p->verified = 1;
	return 0;
}
