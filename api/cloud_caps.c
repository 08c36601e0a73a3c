/* What each cloud's key-pair service accepts, as data (reference/cloud-apis.md
 * §1, §2.1, §5), and the checks every request passes before it is sent. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cloud.h"
#include "err.h"

static const unsigned int huawei_rsa_bits[] = { 2048, 3072, 4096, 0 };

/* ImportKeyPair lists rsa, dsa, ecdsa (and certificates); no ed25519, no sk. */
static const struct hk_cloud_keycap aliyun_keys[] = {
	{ HK_KEY_RSA, HK_CURVE_NONE, NULL, "rsa" },
	{ HK_KEY_DSA, HK_CURVE_NONE, NULL, "dsa" },
	{ HK_KEY_ECDSA, HK_CURVE_P256, NULL, "ecdsa-p256" },
	{ HK_KEY_ECDSA, HK_CURVE_P384, NULL, "ecdsa-p384" },
	{ HK_KEY_ECDSA, HK_CURVE_P521, NULL, "ecdsa-p521" },
	{ HK_KEY_UNSPEC, HK_CURVE_NONE, NULL, NULL },
};

/* KPS user guide: SSH-DSS, SSH-ED25519, ECDSA P-256/384/521, RSA 2048/3072/4096. */
static const struct hk_cloud_keycap huawei_keys[] = {
	{ HK_KEY_RSA, HK_CURVE_NONE, huawei_rsa_bits, "rsa-2048/3072/4096" },
	{ HK_KEY_DSA, HK_CURVE_NONE, NULL, "dsa" },
	{ HK_KEY_ECDSA, HK_CURVE_P256, NULL, "ecdsa-p256" },
	{ HK_KEY_ECDSA, HK_CURVE_P384, NULL, "ecdsa-p384" },
	{ HK_KEY_ECDSA, HK_CURVE_P521, NULL, "ecdsa-p521" },
	{ HK_KEY_ED25519, HK_CURVE_NONE, NULL, "ed25519" },
	{ HK_KEY_UNSPEC, HK_CURVE_NONE, NULL, NULL },
};

static const char *const aliyun_forbidden[] = { "http://", "https://", NULL };

/* DescribeRegions answers at run time; this list is the fallback for "all". */
static const char *const aliyun_regions[] = {
	"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu",
	"cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen",
	"cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong", "ap-northeast-1",
	"ap-northeast-2", "ap-southeast-1", "ap-southeast-3", "ap-southeast-5",
	"ap-southeast-6", "ap-southeast-7", "us-east-1", "us-west-1", "eu-west-1",
	"eu-central-1", "me-east-1", "me-central-1", NULL,
};

/* KpsRegion of the Huawei Cloud SDKs: KPS has no region-listing call. */
static const char *const huawei_regions[] = {
	"af-south-1", "cn-north-4", "cn-north-1", "cn-east-2", "cn-east-3",
	"cn-south-1", "cn-southwest-2", "ap-southeast-2", "ap-southeast-1",
	"ap-southeast-3", "cn-north-2", "cn-south-2", "na-mexico-1", "la-north-2",
	"la-south-2", "sa-brazil-1", "cn-north-9", "tr-west-1", "ap-southeast-4",
	"me-east-1", NULL,
};

static const struct hk_cloud_caps aliyun_caps = {
	.provider = "aliyun",
	.title = "Alibaba Cloud ECS",
	.keys = aliyun_keys,
	.suggest = "use an ecdsa-p256 or rsa key (hwkey keygen --type ecdsa-p256)",
	.name = {
		.min = 2, .max = 128,
		.first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		.allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789.:_-",
		.allow_utf8 = 1,
		.forbidden_prefixes = aliyun_forbidden,
		.text = "2-128 characters: letters, digits, '.', ':', '_', '-'; "
		    "starts with a letter; not http:// or https://",
	},
	.fp = HK_FP_ALIYUN,
	.list_page_max = 50,
	.delete_batch_max = 100,
	.attach_batch_max = 50,
	.quota_per_region = 500,
	.regions = aliyun_regions,
};

static const struct hk_cloud_caps huawei_caps = {
	.provider = "huawei",
	.title = "Huawei Cloud KPS",
	.keys = huawei_keys,
	.suggest = "use an ed25519, ecdsa-p256 or rsa-2048/3072/4096 key",
	.name = {
		.min = 1, .max = 64,
		.first = "",
		.allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_-",
		.allow_utf8 = 0,
		.forbidden_prefixes = NULL,
		.text = "1-64 bytes: letters, digits, '_', '-'",
	},
	.fp = HK_FP_HUAWEI,
	.list_page_max = 50,
	.delete_batch_max = 1,
	.attach_batch_max = 1,
	.quota_per_region = 0,
	.regions = huawei_regions,
};

static const struct hk_cloud_caps *const all_caps[] = {
	&aliyun_caps, &huawei_caps, NULL,
};

const struct hk_cloud_caps *
hk_cloud_caps_find(const char *provider)
{
	size_t i;

	for (i = 0; all_caps[i] != NULL; i++)
		if (strcmp(all_caps[i]->provider, provider) == 0)
			return all_caps[i];
	return NULL;
}

const struct hk_cloud_caps *const *
hk_cloud_caps_all(void)
{
	return all_caps;
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
	for (k = caps->keys; k->type != HK_KEY_UNSPEC && off < size; k++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    off > 0 ? ", " : "", k->label);
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

	if (len < nr->min || len > nr->max)
		return hk_errf(HK_ERR_CLOUD_NAME, "%s key pair name \"%.*s%s\" is %zu "
		    "bytes; the rule is %s", caps->title, 64, name, len > 64 ? "..." : "",
		    len, nr->text);
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
