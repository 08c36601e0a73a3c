/* struct hk_keygen_req: what to generate, set by the caller through setters
 * and read by the backend through accessors (token_impl.h), so a FIDO2
 * backend takes its options from the same object the PKCS#11 one does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "token_impl.h"

#define SK_APPLICATION_DEFAULT	"ssh:"
#define SK_APPLICATION_MAX	1024	/* as the key model's application check */

struct hk_keygen_req {
	enum hk_kind kind;	/* HK_KIND_COUNT until set */
	char *label;
	uint8_t *id;
	size_t idlen;
	int force;
	int batch;
	int resident;
	int user_verification;
	int touch_required;
	char *application;	/* NULL: "ssh:" */
	uint8_t *user_id;
	size_t user_id_len;
	uint8_t *challenge;
	size_t challenge_len;
	unsigned int usage;	/* HK_KEY_USAGE_*; 0: ssh */
	char *attestation_roots;	/* NULL: the chain is not checked */
	int allow_self_attestation;
};

struct hk_keygen_req *
hk_keygen_req_new(void)
{
	struct hk_keygen_req *req;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	req->kind = HK_KIND_COUNT;
	req->touch_required = 1;
	return req;
}

void
hk_keygen_req_free(struct hk_keygen_req *req)
{
	if (req == NULL)
		return;
	free(req->label);
	free(req->id);
	free(req->application);
	free(req->user_id);
	free(req->challenge);
	free(req->attestation_roots);
	free(req);
}

/* Replace *dstp with a copy of len bytes of src (NULL src: clear). */
static int
set_bytes(uint8_t **dstp, size_t *lenp, const uint8_t *src, size_t len, size_t max)
{
	uint8_t *p = NULL;

	if (src != NULL && (len == 0 || len > max))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "%zu bytes where 1 to %zu fit",
		    len, max);
	if (src != NULL) {
		if ((p = malloc(len)) == NULL)
			return HK_ERR_ALLOC;
		memcpy(p, src, len);
	}
	free(*dstp);
	*dstp = p;
	*lenp = src != NULL ? len : 0;
	return 0;
}

int
hk_keygen_req_set_kind(struct hk_keygen_req *req, enum hk_kind kind)
{
	if (req == NULL || hk_key_kind(kind) == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->kind = kind;
	return 0;
}

int
hk_keygen_req_set_label(struct hk_keygen_req *req, const char *label)
{
	char *l;

	if (req == NULL || label == NULL || *label == '\0')
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "a key needs a label");
	if ((l = strdup(label)) == NULL)
		return HK_ERR_ALLOC;
	free(req->label);
	req->label = l;
	return 0;
}

int
hk_keygen_req_set_id(struct hk_keygen_req *req, const uint8_t *id, size_t len)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	return set_bytes(&req->id, &req->idlen, id, len, HK_KEYGEN_ID_MAX);
}

int
hk_keygen_req_set_force(struct hk_keygen_req *req, int force)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->force = force != 0;
	return 0;
}

int
hk_keygen_req_set_batch(struct hk_keygen_req *req, int batch)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->batch = batch != 0;
	return 0;
}

int
hk_keygen_req_set_resident(struct hk_keygen_req *req, int resident)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->resident = resident != 0;
	return 0;
}

int
hk_keygen_req_set_user_verification(struct hk_keygen_req *req, int required)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->user_verification = required != 0;
	return 0;
}

int
hk_keygen_req_set_touch_required(struct hk_keygen_req *req, int required)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->touch_required = required != 0;
	return 0;
}

int
hk_keygen_req_set_application(struct hk_keygen_req *req, const char *application)
{
	size_t i, n;
	char *a = NULL;

	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if (application != NULL) {
		/* OpenSSH refuses sk keys whose application does not start "ssh:". */
		n = strlen(application);
		if (n > SK_APPLICATION_MAX || strncmp(application,
		    SK_APPLICATION_DEFAULT, strlen(SK_APPLICATION_DEFAULT)) != 0)
			return hk_errf(HK_ERR_SK_APPLICATION, "application \"%.64s\": "
			    "must start with \"ssh:\"", application);
		for (i = 0; i < n; i++)
			if (application[i] < 0x20 || application[i] > 0x7e)
				return hk_errf(HK_ERR_SK_APPLICATION, "application "
				    "contains a control or non-ASCII byte");
		if ((a = strdup(application)) == NULL)
			return HK_ERR_ALLOC;
	}
	free(req->application);
	req->application = a;
	return 0;
}

int
hk_keygen_req_set_user_id(struct hk_keygen_req *req, const uint8_t *uid, size_t len)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	return set_bytes(&req->user_id, &req->user_id_len, uid, len,
	    HK_KEYGEN_USER_ID_MAX);
}

