/* hwkey-cloudsim: an imported authorized_keys line checked against each
 * vendor's documented key types (cloud-apis.md 1), and its vendor fingerprint. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "key.h"
#include "sim.h"

/* Alibaba: rsa, dsa, ecdsa only; Huawei: adds Ed25519, RSA 2048/3072/4096 only. */
static int
type_allowed(enum sim_provider p, const struct hk_key *k, const char **whyp)
{
	unsigned int bits = hk_key_bits(k);

	switch (hk_key_type(k)) {
	case HK_KEY_RSA:
		if (p == SIM_HUAWEI && bits != 2048 && bits != 3072 && bits != 4096) {
			*whyp = "RSA keys must be 2048, 3072 or 4096 bits";
			return 0;
		}
		return 1;
	case HK_KEY_DSA:
	case HK_KEY_ECDSA:
		return 1;
	case HK_KEY_ED25519:
		if (p == SIM_ALIYUN) {
			*whyp = "ssh-ed25519 is not a supported key type";
			return 0;
		}
		return 1;
	default:
		*whyp = "security-key (sk-*) types are not supported";
		return 0;
	}
}

int
sim_pubkey_check(enum sim_provider p, const char *line, char **fpp, const char **whyp)
{
	struct hk_key *k = NULL;
	struct hk_buf *blob = NULL;
	const char *s = line, *t0, *t1, *b0, *b1;
	size_t l;
	int r;

	*fpp = NULL;
	*whyp = "the public key is not an OpenSSH public key line";
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	/* The comment too: it is stored and answered in JSON and XML. */
	for (l = strlen(s); l > 0 && strchr(" \t\r\n", s[l - 1]) != NULL; l--)
		;
	if (!sim_text_valid(s, l)) {
		*whyp = "the public key line is not UTF-8 text (malformed UTF-8 or a "
		    "control character)";
		return HK_ERR_FORMAT_MALFORMED;
	}
	t0 = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	t1 = s;
	while (*s == ' ' || *s == '\t')
		s++;
	b0 = s;
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
		s++;
	b1 = s;
	if (t1 == t0 || b1 == b0)
		return HK_ERR_FORMAT_MALFORMED;
	if ((blob = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_b64_decode(blob, b0, (size_t)(b1 - b0), 0)) != 0 ||
	    (r = hk_key_from_blob(hk_buf_ptr(blob), hk_buf_len(blob), &k)) != 0) {
		r = r == HK_ERR_ALLOC ? r : HK_ERR_FORMAT_MALFORMED;
		goto out;
	}
	if (strlen(hk_key_type_name(k)) != (size_t)(t1 - t0) ||
	    strncmp(hk_key_type_name(k), t0, (size_t)(t1 - t0)) != 0) {
		*whyp = "the key type name does not match the key";
		r = HK_ERR_FORMAT_MALFORMED;
		goto out;
	}
	if (!type_allowed(p, k, whyp)) {
		r = HK_ERR_CLOUD_UNSUPPORTED;
		goto out;
	}
	r = hk_key_fingerprint(k, p == SIM_ALIYUN ? HK_FP_ALIYUN : HK_FP_HUAWEI, fpp);
	*whyp = NULL;
 out:
	hk_key_free(k);
	hk_buf_free(blob);
	return r;
}
