/* hwkey-cloudsim Huawei ECS Windows passwords: ShowServerPassword
 * (GET /v1/{project_id}/cloudservers/{server_id}/os-server-password) and the
 * test door that creates instances. A Windows instance created with a key
 * pair gets a random Administrator password at once, as Cloudbase-init sets
 * one at first boot, encrypted to the pair's public key with RSA PKCS#1 v1.5
 * (OpenSSL EVP); only that ciphertext is kept. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "buf.h"
#include "err.h"
#include "key.h"
#include "sim.h"

#define ECS_ID_MAX	64
#define ECS_PW_LEN	16

/* ECS's error envelope: {"error": {"code": "Ecs.0114", "message": "..."}}. */
static void
ecs_error(struct sim_resp *resp, unsigned int status, const char *code, const char *msg)
{
	json_decref(resp->json);
	resp->json = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	resp->status = status;
	resp->log_code = code;
}

void
sim_huawei_server_password(struct sim *sim, const char *account, const char *region,
    const char *server, struct sim_req *req, struct sim_resp *resp)
{
	struct sim_instance in;
	char msg[256], *pw = NULL;
	int r;

	resp->log_what = "ShowServerPassword";
	if (strcmp(req->method, "GET") != 0) {
		ecs_error(resp, 405, "Ecs.0005", "Method not allowed");
		return;
	}
	r = sim_db_server_password(sim->db, account, region, server, &in, &pw);
	if (r == HK_ERR_NOT_FOUND) {
		/* What ECS answers for an unknown server id (KooCLI's documented example). */
		snprintf(msg, sizeof(msg), "Instance[%.64s] could not be found.", server);
		sim_text_scrub(msg);
		ecs_error(resp, 404, "Ecs.0114", msg);
		return;
	}
	if (r != 0) {
		ecs_error(resp, 500, "Ecs.0000", "Internal server error");
		return;
	}
	/*
	 * A Linux instance, or Windows without a key pair: nothing was encrypted,
	 * and the API answers its required field empty, as before first boot.
	 */
	json_decref(resp->json);
	resp->json = json_pack("{s:s}", "password", pw);
	resp->status = resp->json != NULL ? 200 : 500;
	free(in.id);
	free(in.keypair);
	free(pw);
}

/* ---- the test door: POST /cloudsim/instances ---- */

