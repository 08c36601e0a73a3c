/* simclient: a tiny signing HTTP client for testing hwkey-cloudsim, with knobs
 * to break requests on purpose (reused nonce, skewed clock, bad signature). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "sign.h"

#define MAXP 128

struct opts {
	const char *accounts;
	const char *ak;
	const char *nonce;
	const char *date;
	const char *cacert;
	const char *data;
	const char *send_data;
	const char *content_sha256;
	const char *project_header;
	const char *no_sign;
	const char *omit[16];
	size_t nomit;
	long skew;
	int acs3;
	int form;
	int corrupt;
};

static const char usage_text[] =
    "usage: simclient [options] aliyun|huawei METHOD URL ACTION|PATH [name=value|name=@file ...]\n"
    "  --accounts FILE   credentials (hwkey-cloudsim format; default $CLOUDSIM_ACCOUNTS)\n"
    "  --acs3            Alibaba: sign with ACS3-HMAC-SHA256 instead of v1\n"
    "  --ak ID           access key id (default: the provider's first account)\n"
    "  --cacert FILE     CA certificate for HTTPS\n"
    "  --content-sha256 V  Huawei: send X-Sdk-Content-Sha256: V (\"auto\": the SHA-256\n"
    "                    of --data), signed unless --no-sign names it\n"
    "  --corrupt         send a wrong signature\n"
    "  --data TEXT       Huawei: request body (JSON)\n"
    "  --date TEXT       use this timestamp text verbatim\n"
    "  --form            Alibaba ACS3: parameters in a form body instead of the query\n"
    "  --no-sign HEADER  Huawei: send HEADER but leave it out of the signature\n"
    "  --nonce TEXT      Alibaba: use this signature nonce\n"
    "  --omit NAME       Alibaba: drop this common parameter\n"
    "  --project-header ID  Huawei: send X-Project-Id\n"
    "  --send-data TEXT  Huawei: sign --data but send this body (a tampered request)\n"
    "  --skew SECONDS    shift the request time\n"
    "Prints the body on stdout and \"HTTP <status>\" on stderr; exits 0 for 2xx,\n"
    "1 for another status, 3 when no response came, 2 for usage errors.\n";

static int
load_secret(const char *path, const char *provider, const char **akp, char **secretp)
{
	char *data = NULL, *ln, *next, *p, *ak, *sec;
	size_t len = 0;
	int r = -1;

	*secretp = NULL;
	if (path == NULL || hk_file_read(path, 1024 * 1024, &data, &len) != 0)
		return -1;
	for (ln = data; ln != NULL && r != 0; ln = next) {
		if ((next = strchr(ln, '\n')) != NULL)
			*next++ = '\0';
		p = strtok(ln, " \t");
		ak = strtok(NULL, " \t");
		sec = strtok(NULL, " \t\r");
		if (p == NULL || ak == NULL || sec == NULL || strcmp(p, provider) != 0)
			continue;
		if (*akp != NULL && strcmp(*akp, ak) != 0)
			continue;
		if (*akp == NULL && (*akp = strdup(ak)) == NULL)
			break;
		*secretp = strdup(sec);
		r = *secretp != NULL ? 0 : -1;
	}
	hk_freezero(data, len);
	return r;
}

static void
timestamp(const struct opts *o, int compact, char out[32])
{
	time_t t = time(NULL) + o->skew;
	struct tm tm;

	if (o->date != NULL) {
		snprintf(out, 32, "%s", o->date);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
random_hex(char out[33])
{
	unsigned char r[16];
	int i;

	RAND_bytes(r, sizeof(r));
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static void
corrupt(char *sig)
{
	size_t l = strlen(sig);

	if (l > 2)
		sig[l - 2] = sig[l - 2] == 'A' ? 'B' : 'A';
}

static int
omitted(const struct opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nomit; i++)
		if (strcmp(o->omit[i], name) == 0)
			return 1;
	return 0;
}

static int
has_param(const struct hk_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return 1;
	return 0;
}

/* "Host" as curl sends it for this URL: host[:port]. */
static char *
url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port != NULL) {
			if ((out = malloc(strlen(host) + strlen(port) + 2)) != NULL)
				sprintf(out, "%s:%s", host, port);
		} else
			out = strdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)userdata;
	return fwrite(ptr, size, nmemb, stdout);
}

static int
perform(const struct opts *o, const char *method, const char *url,
    struct curl_slist *hdrs, const char *body)
{
	CURL *c;
	CURLcode cc;
	long status = 0;

	if ((c = curl_easy_init()) == NULL)
		return 3;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	fflush(stdout);
	if (cc != CURLE_OK) {
		fprintf(stderr, "curl: (%d) %s\n", (int)cc, curl_easy_strerror(cc));
		return 3;
	}
	fprintf(stderr, "HTTP %ld\n", status);
	return status >= 200 && status < 300 ? 0 : 1;
}

static struct curl_slist *
add_header(struct curl_slist *l, const char *name, const char *value)
{
	char line[8192];

	snprintf(line, sizeof(line), "%s: %s", name, value);
	return curl_slist_append(l, line);
}

