/* The trust anchors of the HTTP engine: the system bundle plus the caller's
 * CA file, as one PEM blob. curl's CURLOPT_CAINFO would REPLACE the bundle;
 * adding keeps public endpoints working when --cacert names a private CA. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "http.h"

int
hk_http_ca_blob(const char *cacert, char **datap, size_t *lenp)
{
	struct hk_buf *b = NULL;
	char *sys = NULL, *extra = NULL, *def = NULL;
	size_t syslen = 0, extralen = 0;
	CURL *probe;
	int r;

	*datap = NULL;
	*lenp = 0;
	if ((r = hk_file_read(cacert, 16 * 1024 * 1024, &extra, &extralen)) != 0) {
		r = hk_errf(HK_ERR_TLS, "--cacert %s: cannot read: %s", cacert, hk_strerror(r));
		goto out;
	}
	if (strstr(extra, "-----BEGIN CERTIFICATE-----") == NULL) {
		r = hk_errf(HK_ERR_TLS, "--cacert %s: no PEM certificate in it", cacert);
		goto out;
	}
	if ((probe = curl_easy_init()) != NULL) {
		if (curl_easy_getinfo(probe, CURLINFO_CAINFO, &def) == CURLE_OK && def != NULL)
			def = strdup(def);
		else
			def = NULL;
		curl_easy_cleanup(probe);
	}
	/* No system bundle is not an error: the given CA alone then anchors trust. */
	if (def != NULL && hk_file_read(def, 16 * 1024 * 1024, &sys, &syslen) != 0)
		sys = NULL;
	if ((b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((sys != NULL && ((r = hk_buf_put(b, sys, syslen)) != 0 ||
	    (r = hk_buf_put_u8(b, '\n')) != 0)) ||
	    (r = hk_buf_put(b, extra, extralen)) != 0)
		goto out;
	if ((*datap = malloc(hk_buf_len(b))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	memcpy(*datap, hk_buf_ptr(b), hk_buf_len(b));
	*lenp = hk_buf_len(b);
	r = 0;
 out:
	hk_buf_free(b);
	free(sys);
	free(extra);
	free(def);
	return r;
}
