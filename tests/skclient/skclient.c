/* skclient: loads an OpenSSH SecurityKeyProvider the way ssh-sk-helper does
 * (dlopen, version check, dlsym of the four entry points), calls one entry
 * point and checks what it returns against the sk-api contract: lengths,
 * the return code, and each signature verified with OpenSSL over what the
 * authenticator signs. Frees every response with free(), as OpenSSH does.
 *
 *   skclient PROVIDER version
 *   skclient PROVIDER enroll ecdsa|ed25519|ALG-NUMBER KEYFILE [options]
 *   skclient PROVIDER sign KEYFILE [options]
 *   skclient PROVIDER load [options]
 * options: --app APP --flags HEX --user USER --device DEV --data TEXT
 *          --pin-file FILE (first line; never argv)
 *          --require-option NAME (an unknown option marked required)
 * Prints "status N" (the provider's return code) then the result; exits 0
 * when the call returned 0, 1 when it returned an error, 2 when a result
 * breaks the contract, 64 on usage. */
#include <dlfcn.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "sk-api.h"

typedef uint32_t version_fn(void);
typedef int enroll_fn(uint32_t, const uint8_t *, size_t, const char *, uint8_t,
    const char *, struct sk_option **, struct sk_enroll_response **);
typedef int sign_fn(uint32_t, const uint8_t *, size_t, const char *,
    const uint8_t *, size_t, uint8_t, const char *, struct sk_option **,
    struct sk_sign_response **);
typedef int load_fn(const char *, struct sk_option **, struct sk_resident_key ***,
    size_t *);

struct provider {
	version_fn *version;
	enroll_fn *enroll;
	sign_fn *sign;
	load_fn *load;
};

struct opts {
	const char *app;
	const char *user;
	const char *device;
	const char *data;
	const char *require;		/* an extra option marked required */
	char pin[128];
	int have_pin;
	unsigned flags;
};

static void __attribute__((noreturn))
die(int status, const char *msg)
{
	fprintf(stderr, "skclient: %s\n", msg);
	exit(status);
}