static int
aliyun(const struct opts *o, const char *method, const char *url, const char *action,
    struct hk_param *p, size_t n, const char *ak, const char *secret)
{
	struct hk_header h[8];
	struct curl_slist *hdrs = NULL;
	struct hk_buf *b = hk_buf_new();
	char ts[32], nonce[33], *cq = NULL, *sig = NULL, *auth = NULL, *host, hash[65];
	char *full = NULL, *body = NULL;
	const char *q = "";
	size_t nh = 0;
	int r;

	timestamp(o, 0, ts);
	random_hex(nonce);
	host = url_host(url);
	hdrs = add_header(hdrs, "Host", host);
	if (!o->acs3) {
#define COMMON(k, v) if (!omitted(o, k) && !has_param(p, n, k)) \
	p[n++] = (struct hk_param){ k, v }
		COMMON("AccessKeyId", ak);
		COMMON("Action", action);
		COMMON("Format", "JSON");
		COMMON("SignatureMethod", "HMAC-SHA1");
		COMMON("SignatureNonce", o->nonce != NULL ? o->nonce : nonce);
		COMMON("SignatureVersion", "1.0");
		COMMON("Timestamp", ts);
		COMMON("Version", "2014-05-26");
		if (hk_sign_aliyun_v1(method, p, n, secret, &sig) != 0)
			return 2;
		if (o->corrupt)
			corrupt(sig);
		p[n++] = (struct hk_param){ "Signature", sig };
		if (hk_sign_canonical_query(p, n, &cq) != 0)
			return 2;
		if (strcmp(method, "GET") == 0)
			q = cq;
		else {
			body = cq;
			hdrs = curl_slist_append(hdrs,
			    "Content-Type: application/x-www-form-urlencoded");
		}
	} else {
		if (!has_param(p, n, "Format") && !omitted(o, "Format"))
			p[n++] = (struct hk_param){ "Format", "JSON" };
		if (hk_sign_canonical_query(p, n, &cq) != 0)
			return 2;
		if (o->form) {
			body = cq;
			q = "";
			hdrs = curl_slist_append(hdrs,
			    "Content-Type: application/x-www-form-urlencoded");
			h[nh++] = (struct hk_header){ "content-type",
			    "application/x-www-form-urlencoded" };
		} else
			q = cq;
		hk_sign_sha256_hex(body, body != NULL ? strlen(body) : 0, hash);
		h[nh++] = (struct hk_header){ "host", host };
		h[nh++] = (struct hk_header){ "x-acs-action", action };
		h[nh++] = (struct hk_header){ "x-acs-version", "2014-05-26" };
		h[nh++] = (struct hk_header){ "x-acs-date", ts };
		h[nh++] = (struct hk_header){ "x-acs-signature-nonce",
		    o->nonce != NULL ? o->nonce : nonce };
		h[nh++] = (struct hk_header){ "x-acs-content-sha256", hash };
		if (hk_sign_acs3(method, "/", o->form ? NULL : p, o->form ? 0 : n, h, nh,
		    body, body != NULL ? strlen(body) : 0, ak, secret, &auth) != 0)
			return 2;
		if (o->corrupt)
			corrupt(auth);
		for (size_t i = 0; i < nh; i++)
			if (strcmp(h[i].name, "host") != 0 &&
			    strcmp(h[i].name, "content-type") != 0)
				hdrs = add_header(hdrs, h[i].name, h[i].value);
		hdrs = add_header(hdrs, "Authorization", auth);
	}
	hk_buf_putf(b, "%s%s%s", url, *q ? "?" : "", q);
	full = hk_buf_dup_string(b);
	r = perform(o, method, full, hdrs, body);
	curl_slist_free_all(hdrs);
	hk_buf_free(b);
	free(cq);
	free(sig);
	free(auth);
	free(full);
	free(host);
	return r;
}

static int
huawei(const struct opts *o, const char *method, const char *url, const char *path,
    struct hk_param *p, size_t n, const char *ak, const char *secret)
{
	struct hk_header h[8], hs[8];
	struct curl_slist *hdrs = NULL;
	struct hk_buf *b = hk_buf_new();
	char ts[32], *cq = NULL, *auth = NULL, *host, *full = NULL, hash[65];
	const char *sent = o->send_data != NULL ? o->send_data : o->data;
	size_t nh = 0, ns = 0, i;
	int r;