static void
admin_error(struct sim_resp *resp, unsigned int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
admin_error(struct sim_resp *resp, unsigned int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_text_scrub(msg);
	json_decref(resp->json);
	resp->json = json_pack("{s:s}", "error", msg);
	resp->status = status;
	resp->log_code = "error";
}

static int
id_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= ECS_ID_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/*
 * A password Huawei's rules accept: 16 characters with upper and lower
 * case letters, digits and one of its allowed specials.
 */
static int
make_password(char *pw, size_t size)
{
	static const char *const sets[] = {
		"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789",
		"!@%-_=+[]:./?",
	};
	static const char all[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
	    "23456789!@%-_=+[]:./?";
	unsigned char rnd[ECS_PW_LEN];
	size_t i;

	if (size < ECS_PW_LEN + 1 || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	for (i = 0; i < ECS_PW_LEN; i++) {
		const char *set = i < 4 ? sets[i] : all;

		pw[i] = set[rnd[i] % strlen(set)];
	}
	pw[ECS_PW_LEN] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

/* RSA PKCS#1 v1.5 to the public key of an OpenSSH line, as base64. */
static int
encrypt_to(const char *line, const char *pw, char **b64p, const char **whyp)
{
	struct hk_key *k = NULL;
	struct hk_buf *b = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	unsigned char *ct = NULL;
	size_t ctlen = 0;
	int r = -1;

	*b64p = NULL;
	*whyp = "System error";
	if (hk_key_parse(line, strlen(line), &k) != 0) {
		*whyp = "the key pair's public key does not parse";
		goto out;
	}
	if (hk_key_type(k) != HK_KEY_RSA) {
		*whyp = "the key pair is not RSA: Windows passwords are encrypted with RSA";
		goto out;
	}
	/* The core writes SPKI PEM; OpenSSL reads it: no key internals here. */
	if (hk_key_write(k, HK_FMT_PEM, &pem) != 0 ||
	    (bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_encrypt(ctx, NULL, &ctlen, (const unsigned char *)pw,
	    strlen(pw)) <= 0 || (ct = malloc(ctlen)) == NULL ||
	    EVP_PKEY_encrypt(ctx, ct, &ctlen, (const unsigned char *)pw, strlen(pw)) <= 0)
		goto out;
	if ((b = hk_buf_new()) == NULL || hk_b64_encode(b, ct, ctlen, 0) != 0 ||
	    (*b64p = hk_buf_dup_string(b)) == NULL)
		goto out;
	r = 0;
 out:
	hk_buf_free(b);
	free(ct);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	free(pem);
	hk_key_free(k);
	return r;
}

void
sim_admin_instances(struct sim *sim, struct sim_req *req, struct sim_resp *resp)
{
	const struct sim_account *acct;
	struct sim_instance in;
	struct sim_keypair kp;
	const char *provider, *ak, *region, *id, *os, *key, *why = "System error";
	char pw[ECS_PW_LEN + 1], *enc = NULL;
	json_t *body;
	size_t i;
	int r, have_kp = 0;

	memset(&kp, 0, sizeof(kp));
	pw[0] = '\0';
	resp->log_what = "cloudsim-instances";
	if (strcmp(req->method, "POST") != 0) {
		admin_error(resp, 405, "POST a JSON instance description");
		return;
	}
	body = json_loadb(req->body, req->bodylen, 0, NULL);
	provider = json_string_value(json_object_get(body, "provider"));
	ak = json_string_value(json_object_get(body, "account"));
	region = json_string_value(json_object_get(body, "region"));
	id = json_string_value(json_object_get(body, "id"));
	os = json_string_value(json_object_get(body, "os"));
	key = json_string_value(json_object_get(body, "key_name"));
	if (provider == NULL || strcmp(provider, "huawei") != 0) {
		admin_error(resp, 400, "\"provider\" must be \"huawei\" (Alibaba instances "
		    "are seeded from the accounts file)");
		goto out;
	}
	if (ak == NULL || (acct = sim_account_find(&sim->accounts, SIM_HUAWEI, ak)) == NULL) {
		admin_error(resp, 400, "\"account\": no Huawei account with that access key");
		goto out;
	}
	for (i = 0; region != NULL && i < acct->nprojects; i++)
		if (strcmp(acct->projects[i].region, region) == 0)
			break;
	if (region == NULL || i == acct->nprojects) {
		admin_error(resp, 400, "\"region\": the account has no project there");
		goto out;
	}
	if (id == NULL || !id_valid(id)) {
		admin_error(resp, 400, "\"id\": 1 to %d letters, digits, '-' or '_'", ECS_ID_MAX);
		goto out;
	}
	if (os == NULL || (strcmp(os, "windows") != 0 && strcmp(os, "linux") != 0)) {
		admin_error(resp, 400, "\"os\": \"windows\" or \"linux\"");
		goto out;
	}
	if (key != NULL) {
		r = sim_db_keypair_get(sim->db, SIM_HUAWEI, ak, region, key, &kp);
		if (r == HK_ERR_NOT_FOUND) {
			admin_error(resp, 404, "\"key_name\": no key pair %.64s in %s", key,
			    region);
			goto out;
		}
		if (r != 0) {
			admin_error(resp, 500, "state: %s", hk_err_detail());
			goto out;
		}
		have_kp = 1;
	}
	/* What Cloudbase-init does at first boot: a password, encrypted to the pair. */
	if (have_kp && strcmp(os, "windows") == 0) {
		if (make_password(pw, sizeof(pw)) != 0 ||
		    encrypt_to(kp.public_key, pw, &enc, &why) != 0) {
			admin_error(resp, 400, "\"key_name\" %.64s: %s", key, why);
			goto out;
		}
	}
	memset(&in, 0, sizeof(in));
	in.id = (char *)id;
	in.keypair = (char *)(key != NULL ? key : "");
	in.windows = strcmp(os, "windows") == 0;
	r = sim_db_server_add(sim->db, ak, region, &in, enc);
	if (r == HK_ERR_EXISTS) {
		admin_error(resp, 409, "instance %s already exists in %s", id, region);
		goto out;
	}
	if (r != 0) {
		admin_error(resp, 500, "state: %s", hk_err_detail());
		goto out;
	}
	/* The plaintext goes to the test that asked, once; the state keeps only enc. */
	resp->json = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", id, "region", region,
	    "os", os, "key_name", key != NULL ? json_string(key) : json_null(),
	    "password", enc != NULL ? json_string(pw) : json_null(),
	    "encrypted", enc != NULL ? json_string(enc) : json_null());
	resp->status = resp->json != NULL ? 201 : 500;
 out:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(enc);
	if (have_kp)
		sim_keypair_clear(&kp);
	json_decref(body);
}
