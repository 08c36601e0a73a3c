/* Credential chains: environment variables first, then the vendor CLI's
 * profile file, which must be private to its owner. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "creds.h"
#include "err.h"

#define CREDS_FILE_MAX	(1024 * 1024)

void
hk_creds_free(struct hk_creds *c)
{
	if (c == NULL)
		return;
	if (c->access_key_id != NULL)
		hk_freezero(c->access_key_id, strlen(c->access_key_id));
	hk_secret_free(c->secret);
	hk_secret_free(c->token);
	free(c->project_id);
	free(c->source);
	free(c);
}

static int
set_secret(const char *val, struct hk_secret **secp)
{
	return hk_secret_new(val, strlen(val), secp);
}

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* From environment variables; HK_ERR_NOT_FOUND when the id or secret is unset. */
static int
from_env(const char *id_var, const char *secret_var, const char *token_var,
    const char *project_var, struct hk_creds **credsp)
{
	const char *id = getenv(id_var), *sec = getenv(secret_var);
	const char *tok = getenv(token_var);
	const char *proj = project_var != NULL ? getenv(project_var) : NULL;
	struct hk_creds *c;
	int r;

	*credsp = NULL;
	if (!nonempty(id) && !nonempty(sec))
		return HK_ERR_NOT_FOUND;
	if (!nonempty(id) || !nonempty(sec))
		return hk_errf(HK_ERR_CREDENTIALS, "%s is set but %s is not",
		    nonempty(id) ? id_var : secret_var, nonempty(id) ? secret_var : id_var);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return HK_ERR_ALLOC;
	if ((c->access_key_id = strdup(id)) == NULL ||
	    (c->source = strdup("environment")) == NULL ||
	    (nonempty(proj) && (c->project_id = strdup(proj)) == NULL)) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = set_secret(sec, &c->secret)) != 0 ||
	    (nonempty(tok) && (r = set_secret(tok, &c->token)) != 0))
		goto out;
	*credsp = c;
	c = NULL;
 out:
	hk_creds_free(c);
	return r;
}

/* Read a credentials file that only its owner may read. */
static int
read_private(const char *path, char **datap, size_t *lenp)
{
	struct stat st;
	char *data = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	*datap = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return HK_ERR_NOT_FOUND;
		return hk_errf(HK_ERR_CREDENTIALS, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = hk_errf(HK_ERR_CREDENTIALS_UNSAFE,
		    "%s: mode %04o lets group or others read it; run chmod 600 %s",
		    path, (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > CREDS_FILE_MAX) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: too large", path);
		goto out;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		if ((n = read(fd, data + len, (size_t)st.st_size - len)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	data[len] = '\0';
	*datap = data;
	*lenp = len;
	data = NULL;
	r = 0;
 out:
	close(fd);
	free(data);
	return r;
}

static const char *
jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
hk_creds_aliyun_file(const char *path, const char *profile, struct hk_creds **credsp)
{
	json_t *root = NULL, *profiles, *p, *chosen = NULL;
	json_error_t jerr;
	struct hk_creds *c = NULL;
	const char *want, *mode, *id, *sec, *tok;
	char *data = NULL;
	size_t len = 0, i;
	int r;

	*credsp = NULL;
	if ((r = read_private(path, &data, &len)) != 0)
		goto out;
	/* jansson keeps no copy we cannot free; the raw text is wiped below. */
	if ((root = json_loadb(data, len, 0, &jerr)) == NULL) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s:%d: not valid JSON", path, jerr.line);
		goto out;
	}
	want = profile != NULL ? profile : jstr(root, "current");
	if (want == NULL || *want == '\0')
		want = "default";
	profiles = json_object_get(root, "profiles");
	json_array_foreach(profiles, i, p) {
		const char *n = jstr(p, "name");

		if (n != NULL && strcmp(n, want) == 0) {
			chosen = p;
			break;
		}
	}
	if (chosen == NULL) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: no profile named \"%s\"", path, want);
		goto out;
	}
	mode = jstr(chosen, "mode");
	id = jstr(chosen, "access_key_id");
	sec = jstr(chosen, "access_key_secret");
	tok = jstr(chosen, "sts_token");
	if (mode != NULL && *mode != '\0' && strcmp(mode, "AK") != 0 &&
	    strcmp(mode, "StsToken") != 0) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: profile \"%s\" uses mode %s; hwkey "
		    "supports AK and StsToken profiles", path, want, mode);
		goto out;
	}
	if (!nonempty(id) || !nonempty(sec)) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: profile \"%s\" has no "
		    "access_key_id/access_key_secret", path, want);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->access_key_id = strdup(id)) == NULL ||
	    asprintf(&c->source, "%s profile %s", path, want) < 0) {
		if (c != NULL)
			c->source = NULL;
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = set_secret(sec, &c->secret)) != 0)
		goto out;
	if (mode != NULL && strcmp(mode, "StsToken") == 0 && nonempty(tok) &&
	    (r = set_secret(tok, &c->token)) != 0)
		goto out;
	*credsp = c;
	c = NULL;
 out:
	if (root != NULL) {
		/* Wipe the secrets inside jansson's copy before it is freed. */
		json_array_foreach(json_object_get(root, "profiles"), i, p) {
			json_t *s = json_object_get(p, "access_key_secret");
			json_t *t = json_object_get(p, "sts_token");

			if (json_is_string(s))
				hk_wipe((char *)json_string_value(s), json_string_length(s));
			if (json_is_string(t))
				hk_wipe((char *)json_string_value(t), json_string_length(t));
		}
		json_decref(root);
	}
	if (data != NULL)
		hk_freezero(data, len);
	hk_creds_free(c);
	return r;
}

static int
aliyun_chain(const char *profile, struct hk_creds **credsp)
{
	const char *home = getenv("HOME");
	char *path = NULL;
	int r;

	if (profile == NULL) {
		r = from_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
		    "ALIBABA_CLOUD_SECURITY_TOKEN", NULL, credsp);
		if (r != HK_ERR_NOT_FOUND)
			return r;
	}
	if (home == NULL || *home == '\0')
		return hk_errf(HK_ERR_CREDENTIALS, "no ALIBABA_CLOUD_ACCESS_KEY_ID and "
		    "no HOME for ~/.aliyun/config.json");
	if (asprintf(&path, "%s/.aliyun/config.json", home) < 0)
		return HK_ERR_ALLOC;
	r = hk_creds_aliyun_file(path, profile, credsp);
	if (r == HK_ERR_NOT_FOUND)
		r = hk_errf(HK_ERR_CREDENTIALS, "no Alibaba Cloud credentials: set "
		    "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or "
		    "run 'aliyun configure' (%s)", path);
	free(path);
	return r;
}

int
hk_creds_load(const char *provider, const char *profile, struct hk_creds **credsp)
{
	int r;

	*credsp = NULL;
	if (strcmp(provider, "aliyun") == 0)
		return aliyun_chain(profile, credsp);
	if (strcmp(provider, "huawei") == 0) {
		if (profile != NULL)
			return hk_errf(HK_ERR_USAGE, "--profile is for the aliyun CLI's "
			    "config.json; Huawei credentials come from HUAWEICLOUD_SDK_AK/SK");
		r = from_env("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
		    "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID", credsp);
		if (r == HK_ERR_NOT_FOUND)
			r = hk_errf(HK_ERR_CREDENTIALS, "no Huawei Cloud credentials: set "
			    "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK");
		return r;
	}
	return hk_errf(HK_ERR_INVALID_ARGUMENT, "unknown cloud \"%s\"", provider);
}