	timestamp(o, 1, ts);
	host = url_host(url);
	h[nh++] = (struct hk_header){ "Host", host };
	h[nh++] = (struct hk_header){ "Content-Type", o->data != NULL ?
	    "application/json;charset=UTF-8" : "application/json" };
	h[nh++] = (struct hk_header){ "X-Sdk-Date", ts };
	if (o->project_header != NULL)
		h[nh++] = (struct hk_header){ "X-Project-Id", o->project_header };
	if (o->content_sha256 != NULL) {
		hk_sign_sha256_hex(o->data, o->data != NULL ? strlen(o->data) : 0, hash);
		h[nh++] = (struct hk_header){ "X-Sdk-Content-Sha256",
		    strcmp(o->content_sha256, "auto") == 0 ? hash : o->content_sha256 };
	}
	for (i = 0; i < nh; i++)
		if (o->no_sign == NULL || strcasecmp(o->no_sign, h[i].name) != 0)
			hs[ns++] = h[i];
	if (hk_sign_huawei(method, path, p, n, hs, ns, o->data,
	    o->data != NULL ? strlen(o->data) : 0, ak, secret, &auth) != 0 ||
	    hk_sign_canonical_query(p, n, &cq) != 0)
		return 2;
	if (o->corrupt)
		corrupt(auth);
	for (i = 0; i < nh; i++)
		hdrs = add_header(hdrs, h[i].name, h[i].value);
	hdrs = add_header(hdrs, "Authorization", auth);
	/* The path is sent encoded segment by segment, as it was signed. */
	hk_buf_putf(b, "%s", url);
	for (const char *s = path; *s != '\0'; s++) {
		if (*s == '/')
			hk_buf_put(b, "/", 1);
		else
			hk_urlenc(b, s, 1);
	}
	hk_buf_putf(b, "%s%s", *cq ? "?" : "", cq);
	full = hk_buf_dup_string(b);
	r = perform(o, method, full, hdrs, sent);
	curl_slist_free_all(hdrs);
	hk_buf_free(b);
	free(cq);
	free(auth);
	free(full);
	free(host);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "accounts", required_argument, NULL, 'A' },
		{ "acs3", no_argument, NULL, '3' },
		{ "ak", required_argument, NULL, 'k' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "content-sha256", required_argument, NULL, 'H' },
		{ "corrupt", no_argument, NULL, 'x' },
		{ "data", required_argument, NULL, 'd' },
		{ "date", required_argument, NULL, 'D' },
		{ "form", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "no-sign", required_argument, NULL, 'U' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "omit", required_argument, NULL, 'o' },
		{ "project-header", required_argument, NULL, 'P' },
		{ "send-data", required_argument, NULL, 'B' },
		{ "skew", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct hk_param p[MAXP];
	char *vals[MAXP], *secret = NULL, *eq;
	const char *ak = NULL, *provider, *method, *url, *what;
	size_t n = 0, i, vl;
	int c, r;

	memset(&o, 0, sizeof(o));
	o.accounts = getenv("CLOUDSIM_ACCOUNTS");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'A': o.accounts = optarg; break;
		case '3': o.acs3 = 1; break;
		case 'k': o.ak = optarg; break;
		case 'C': o.cacert = optarg; break;
		case 'H': o.content_sha256 = optarg; break;
		case 'B': o.send_data = optarg; break;
		case 'x': o.corrupt = 1; break;
		case 'd': o.data = optarg; break;
		case 'D': o.date = optarg; break;
		case 'f': o.form = 1; break;
		case 'U': o.no_sign = optarg; break;
		case 'n': o.nonce = optarg; break;
		case 'o':
			if (o.nomit < 16)
				o.omit[o.nomit++] = optarg;
			break;
		case 'P': o.project_header = optarg; break;
		case 's': o.skew = strtol(optarg, NULL, 10); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind < 4 || argc - optind - 4 > MAXP - 16) {
		fputs(usage_text, stderr);
		return 2;
	}
	provider = argv[optind];
	method = argv[optind + 1];
	url = argv[optind + 2];
	what = argv[optind + 3];
	for (i = (size_t)optind + 4; i < (size_t)argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL) {
			fprintf(stderr, "simclient: expected name=value: %s\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		if (eq[1] == '@') {
			if (hk_file_read(eq + 2, 1024 * 1024, &vals[n], &vl) != 0) {
				fprintf(stderr, "simclient: cannot read %s\n", eq + 2);
				return 2;
			}
			while (vl > 0 && (vals[n][vl - 1] == '\n' || vals[n][vl - 1] == '\r'))
				vals[n][--vl] = '\0';
		} else
			vals[n] = strdup(eq + 1);
		p[n].name = argv[i];
		p[n].value = vals[n];
		n++;
	}
	ak = o.ak;
	if (load_secret(o.accounts, provider, &ak, &secret) != 0) {
		fprintf(stderr, "simclient: no %s credentials in %s\n", provider,
		    o.accounts != NULL ? o.accounts : "(no --accounts)");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(provider, "aliyun") == 0)
		r = aliyun(&o, method, url, what, p, n, ak, secret);
	else if (strcmp(provider, "huawei") == 0)
		r = huawei(&o, method, url, what, p, n, ak, secret);
	else {
		fputs(usage_text, stderr);
		r = 2;
	}
	curl_global_cleanup();
	hk_freezero(secret, strlen(secret));
	for (i = 0; i < n; i++)
		free(vals[i]);
	if (ak != o.ak)
		free((char *)ak);
	return r;
}
