/* Credential building blocks: environment variables, and profile files that
 * must be private to their owner. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	free(c->region);
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

int
hk_creds_new(const char *id, const char *secret, const char *token, const char *source,
    struct hk_creds **credsp)
{
	struct hk_creds *c;
	int r;

	*credsp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return HK_ERR_ALLOC;
	if ((c->access_key_id = strdup(id)) == NULL || (c->source = strdup(source)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = set_secret(secret, &c->secret)) != 0 ||
	    (nonempty(token) && (r = set_secret(token, &c->token)) != 0))
		goto out;
	*credsp = c;
	c = NULL;
 out:
	hk_creds_free(c);
	return r;
}

int
hk_creds_from_env(const struct hk_creds_env *vars, struct hk_creds **credsp)
{
	const char *id = getenv(vars->id), *sec = getenv(vars->secret);
	const char *tok = vars->token != NULL ? getenv(vars->token) : NULL;
	const char *proj = vars->project != NULL ? getenv(vars->project) : NULL;
	char source[128];
	int r;

	*credsp = NULL;
	if (!nonempty(id) && !nonempty(sec))
		return HK_ERR_NOT_FOUND;
	if (!nonempty(id) || !nonempty(sec))
		return hk_errf(HK_ERR_CREDENTIALS, "%s is set but %s is not",
		    nonempty(id) ? vars->id : vars->secret,
		    nonempty(id) ? vars->secret : vars->id);
	/* Which variables, so a refusal can say where to look; never the values. */
	snprintf(source, sizeof(source), "the environment (%s)", vars->id);
	if ((r = hk_creds_new(id, sec, tok, source, credsp)) != 0)
		return r;
	if (nonempty(proj) && ((*credsp)->project_id = strdup(proj)) == NULL) {
		hk_creds_free(*credsp);
		*credsp = NULL;
		return HK_ERR_ALLOC;
	}
	/*
	 * The process holds its own wiped-on-free copy now: a core dump or a
	 * child (ssh, askpass) must not find the environment's.
	 */
	hk_secret_wipe_env(vars->secret);
	if (vars->token != NULL)
		hk_secret_wipe_env(vars->token);
	return 0;
}

int
hk_creds_read_private(const char *path, char **datap, size_t *lenp)
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

