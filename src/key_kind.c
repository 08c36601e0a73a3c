/* Key kinds: the one named list of what hwkey can ask a token to make
 * (type plus size or curve), used by keygen, the token backends and output. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "key.h"

/*
 * The key kinds (enum hk_kind order). hk_key_kind_from_name's error and
 * hk_key_kind_names() list them from here, so a new kind is one row.
 */
static const struct hk_key_kind key_kinds[] = {
	[HK_KIND_RSA2048] = { "rsa2048", HK_KEY_RSA, HK_CURVE_NONE, 2048 },
	[HK_KIND_RSA3072] = { "rsa3072", HK_KEY_RSA, HK_CURVE_NONE, 3072 },
	[HK_KIND_RSA4096] = { "rsa4096", HK_KEY_RSA, HK_CURVE_NONE, 4096 },
	[HK_KIND_ECDSA_P256] = { "ecdsa-p256", HK_KEY_ECDSA, HK_CURVE_P256, 256 },
	[HK_KIND_ECDSA_P384] = { "ecdsa-p384", HK_KEY_ECDSA, HK_CURVE_P384, 384 },
	[HK_KIND_ECDSA_P521] = { "ecdsa-p521", HK_KEY_ECDSA, HK_CURVE_P521, 521 },
	[HK_KIND_ED25519] = { "ed25519", HK_KEY_ED25519, HK_CURVE_NONE, 256 },
	[HK_KIND_ECDSA_SK] = { "ecdsa-sk", HK_KEY_ECDSA_SK, HK_CURVE_P256, 256 },
	[HK_KIND_ED25519_SK] = { "ed25519-sk", HK_KEY_ED25519_SK, HK_CURVE_NONE, 256 },
};
_Static_assert(sizeof(key_kinds) / sizeof(key_kinds[0]) == HK_KIND_COUNT,
    "one row per enum hk_kind");

static char key_kind_list[256];
static pthread_once_t key_kind_list_once = PTHREAD_ONCE_INIT;

static void
key_kind_list_init(void)
{
	size_t i, len;

	for (i = 0; i < HK_KIND_COUNT; i++) {
		len = strlen(key_kind_list);
		snprintf(key_kind_list + len, sizeof(key_kind_list) - len, "%s%s",
		    i > 0 ? ", " : "", key_kinds[i].name);
	}
}

const struct hk_key_kind *
hk_key_kind(enum hk_kind kind)
{
	if ((unsigned int)kind >= HK_KIND_COUNT)
		return NULL;
	return &key_kinds[kind];
}

const char *
hk_key_kind_name(enum hk_kind kind)
{
	const struct hk_key_kind *k = hk_key_kind(kind);

	return k == NULL ? "unknown" : k->name;
}

const char *
hk_key_kind_names(void)
{
	pthread_once(&key_kind_list_once, key_kind_list_init);
	return key_kind_list;
}

int
hk_key_kind_from_name(const char *name, enum hk_kind *kindp)
{
	size_t i;

	for (i = 0; name != NULL && i < HK_KIND_COUNT; i++) {
		if (strcmp(name, key_kinds[i].name) == 0) {
			*kindp = (enum hk_kind)i;
			return 0;
		}
	}
	return hk_errf(HK_ERR_INVALID_ARGUMENT, "unknown key type \"%s\" (%s)",
	    name == NULL ? "" : name, hk_key_kind_names());
}

const char *
hk_key_kind_of(const struct hk_key *key, char *buf, size_t size)
{
	size_t i;

	if (key == NULL)
		return "unknown";
	for (i = 0; i < HK_KIND_COUNT; i++) {
		if (key_kinds[i].type == hk_key_type(key) &&
		    key_kinds[i].curve == hk_key_curve(key) &&
		    key_kinds[i].bits == hk_key_bits(key))
			return key_kinds[i].name;
	}
	if (hk_key_type(key) == HK_KEY_RSA) {
		snprintf(buf, size, "rsa%u", hk_key_bits(key));
		return buf;
	}
	return hk_key_type_name(key);
}