static void
hex_print(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	printf("%s ", label);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int
hex_decode(const char *s, uint8_t **pp, size_t *lenp)
{
	size_t i, n = strlen(s) / 2;
	unsigned v;

	if (strlen(s) % 2 != 0 || (*pp = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		(*pp)[i] = (uint8_t)v;
	}
	*lenp = n;
	return 0;
}

static void
load_provider(const char *path, struct provider *p)
{
	void *h;

	/* ssh-sk-helper: dlopen RTLD_NOW, version first, then the rest. */
	if ((h = dlopen(path, RTLD_NOW)) == NULL)
		die(2, dlerror());
	if ((p->version = (version_fn *)dlsym(h, "sk_api_version")) == NULL ||
	    (p->enroll = (enroll_fn *)dlsym(h, "sk_enroll")) == NULL ||
	    (p->sign = (sign_fn *)dlsym(h, "sk_sign")) == NULL ||
	    (p->load = (load_fn *)dlsym(h, "sk_load_resident_keys")) == NULL)
		die(2, "an entry point is missing");
	if ((p->version() & SSH_SK_VERSION_MAJOR_MASK) != SSH_SK_VERSION_MAJOR)
		die(2, "API version does not match OpenSSH 9.2's");
}

/* A NULL-terminated option array as ssh-sk.c builds it. */
static struct sk_option **
make_options(const struct opts *o)
{
	static struct sk_option dev, user, req;
	static struct sk_option *v[4];
	size_t n = 0;

	if (o->device != NULL) {
		dev.name = (char *)"device";
		dev.value = (char *)o->device;
		v[n++] = &dev;
	}
	if (o->user != NULL) {
		user.name = (char *)"user";
		user.value = (char *)o->user;
		v[n++] = &user;
	}
	if (o->require != NULL) {
		req.name = (char *)o->require;
		req.value = (char *)"1";
		req.required = 1;
		v[n++] = &req;
	}
	v[n] = NULL;
	return v;
}

static EVP_PKEY *
pubkey_new(uint32_t alg, const uint8_t *pk, size_t len)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;

	if (alg == SSH_SK_ED25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, len);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pk, len) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		die(2, "OpenSSL");
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

/* What the authenticator signs for OpenSSH, verified with the public key. */
static int
sig_verify(uint32_t alg, const uint8_t *pk, size_t pklen, const char *app,
    const uint8_t *data, size_t datalen, const struct sk_sign_response *sr)
{
	uint8_t msg[32 + 1 + 4 + 32], *der = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *key;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	int derlen, ok = 0;

	SHA256((const uint8_t *)app, strlen(app), msg);
	msg[32] = sr->flags;
	msg[33] = (uint8_t)(sr->counter >> 24);
	msg[34] = (uint8_t)(sr->counter >> 16);
	msg[35] = (uint8_t)(sr->counter >> 8);
	msg[36] = (uint8_t)sr->counter;
	SHA256(data, datalen, msg + 37);
	if ((key = pubkey_new(alg, pk, pklen)) == NULL || (md = EVP_MD_CTX_new()) == NULL)
		die(2, "cannot load the public key");
	if (alg == SSH_SK_ED25519) {
		ok = sr->sig_r_len == 64 && sr->sig_s == NULL &&
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
		    EVP_DigestVerify(md, sr->sig_r, 64, msg, sizeof(msg)) == 1;
	} else if (sr->sig_r_len > 0 && sr->sig_r_len <= 32 &&
	    sr->sig_s_len > 0 && sr->sig_s_len <= 32) {
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sr->sig_r, (int)sr->sig_r_len, NULL);
		s = BN_bin2bn(sr->sig_s, (int)sr->sig_s_len, NULL);
		if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
			die(2, "OpenSSL");
		derlen = i2d_ECDSA_SIG(es, &der);
		ok = derlen > 0 &&
		    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		    EVP_DigestVerify(md, der, (size_t)derlen, msg, sizeof(msg)) == 1;
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok;
}

static void
enroll_response_free(struct sk_enroll_response *er)
{
	free(er->public_key);
	free(er->key_handle);
	free(er->signature);
	free(er->attestation_cert);
	free(er->authdata);
}

static int
cmd_enroll(const struct provider *p, const char *type, const char *keyfile,
    const struct opts *o)
{
	struct sk_enroll_response *er = NULL;
	uint8_t challenge[32];
	uint32_t alg;
	FILE *f;
	int r;

	if (strcmp(type, "ecdsa") == 0)
		alg = SSH_SK_ECDSA;
	else if (strcmp(type, "ed25519") == 0)
		alg = SSH_SK_ED25519;
	else if (type[0] >= '0' && type[0] <= '9')
		alg = (uint32_t)strtoul(type, NULL, 10);	/* what no provider knows */
	else
		die(64, "enroll: ecdsa, ed25519 or a number");
	memset(challenge, 0x5a, sizeof(challenge));
	r = p->enroll(alg, challenge, sizeof(challenge), o->app, (uint8_t)o->flags,
	    o->have_pin ? o->pin : NULL, make_options(o), &er);
	printf("status %d\n", r);
	if (r != 0) {
		if (er != NULL)
			die(2, "a response despite an error");
		return 1;
	}
	if (er == NULL || er->key_handle == NULL || er->key_handle_len == 0)
		die(2, "no key handle");
	if (alg == SSH_SK_ECDSA ? (er->public_key_len != 65 || er->public_key[0] != 0x04) :
	    er->public_key_len != 32)
		die(2, "public key of the wrong length");
	if (er->signature_len == 0 || er->authdata_len == 0)
		die(2, "no attestation signature or authdata");
	printf("flags 0x%02x\n", er->flags);
	hex_print("pubkey", er->public_key, er->public_key_len);
	printf("key_handle_len %zu\nsignature_len %zu\ncert_len %zu\nauthdata_len %zu\n",
	    er->key_handle_len, er->signature_len, er->attestation_cert_len,
	    er->authdata_len);
	if ((f = fopen(keyfile, "w")) == NULL)
		die(2, "cannot write the key file");
	fprintf(f, "%u\n%s\n", alg, o->app);
	for (size_t i = 0; i < er->public_key_len; i++)
		fprintf(f, "%02x", er->public_key[i]);
	fputc('\n', f);
	for (size_t i = 0; i < er->key_handle_len; i++)
		fprintf(f, "%02x", er->key_handle[i]);
	fprintf(f, "\n%u\n", er->flags);
	fclose(f);
	enroll_response_free(er);
	free(er);
	return 0;
}

static int
cmd_sign(const struct provider *p, const char *keyfile, const struct opts *o)
{
	struct sk_sign_response *sr = NULL;
	char line[4][2048];
	uint8_t *pk = NULL, *kh = NULL;
	size_t pklen, khlen, i;
	unsigned alg, flags;
	FILE *f;
	int r, ok;

	if ((f = fopen(keyfile, "r")) == NULL)
		die(64, "cannot read the key file");
	for (i = 0; i < 4; i++) {
		if (fgets(line[i], sizeof(line[i]), f) == NULL)
			die(64, "short key file");
		line[i][strcspn(line[i], "\n")] = '\0';
	}
	if (fscanf(f, "%u", &flags) != 1)
		die(64, "no flags in the key file");
	fclose(f);
	alg = (unsigned)strtoul(line[0], NULL, 10);
	if (hex_decode(line[2], &pk, &pklen) != 0 || hex_decode(line[3], &kh, &khlen) != 0)
		die(64, "bad hex in the key file");
	if (o->flags != 0x100)	/* --flags overrides the key's */
		flags = o->flags;
	r = p->sign(alg, (const uint8_t *)o->data, strlen(o->data), line[1], kh, khlen,
	    (uint8_t)flags, o->have_pin ? o->pin : NULL, make_options(o), &sr);
	printf("status %d\n", r);
	if (r != 0) {
		free(pk);
		free(kh);
		if (sr != NULL)
			die(2, "a response despite an error");
		return 1;
	}
	if (sr == NULL)
		die(2, "no response");
	printf("flags 0x%02x\ncounter %u\n", sr->flags, sr->counter);
	ok = sig_verify(alg, pk, pklen, line[1], (const uint8_t *)o->data,
	    strlen(o->data), sr);
	printf("verified %s\n", ok ? "yes" : "no");
	free(sr->sig_r);
	free(sr->sig_s);
	free(sr);
	free(pk);
	free(kh);
	return ok ? 0 : 2;
}

static int
cmd_load(const struct provider *p, const struct opts *o)
{
	struct sk_resident_key **rks = NULL;
	size_t n = 0, i, j;
	int r;

	r = p->load(o->have_pin ? o->pin : NULL, make_options(o), &rks, &n);
	printf("status %d\n", r);
	if (r != 0)
		return rks != NULL || n != 0 ? 2 : 1;
	printf("count %zu\n", n);
	for (i = 0; i < n; i++) {
		struct sk_resident_key *k = rks[i];

		printf("key %s %s flags 0x%02x ", k->alg == SSH_SK_ECDSA ? "ecdsa" :
		    "ed25519", k->application, k->flags);
		for (j = 0; j < k->key.public_key_len; j++)
			printf("%02x", k->key.public_key[j]);
		printf(" user ");
		for (j = 0; j < k->user_id_len && k->user_id[j] != 0; j++)
			putchar(k->user_id[j]);
		printf(" key_handle_len %zu\n", k->key.key_handle_len);
		if (k->key.key_handle == NULL || k->key.public_key_len !=
		    (k->alg == SSH_SK_ECDSA ? 65u : 32u))
			die(2, "a resident key without its handle or public key");
		free(k->application);
		enroll_response_free(&k->key);
		free(k->user_id);
		free(k);
	}
	free(rks);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "data", required_argument, NULL, 'D' },
		{ "device", required_argument, NULL, 'd' },
		{ "flags", required_argument, NULL, 'f' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "require-option", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .app = "ssh:", .data = "hwkey skclient", .flags = 0x100 };
	struct provider p;
	const char *cmd;
	FILE *f;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o.app = optarg; break;
		case 'D': o.data = optarg; break;
		case 'd': o.device = optarg; break;
		case 'f': o.flags = (unsigned)strtoul(optarg, NULL, 16); break;
		case 'r': o.require = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p':
			if ((f = fopen(optarg, "r")) == NULL ||
			    fgets(o.pin, sizeof(o.pin), f) == NULL)
				die(64, "cannot read the PIN file");
			fclose(f);
			o.pin[strcspn(o.pin, "\n")] = '\0';
			o.have_pin = 1;
			break;
		default: die(64, "usage: see the comment at the top of skclient.c");
		}
	}
	if (argc - optind < 2)
		die(64, "usage: skclient PROVIDER version|enroll|sign|load ...");
	load_provider(argv[optind], &p);
	cmd = argv[optind + 1];
	if (strcmp(cmd, "version") == 0) {
		printf("version 0x%08x\n", p.version());
		r = 0;
	} else if (strcmp(cmd, "enroll") == 0 && argc - optind == 4) {
		if (o.flags == 0x100)
			o.flags = SSH_SK_USER_PRESENCE_REQD;
		r = cmd_enroll(&p, argv[optind + 2], argv[optind + 3], &o);
	} else if (strcmp(cmd, "sign") == 0 && argc - optind == 3)
		r = cmd_sign(&p, argv[optind + 2], &o);
	else if (strcmp(cmd, "load") == 0)
		r = cmd_load(&p, &o);
	else
		die(64, "usage: skclient PROVIDER version|enroll|sign|load ...");
	explicit_bzero(o.pin, sizeof(o.pin));
	return r;
}
