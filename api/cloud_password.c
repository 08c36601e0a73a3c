/* Windows instance passwords: the capability check, the one call that asks
 * the provider for an instance's encrypted password (Huawei ECS
 * ShowServerPassword), and the decoding of a blob saved earlier. Decrypting
 * is the token's job (hk_token_decrypt): the cloud never sees the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"

#define PW_INSTANCE_MAX	64	/* ECS server ids are 36-character UUIDs */
#define PW_BLOB_MAX	4096	/* base64 of an RSA-16384 ciphertext fits */

int
hk_cloud_caps_check_server_password(const struct hk_cloud_caps *caps)
{
	if (caps->no_server_password != NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s", caps->no_server_password);
	return 0;
}

/* base64 text into bytes: whitespace between characters is allowed. */
static int
pw_unbase64(const char *s, size_t len, uint8_t **blobp, size_t *lenp)
{
	struct hk_buf *b;
	int r;

	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	if (len == 0)
		return hk_errf(HK_ERR_FORMAT_EMPTY, "the password is empty");
	if (len > PW_BLOB_MAX)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "%zu characters: longer than any "
		    "RSA-encrypted password", len);
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_b64_decode(b, s, len, HK_B64_SKIP_SPACE)) != 0) {
		hk_buf_free(b);
		return hk_errf(HK_ERR_BASE64, "the encrypted password is not base64");
	}
	if (hk_buf_len(b) == 0 || (*blobp = malloc(hk_buf_len(b))) == NULL) {
		r = hk_buf_len(b) == 0 ? hk_errf(HK_ERR_FORMAT_EMPTY, "the password is "
		    "empty") : HK_ERR_ALLOC;
		hk_buf_free(b);
		return r;
	}
	memcpy(*blobp, hk_buf_ptr(b), hk_buf_len(b));
	*lenp = hk_buf_len(b);
	hk_buf_free(b);
	return 0;
}

int
hk_cloud_password_decode(const char *text, size_t len, uint8_t **blobp, size_t *lenp)
{
	json_error_t je;
	const char *pw;
	size_t i;
	json_t *j;
	int r;

	*blobp = NULL;
	*lenp = 0;
	for (i = 0; i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
	    text[i] == '\n'); i++)
		;
	if (i == len || text[i] != '{')
		return pw_unbase64(text, len, blobp, lenp);
	/* The API's answer as saved: {"password": "..."}. */
	if ((j = json_loadb(text, len, 0, &je)) == NULL)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "line %d: not JSON: %s", je.line,
		    je.text);
	if ((pw = hk_cloud_jstr(j, "password")) == NULL) {
		json_decref(j);
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "a JSON document without a "
		    "\"password\" string (expected the ShowServerPassword answer)");
	}
	r = pw_unbase64(pw, strlen(pw), blobp, lenp);
	json_decref(j);
	return r;
}

/* ECS server ids: letters, digits and '-' (a UUID); they go into the path. */
static int
pw_instance_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= PW_INSTANCE_MAX && strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

struct pw_wait {
	struct hk_error error;
	char *password;
	int alloc_failed;
};

static void
on_password(void *arg, const struct hk_cloud_reply *reply)
{
	struct pw_wait *w = arg;

	/* Copy: the provider clears its reply after this call. */
	hk_error_copy(&w->error, &reply->error);
	if (w->error.code == 0 && reply->password != NULL &&
	    (w->password = strdup(reply->password)) == NULL)
		w->alloc_failed = 1;
}

int
hk_cloud_server_password(struct hk_cloud *c, const char *region, const char *instance,
    uint8_t **blobp, size_t *lenp, struct hk_error *err)
{
	struct hk_cloud_cb cb = { on_password, NULL, NULL };
	struct pw_wait w;
	int r;

	*blobp = NULL;
	*lenp = 0;
	hk_error_clear(err);
	memset(&w, 0, sizeof(w));
	cb.arg = &w;
	hk_err_clear();
	if ((r = hk_cloud_caps_check_server_password(c->caps)) != 0)
		goto fail;
	if (c->impl->server_password == NULL) {
		r = hk_errf(HK_ERR_NOT_SUPPORTED, "%s: no Windows password call",
		    c->caps->title);
		goto fail;
	}
	if (instance == NULL || !pw_instance_valid(instance)) {
		r = hk_errf(HK_ERR_USAGE, "--instance \"%.64s\": an instance id is 1 to %d "
		    "letters, digits, '-' or '_'", instance != NULL ? instance : "",
		    PW_INSTANCE_MAX);
		goto fail;
	}
	if (region == NULL || *region == '\0' || strchr(region, ',') != NULL ||
	    strcmp(region, "all") == 0) {
		r = hk_errf(HK_ERR_USAGE, "--region: one region, where instance %s runs",
		    instance);
		goto fail;
	}
	if ((r = hk_cloud_not_running(c, "hk_cloud_server_password")) != 0 ||
	    (r = c->impl->server_password(c, region, instance, &cb)) != 0)
		goto fail;
	if ((r = hk_cloud_run(c)) != 0)
		goto fail;
	if (w.alloc_failed) {
		r = HK_ERR_ALLOC;
		goto fail;
	}
	if (w.error.code != 0) {
		hk_error_copy(err, &w.error);
		snprintf(err->region, sizeof(err->region), "%s", region);
		free(w.password);
		return err->code;
	}
	if (w.password == NULL || w.password[strspn(w.password, " \t\r\n")] == '\0') {
		r = hk_errf(HK_ERR_CLOUD_NOT_FOUND, "instance %s has no encrypted password: "
		    "only a Windows instance created with a key pair has one, once "
		    "Cloudbase-init has set it at first boot (a few minutes after it "
		    "starts); a Linux instance never has one", instance);
		goto fail;
	}
	r = pw_unbase64(w.password, strlen(w.password), blobp, lenp);
	free(w.password);
	w.password = NULL;
	if (r != 0) {
		hk_error_take(err, r);
		snprintf(err->message + strlen(err->message), sizeof(err->message) -
		    strlen(err->message), " (ShowServerPassword answer for %s)", instance);
		snprintf(err->region, sizeof(err->region), "%s", region);
		err->code = HK_ERR_CLOUD_RESPONSE;
		return err->code;
	}
	return 0;
 fail:
	free(w.password);
	hk_error_take(err, r);
	snprintf(err->region, sizeof(err->region), "%s", region != NULL ? region : "");
	return err->code;
}