int
hk_keygen_req_set_challenge(struct hk_keygen_req *req, const uint8_t *c, size_t len)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	return set_bytes(&req->challenge, &req->challenge_len, c, len,
	    HK_KEYGEN_CHALLENGE_MAX);
}

/* The usage words, by bit (hwkey keygen --usage, hwkey-keygen.1). */
static const struct {
	const char *name;
	unsigned int bit;
} usage_words[] = {
	{ "ssh", HK_KEY_USAGE_SSH },
	{ "windows-password", HK_KEY_USAGE_WINDOWS_PASSWORD },
};
#define NUSAGE (sizeof(usage_words) / sizeof(usage_words[0]))

int
hk_keygen_req_set_usage(struct hk_keygen_req *req, unsigned int usage)
{
	if (req == NULL || (usage & ~(unsigned int)HK_KEY_USAGE_ALL) != 0)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "key usage 0x%x: unknown bits", usage);
	req->usage = usage;
	return 0;
}

int
hk_key_usage_parse(const char *list, unsigned int *usagep)
{
	const char *p, *e;
	unsigned int u = 0;
	size_t i, len;

	*usagep = 0;
	for (p = list; p != NULL && *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = p + strcspn(p, ",");
		len = (size_t)(e - p);
		for (i = 0; i < NUSAGE; i++)
			if (strlen(usage_words[i].name) == len &&
			    strncmp(usage_words[i].name, p, len) == 0)
				break;
		if (i == NUSAGE)
			return hk_errf(HK_ERR_USAGE, "--usage: \"%.*s\" is not a key usage "
			    "(ssh, windows-password)", (int)(len > 64 ? 64 : len), p);
		u |= usage_words[i].bit;
	}
	if (u == 0)
		return hk_errf(HK_ERR_USAGE, "--usage: empty (ssh, windows-password)");
	*usagep = u;
	return 0;
}

const char *
hk_key_usage_names(unsigned int usage, char *buf, size_t size)
{
	size_t i, len;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < NUSAGE; i++) {
		if ((usage & usage_words[i].bit) == 0)
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? "," : "", usage_words[i].name);
	}
	return buf;
}

unsigned int
hk_keygen_req_usage(const struct hk_keygen_req *req)
{
	return req->usage != 0 ? req->usage : HK_KEY_USAGE_SSH;
}

int
hk_keygen_req_set_attestation_roots(struct hk_keygen_req *req, const char *dir)
{
	char *d = NULL;

	if (req == NULL || (dir != NULL && dir[0] == '\0'))
		return HK_ERR_INVALID_ARGUMENT;
	if (dir != NULL && (d = strdup(dir)) == NULL)
		return HK_ERR_ALLOC;
	free(req->attestation_roots);
	req->attestation_roots = d;
	return 0;
}

int
hk_keygen_req_set_allow_self_attestation(struct hk_keygen_req *req, int allow)
{
	if (req == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	req->allow_self_attestation = allow != 0;
	return 0;
}

const char *
hk_keygen_req_attestation_roots(const struct hk_keygen_req *req)
{
	return req->attestation_roots;
}

int
hk_keygen_req_allow_self_attestation(const struct hk_keygen_req *req)
{
	return req->allow_self_attestation;
}

enum hk_kind
hk_keygen_req_kind(const struct hk_keygen_req *req)
{
	return req->kind;
}

const char *
hk_keygen_req_label(const struct hk_keygen_req *req)
{
	return req->label;
}

const uint8_t *
hk_keygen_req_id_ptr(const struct hk_keygen_req *req)
{
	return req->id;
}

size_t
hk_keygen_req_id_len(const struct hk_keygen_req *req)
{
	return req->idlen;
}

int
hk_keygen_req_force(const struct hk_keygen_req *req)
{
	return req->force;
}

int
hk_keygen_req_batch(const struct hk_keygen_req *req)
{
	return req->batch;
}

int
hk_keygen_req_resident(const struct hk_keygen_req *req)
{
	return req->resident;
}

int
hk_keygen_req_user_verification(const struct hk_keygen_req *req)
{
	return req->user_verification;
}

int
hk_keygen_req_touch_required(const struct hk_keygen_req *req)
{
	return req->touch_required;
}

const char *
hk_keygen_req_application(const struct hk_keygen_req *req)
{
	return req->application != NULL ? req->application : SK_APPLICATION_DEFAULT;
}

const uint8_t *
hk_keygen_req_user_id_ptr(const struct hk_keygen_req *req)
{
	return req->user_id;
}

size_t
hk_keygen_req_user_id_len(const struct hk_keygen_req *req)
{
	return req->user_id_len;
}

const uint8_t *
hk_keygen_req_challenge_ptr(const struct hk_keygen_req *req)
{
	return req->challenge;
}

size_t
hk_keygen_req_challenge_len(const struct hk_keygen_req *req)
{
	return req->challenge_len;
}
