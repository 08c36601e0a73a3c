/* The capability checks every request passes before it is sent, over the
 * data in each provider's row (what its key-pair service accepts). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cloud_int.h"
#include "err.h"

const struct hk_cloud_caps *
hk_cloud_caps_find(const char *provider)
{
	const struct hk_cloud_provider *row = hk_cloud_provider_find(provider);

	return row != NULL ? row->caps : NULL;
}

const struct hk_cloud_caps *
hk_cloud_caps_at(size_t i)
{
	const struct hk_cloud_provider *row = hk_cloud_provider_at(i);

	return row != NULL ? row->caps : NULL;
}

static const char *
type_word(enum hk_key_type type, enum hk_curve curve)
{
	switch (type) {
	case HK_KEY_RSA:
		return "ssh-rsa";
	case HK_KEY_DSA:
		return "ssh-dss";
	case HK_KEY_ED25519:
		return "ssh-ed25519";
	case HK_KEY_ECDSA_SK:
		return "sk-ecdsa-sha2-nistp256@openssh.com";
	case HK_KEY_ED25519_SK:
		return "sk-ssh-ed25519@openssh.com";
	case HK_KEY_ECDSA:
		switch (curve) {
		case HK_CURVE_P256:
			return "ecdsa-sha2-nistp256";
		case HK_CURVE_P384:
			return "ecdsa-sha2-nistp384";
		case HK_CURVE_P521:
			return "ecdsa-sha2-nistp521";
		default:
			return "ecdsa";
		}
	default:
		return "unknown";
	}
}

static void
accepted_list(const struct hk_cloud_caps *caps, char *buf, size_t size)
{
	const struct hk_cloud_keycap *k;
	size_t off = 0;

	buf[0] = '\0';
	for (k = caps->keys; k->type != HK_KEY_UNSPEC && off < size; k++) {
		if (off > 0)
			off += (size_t)snprintf(buf + off, size - off, ", ");
		if (off < size)
			off += (size_t)snprintf(buf + off, size - off, "%s", k->label);
	}
}

int
hk_cloud_caps_check_type(const struct hk_cloud_caps *caps, enum hk_key_type type,
    enum hk_curve curve, unsigned int bits)
{
	const struct hk_cloud_keycap *k;
	char list[256];
	size_t i;

	if (type == HK_KEY_ECDSA_SK || type == HK_KEY_ED25519_SK)
		return hk_errf(HK_ERR_CLOUD_UNSUPPORTED, "%s: %s keys are accepted by no "
		    "cloud's ImportKeyPair (Alibaba, Huawei and AWS list no sk-* type); "
		    "install the key in the instance's ~/.ssh/authorized_keys instead "
		    "(hwkey export prints the line)", caps->title, type_word(type, curve));
	accepted_list(caps, list, sizeof(list));
	for (k = caps->keys; k->type != HK_KEY_UNSPEC; k++) {
		if (k->type != type || (k->curve != HK_CURVE_NONE && k->curve != curve))
			continue;
		if (k->rsa_bits == NULL)
			return 0;
		for (i = 0; k->rsa_bits[i] != 0; i++)
			if (k->rsa_bits[i] == bits)
				return 0;
		return hk_errf(HK_ERR_CLOUD_UNSUPPORTED, "%s accepts %s keys, not "
		    "%u-bit %s; %s", caps->title, k->label, bits,
		    type_word(type, curve), caps->suggest);
	}
	return hk_errf(HK_ERR_CLOUD_UNSUPPORTED, "%s does not accept %s keys (it "
	    "accepts %s); %s", caps->title, type_word(type, curve), list, caps->suggest);
}

int
hk_cloud_caps_check_key(const struct hk_cloud_caps *caps, const struct hk_key *key)
{
	return hk_cloud_caps_check_type(caps, hk_key_type(key), hk_key_curve(key),
	    hk_key_bits(key));
}

int
hk_cloud_caps_check_name(const struct hk_cloud_caps *caps, const char *name)
{
	const struct hk_cloud_namerule *nr = &caps->name;
	size_t len = strlen(name), i;
	unsigned char ch;

	if ((len < nr->min || len > nr->max) && len > 64)
		return hk_errf(HK_ERR_CLOUD_NAME, "%s key pair name \"%.*s...\" is %zu "
		    "bytes; the rule is %s", caps->title, 64, name, len, nr->text);
	if (len < nr->min || len > nr->max)
		return hk_errf(HK_ERR_CLOUD_NAME, "%s key pair name \"%s\" is %zu "
		    "bytes; the rule is %s", caps->title, name, len, nr->text);
	for (i = 0; nr->forbidden_prefixes != NULL && nr->forbidden_prefixes[i] != NULL; i++)
		if (strncasecmp(name, nr->forbidden_prefixes[i],
		    strlen(nr->forbidden_prefixes[i])) == 0)
			return hk_errf(HK_ERR_CLOUD_NAME, "%s key pair name \"%s\" starts "
			    "with %s; the rule is %s", caps->title, name,
			    nr->forbidden_prefixes[i], nr->text);
	for (i = 0; i < len; i++) {
		ch = (unsigned char)name[i];
		if (ch >= 0x80 && nr->allow_utf8)
			continue;
		if (ch >= 0x80 || ch == '\0' || strchr(nr->allowed, ch) == NULL ||
		    (i == 0 && nr->first[0] != '\0' && strchr(nr->first, ch) == NULL))
			return hk_errf(HK_ERR_CLOUD_NAME, "%s key pair name \"%s\": "
			    "character %zu ('%c') breaks the rule: %s", caps->title,
			    name, i + 1, isprint(ch) ? ch : '?', nr->text);
	}
	return 0;
}
