/* simprobe: test client for hwkey-fido2sim. Drives it through the real
 * libfido2 (fido_dev_set_io_functions over the sim's Unix socket) and, for
 * the framing checks, with hand-made CTAPHID packets. Test equipment only.
 *
 *   simprobe SOCKET info
 *   simprobe SOCKET make es256|eddsa [--rk] [--prot N] [--rp ID] [--user NAME]
 *                        [--out PREFIX] [--exclude PREFIX] [--hmac-secret]
 *     (--out writes PREFIX.id .pub .alg .x5c.der .sig .cdh .authdata; fmt
 *     "none" prints verify=none and what libfido2 says of it)
 *   simprobe SOCKET assert [--rp ID] [--cred PREFIX]... [--discover] [--up 0|1]
 *                          [--salt TEXT]
 *   simprobe SOCKET setpin | changepin | retries | wrongpin N | reset
 *   simprobe SOCKET credman-list [--rp ID] | credman-del PREFIX
 *   simprobe SOCKET cancel-make MS | touch
 *   simprobe SOCKET raw | raw-touch | raw-garbage N
 *
 * PINs come from the environment (SIMPROBE_PIN, SIMPROBE_NEW_PIN), never argv.
 * Prints key=value lines; exits 0 on success, 1 when libfido2 returns an error
 * (printed as "error=0xNN NAME"), 2 on usage errors, 3 on a failed check. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fido.h>
#include <fido/es256.h>
#include <fido/credman.h>
#include <fido/eddsa.h>
#include <openssl/sha.h>

#include "simprobe.h"

static char *probe_pin, *probe_new_pin;

/* ---- socket I/O for libfido2: the 65-byte write loses its report id ---- */

int
sock_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *
io_open(const char *path)
{
	int *h = malloc(sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((*h = sock_connect(path)) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

static void
io_close(void *h)
{
	close(*(int *)h);
	free(h);
}

int
read_full(int fd, unsigned char *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, got ? 1000 : ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if ((n = read(fd, buf + got, len - got)) <= 0)
			return -1;
		got += (size_t)n;
	}
	return (int)len;
}

static int
io_read(void *h, unsigned char *buf, size_t len, int ms)
{
	if (len != PKT)
		return -1;
	return read_full(*(int *)h, buf, len, ms);
}

int
write_full(int fd, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static int
io_write(void *h, const unsigned char *buf, size_t len)
{
	if (len != PKT + 1 || write_full(*(int *)h, buf + 1, PKT) != 0)
		return -1;
	return (int)len;
}

static const fido_dev_io_t sock_io = { io_open, io_close, io_read, io_write };

/* ---- helpers ---- */

static int
fail_fido(const char *what, int r)
{
	printf("error=0x%02x %s\n", r & 0xff, fido_strerr(r));
	fprintf(stderr, "simprobe: %s: %s (%d)\n", what, fido_strerr(r), r);
	return 1;
}

static fido_dev_t *
dev_open(const char *path)
{
	fido_dev_t *d = fido_dev_new();
	int r;

	if (d == NULL || fido_dev_set_io_functions(d, &sock_io) != FIDO_OK) {
		fido_dev_free(&d);
		return NULL;
	}
	if ((r = fido_dev_open(d, path)) != FIDO_OK) {
		fail_fido("fido_dev_open", r);
		fido_dev_free(&d);
		return NULL;
	}
	return d;
}

static void
dev_close(fido_dev_t **d)
{
	if (*d != NULL)
		fido_dev_close(*d);
	fido_dev_free(d);
}

static void
print_hex(const char *key, const unsigned char *p, size_t n)
{
	printf("%s=", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int
write_file(const char *prefix, const char *ext, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s%s", prefix, ext);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : -1;
}

static unsigned char *
read_file(const char *prefix, const char *ext, size_t *len)
{
	char path[4096];
	unsigned char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s%s", prefix, ext);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* ---- info ---- */

static int
cmd_info(fido_dev_t *d)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();
	char **s;
	const char *const *on;
	const bool *ov;
	int r;

	if ((r = fido_dev_get_cbor_info(d, ci)) != FIDO_OK) {
		fido_cbor_info_free(&ci);
		return fail_fido("fido_dev_get_cbor_info", r);
	}
	s = fido_cbor_info_versions_ptr(ci);
	printf("versions=");
	for (size_t i = 0; i < fido_cbor_info_versions_len(ci); i++)
		printf("%s%s", i ? "," : "", s[i]);
	s = fido_cbor_info_extensions_ptr(ci);
	printf("\nextensions=");
	for (size_t i = 0; i < fido_cbor_info_extensions_len(ci); i++)
		printf("%s%s", i ? "," : "", s[i]);
	printf("\n");
	print_hex("aaguid", fido_cbor_info_aaguid_ptr(ci), fido_cbor_info_aaguid_len(ci));
	on = (const char *const *)fido_cbor_info_options_name_ptr(ci);
	ov = fido_cbor_info_options_value_ptr(ci);
	for (size_t i = 0; i < fido_cbor_info_options_len(ci); i++)
		printf("option.%s=%s\n", on[i], ov[i] ? "true" : "false");
	printf("maxmsgsiz=%llu\n", (unsigned long long)fido_cbor_info_maxmsgsiz(ci));
	printf("protocols=");
	for (size_t i = 0; i < fido_cbor_info_protocols_len(ci); i++)
		printf("%s%u", i ? "," : "", fido_cbor_info_protocols_ptr(ci)[i]);
	printf("\nalgorithms=");
	for (size_t i = 0; i < fido_cbor_info_algorithm_count(ci); i++)
		printf("%s%d", i ? "," : "", fido_cbor_info_algorithm_cose(ci, i));
	printf("\nfwversion=0x%llx\n", (unsigned long long)fido_cbor_info_fwversion(ci));
	printf("maxcredidlen=%llu\n", (unsigned long long)fido_cbor_info_maxcredidlen(ci));
	printf("minpinlen=%llu\n", (unsigned long long)fido_cbor_info_minpinlen(ci));
	printf("rk_remaining=%lld\n", (long long)fido_cbor_info_rk_remaining(ci));
	printf("is_fido2=%d\nhas_pin=%d\ncred_prot=%d\ncredman=%d\npermissions=%d\n",
	    fido_dev_is_fido2(d), fido_dev_has_pin(d), fido_dev_supports_cred_prot(d),
	    fido_dev_supports_credman(d), fido_dev_supports_permissions(d));
	fido_cbor_info_free(&ci);
	return 0;
}

/* ---- make ---- */

static int
cmd_make(fido_dev_t *d, int argc, char **argv)
{
	const char *rp = "ssh:", *user = "openssh", *out = NULL, *excl = NULL;
	static const unsigned char cdh_in[] = "simprobe challenge";
	unsigned char uid[32];
	int type, prot = 0, rk = 0, hs = 0, r;
	fido_cred_t *c = NULL;
	unsigned char *eid = NULL;
	size_t eid_len = 0;

	if (argc < 1)
		return 2;
	if (strcmp(argv[0], "es256") == 0)
		type = COSE_ES256;
	else if (strcmp(argv[0], "eddsa") == 0)
		type = COSE_EDDSA;
	else
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rk") == 0)
			rk = 1;
		else if (strcmp(argv[i], "--prot") == 0 && i + 1 < argc)
			prot = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rp") == 0 && i + 1 < argc)
			rp = argv[++i];
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--exclude") == 0 && i + 1 < argc)
			excl = argv[++i];
		else if (strcmp(argv[i], "--hmac-secret") == 0)
			hs = 1;
		else
			return 2;
	}
	memset(uid, 0, sizeof(uid));
	SHA256((const unsigned char *)user, strlen(user), uid);
	if ((c = fido_cred_new()) == NULL)
		return 3;
	if ((r = fido_cred_set_type(c, type)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata(c, cdh_in, sizeof(cdh_in) - 1)) != FIDO_OK ||
	    (r = fido_cred_set_rp(c, rp, NULL)) != FIDO_OK ||
	    (r = fido_cred_set_user(c, uid, sizeof(uid), user, user, NULL)) != FIDO_OK ||
	    (r = fido_cred_set_rk(c, rk ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK ||
	    (prot && (r = fido_cred_set_prot(c, prot)) != FIDO_OK) ||
	    (hs && (r = fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET)) != FIDO_OK)) {
		fido_cred_free(&c);
		return fail_fido("fido_cred_set", r);
	}
	if (excl != NULL) {
		if ((eid = read_file(excl, ".id", &eid_len)) == NULL ||
		    (r = fido_cred_exclude(c, eid, eid_len)) != FIDO_OK) {
			free(eid);
			fido_cred_free(&c);
			return 3;
		}
		free(eid);
	}
	if ((r = fido_dev_make_cred(d, c, probe_pin)) != FIDO_OK) {
		fido_cred_free(&c);
		return fail_fido("fido_dev_make_cred", r);
	}
	printf("fmt=%s\n", fido_cred_fmt(c));
	printf("sig_len=%zu\n", fido_cred_sig_len(c));
	print_hex("attstmt", fido_cred_attstmt_ptr(c), fido_cred_attstmt_len(c));
	printf("flags=0x%02x\nsigcount=%u\n", fido_cred_flags(c), fido_cred_sigcount(c));
	printf("prot=%d\n", fido_cred_prot(c));
	printf("id_len=%zu\npubkey_len=%zu\nx5c_len=%zu\n", fido_cred_id_len(c),
	    fido_cred_pubkey_len(c), fido_cred_x5c_len(c));
	print_hex("aaguid", fido_cred_aaguid_ptr(c), fido_cred_aaguid_len(c));
	/* x5c: fido_cred_verify (packed, fido-u2f); none: nothing to verify
	 * (fmt and attStmt are printed); else self attestation */
	if (fido_cred_fmt(c) != NULL && strcmp(fido_cred_fmt(c), "none") == 0) {
		r = fido_cred_verify_self(c);
		printf("verify_self=%s\n", r == FIDO_OK ? "ok" : fido_strerr(r));
		r = fido_cred_verify(c);
		printf("verify_x5c=%s\nverify=none\n", r == FIDO_OK ? "ok" : fido_strerr(r));
		r = FIDO_OK;
	} else {
		r = fido_cred_x5c_ptr(c) != NULL ? fido_cred_verify(c) : fido_cred_verify_self(c);
		printf("verify=%s\n", r == FIDO_OK ? "ok" : fido_strerr(r));
		if (fido_cred_x5c_ptr(c) == NULL) {
			int r2 = fido_cred_verify(c);
			printf("verify_x5c=%s\n", r2 == FIDO_OK ? "ok" : fido_strerr(r2));
		}
	}
	if (out != NULL && (write_file(out, ".id", fido_cred_id_ptr(c), fido_cred_id_len(c)) ||
	    write_file(out, ".pub", fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c)) ||
	    write_file(out, ".alg", type == COSE_ES256 ? "es256" : "eddsa", 5) ||
	    write_file(out, ".x5c.der", fido_cred_x5c_ptr(c), fido_cred_x5c_len(c)) ||
	    write_file(out, ".sig", fido_cred_sig_ptr(c), fido_cred_sig_len(c)) ||
	    write_file(out, ".cdh", fido_cred_clientdata_hash_ptr(c),
	    fido_cred_clientdata_hash_len(c)) ||
	    write_file(out, ".authdata", fido_cred_authdata_raw_ptr(c),
	    fido_cred_authdata_raw_len(c)))) {
		fido_cred_free(&c);
		return 3;
	}
	fido_cred_free(&c);
	return r == FIDO_OK ? 0 : 3;
}

/* ---- assert ---- */

struct known {
	unsigned char *id, *pub;
	size_t id_len, pub_len;
	int type;
};

static int
verify_one(const fido_assert_t *a, size_t idx, const struct known *k)
{
	es256_pk_t *es = NULL;
	eddsa_pk_t *ed = NULL;
	int r = FIDO_ERR_INTERNAL;

	if (k->type == COSE_ES256) {
		if ((es = es256_pk_new()) != NULL && es256_pk_from_ptr(es, k->pub, k->pub_len) == FIDO_OK)
			r = fido_assert_verify(a, idx, COSE_ES256, es);
		es256_pk_free(&es);
	} else {
		if ((ed = eddsa_pk_new()) != NULL && eddsa_pk_from_ptr(ed, k->pub, k->pub_len) == FIDO_OK)
			r = fido_assert_verify(a, idx, COSE_EDDSA, ed);
		eddsa_pk_free(&ed);
	}
	return r;
}

static int
cmd_assert(fido_dev_t *d, int argc, char **argv)
{
	const char *rp = "ssh:";
	static const unsigned char cd[] = "simprobe assertion challenge";
	struct known k[8];
	size_t nk = 0, n;
	int discover = 0, up = 1, r, bad = 0;
	const char *salt = NULL;
	fido_assert_t *a = NULL;

	memset(k, 0, sizeof(k));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--rp") == 0 && i + 1 < argc)
			rp = argv[++i];
		else if (strcmp(argv[i], "--discover") == 0)
			discover = 1;
		else if (strcmp(argv[i], "--up") == 0 && i + 1 < argc)
			up = atoi(argv[++i]);
		else if (strcmp(argv[i], "--salt") == 0 && i + 1 < argc)
			salt = argv[++i];	/* any text: its SHA-256 is the salt */
		else if (strcmp(argv[i], "--cred") == 0 && i + 1 < argc && nk < 8) {
			size_t l = 0;
			unsigned char *alg;
			const char *p = argv[++i];
			k[nk].id = read_file(p, ".id", &k[nk].id_len);
			k[nk].pub = read_file(p, ".pub", &k[nk].pub_len);
			alg = read_file(p, ".alg", &l);
			if (!k[nk].id || !k[nk].pub || !alg) {
				free(alg);
				bad = 2;
				nk++;
				break;
			}
			k[nk].type = strcmp((char *)alg, "es256") == 0 ? COSE_ES256 : COSE_EDDSA;
			free(alg);
			nk++;
		} else {
			bad = 2;
			break;
		}
	}
	if (bad || (a = fido_assert_new()) == NULL)
		goto out;
	if ((r = fido_assert_set_rp(a, rp)) != FIDO_OK ||
	    (r = fido_assert_set_clientdata(a, cd, sizeof(cd) - 1)) != FIDO_OK ||
	    (!up && (r = fido_assert_set_up(a, FIDO_OPT_FALSE)) != FIDO_OK)) {
		bad = fail_fido("fido_assert_set", r);
		goto out;
	}
	if (salt != NULL) {
		unsigned char sv[32];
		SHA256((const unsigned char *)salt, strlen(salt), sv);
		if ((r = fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET)) != FIDO_OK ||
		    (r = fido_assert_set_hmac_salt(a, sv, sizeof(sv))) != FIDO_OK) {
			bad = fail_fido("fido_assert_set_hmac", r);
			goto out;
		}
	}
	for (size_t i = 0; !discover && i < nk; i++)
		if ((r = fido_assert_allow_cred(a, k[i].id, k[i].id_len)) != FIDO_OK) {
			bad = fail_fido("fido_assert_allow_cred", r);
			goto out;
		}
	if ((r = fido_dev_get_assert(d, a, probe_pin)) != FIDO_OK) {
		bad = fail_fido("fido_dev_get_assert", r);
		goto out;
	}
	n = fido_assert_count(a);
	printf("count=%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct known *m = NULL;
		for (size_t j = 0; j < nk; j++)
			if (k[j].id_len == fido_assert_id_len(a, i) &&
			    memcmp(k[j].id, fido_assert_id_ptr(a, i), k[j].id_len) == 0)
				m = &k[j];
		printf("assert.%zu.flags=0x%02x\nassert.%zu.sigcount=%u\n", i,
		    fido_assert_flags(a, i), i, fido_assert_sigcount(a, i));
		if (fido_assert_user_id_len(a, i)) {
			char key[32];
			snprintf(key, sizeof(key), "assert.%zu.user_id", i);
			print_hex(key, fido_assert_user_id_ptr(a, i), fido_assert_user_id_len(a, i));
		}
		if (fido_assert_hmac_secret_len(a, i)) {
			char key[32];
			snprintf(key, sizeof(key), "assert.%zu.hmac_secret", i);
			print_hex(key, fido_assert_hmac_secret_ptr(a, i), fido_assert_hmac_secret_len(a, i));
		}
		if (fido_assert_user_name(a, i))
			printf("assert.%zu.user_name=%s\n", i, fido_assert_user_name(a, i));
		if (m == NULL) {
			printf("assert.%zu.verify=unknown-credential\n", i);
			bad = 3;
			continue;
		}
		r = verify_one(a, i, m);
		printf("assert.%zu.verify=%s\n", i, r == FIDO_OK ? "ok" : fido_strerr(r));
		if (r != FIDO_OK)
			bad = 3;
	}
out:
	for (size_t i = 0; i < nk; i++) {
		free(k[i].id);
		free(k[i].pub);
	}
	fido_assert_free(&a);
	return bad;
}

/* ---- PIN ---- */

static int
cmd_retries(fido_dev_t *d)
{
	int n = -1, r;

	if ((r = fido_dev_get_retry_count(d, &n)) != FIDO_OK)
		return fail_fido("fido_dev_get_retry_count", r);
	printf("retries=%d\n", n);
	return 0;
}

/* N attempts with a wrong PIN on one open device (one "plug-in"). */
static int
cmd_wrongpin(fido_dev_t *d, int n)
{
	fido_credman_metadata_t *m = fido_credman_metadata_new();
	int r;

	for (int i = 0; i < n; i++) {
		r = fido_credman_get_dev_metadata(d, m, "not-the-pin");
		printf("attempt.%d=0x%02x %s\n", i + 1, r & 0xff, fido_strerr(r));
	}
	fido_credman_metadata_free(&m);
	return 0;
}

/* ---- credman ---- */

static int
cmd_credman_list(fido_dev_t *d, int argc, char **argv)
{
	fido_credman_metadata_t *m = fido_credman_metadata_new();
	fido_credman_rp_t *rps = fido_credman_rp_new();
	fido_credman_rk_t *rks = NULL;
	const char *only = NULL;
	int r, rc = 0;

	if (argc >= 2 && strcmp(argv[0], "--rp") == 0)
		only = argv[1];
	if ((r = fido_credman_get_dev_metadata(d, m, probe_pin)) != FIDO_OK) {
		rc = fail_fido("fido_credman_get_dev_metadata", r);
		goto out;
	}
	printf("existing=%llu\nremaining=%llu\n",
	    (unsigned long long)fido_credman_rk_existing(m),
	    (unsigned long long)fido_credman_rk_remaining(m));
	if ((r = fido_credman_get_dev_rp(d, rps, probe_pin)) != FIDO_OK) {
		rc = fail_fido("fido_credman_get_dev_rp", r);
		goto out;
	}
	printf("rps=%zu\n", fido_credman_rp_count(rps));
	for (size_t i = 0; i < fido_credman_rp_count(rps); i++) {
		const char *id = fido_credman_rp_id(rps, i);
		printf("rp.%zu=%s\n", i, id);
		if (only != NULL && strcmp(only, id) != 0)
			continue;
		rks = fido_credman_rk_new();
		if ((r = fido_credman_get_dev_rk(d, id, rks, probe_pin)) != FIDO_OK) {
			rc = fail_fido("fido_credman_get_dev_rk", r);
			goto out;
		}
		for (size_t j = 0; j < fido_credman_rk_count(rks); j++) {
			const fido_cred_t *c = fido_credman_rk(rks, j);
			char key[64];
			snprintf(key, sizeof(key), "rk.%s.%zu.id", id, j);
			print_hex(key, fido_cred_id_ptr(c), fido_cred_id_len(c));
			printf("rk.%s.%zu.user=%s\nrk.%s.%zu.type=%d\nrk.%s.%zu.prot=%d\n", id, j,
			    fido_cred_user_name(c) ? fido_cred_user_name(c) : "", id, j,
			    fido_cred_type(c), id, j, fido_cred_prot(c));
			snprintf(key, sizeof(key), "rk.%s.%zu.pub", id, j);
			print_hex(key, fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c));
		}
		fido_credman_rk_free(&rks);
	}
out:
	fido_credman_rk_free(&rks);
	fido_credman_rp_free(&rps);
	fido_credman_metadata_free(&m);
	return rc;
}

static int
cmd_credman_del(fido_dev_t *d, const char *prefix)
{
	size_t n = 0;
	unsigned char *id = read_file(prefix, ".id", &n);
	int r;

	if (id == NULL)
		return 2;
	r = fido_credman_del_dev_rk(d, id, n, probe_pin);
	free(id);
	if (r != FIDO_OK)
		return fail_fido("fido_credman_del_dev_rk", r);
	printf("deleted=1\n");
	return 0;
}

/* ---- cancel: fido_dev_cancel from a second thread during a touch wait ---- */

struct cancel_arg {
	fido_dev_t *d;
	int ms;
	volatile int done;
};

/* Cancels every MS until the make returns: on a loaded machine the first
 * CANCEL may arrive before the request (and is then ignored, as it should). */
static void *
canceller(void *p)
{
	struct cancel_arg *a = p;

	while (!__atomic_load_n(&a->done, __ATOMIC_SEQ_CST)) {
		usleep((useconds_t)a->ms * 1000);
		if (!__atomic_load_n(&a->done, __ATOMIC_SEQ_CST))
			fido_dev_cancel(a->d);
	}
	return NULL;
}

static int
cmd_cancel_make(fido_dev_t *d, int ms)
{
	static const unsigned char cd[] = "simprobe cancel";
	unsigned char uid[32] = { 1 };
	fido_cred_t *c = fido_cred_new();
	struct cancel_arg a = { d, ms, 0 };
	pthread_t t;
	int r;

	fido_cred_set_type(c, COSE_ES256);
	fido_cred_set_clientdata(c, cd, sizeof(cd) - 1);
	fido_cred_set_rp(c, "ssh:", NULL);
	fido_cred_set_user(c, uid, sizeof(uid), "cancel", NULL, NULL);
	pthread_create(&t, NULL, canceller, &a);
	r = fido_dev_make_cred(d, c, probe_pin);
	__atomic_store_n(&a.done, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	fido_cred_free(&c);
	if (r != FIDO_OK)
		return fail_fido("fido_dev_make_cred", r);
	printf("made=1\n");
	return 0;
}

/* ---- touch: libfido2's device-selection probe (OpenSSH uses it) ---- */

static int
cmd_touch(fido_dev_t *d)
{
	int touched = 0, r;

	if ((r = fido_dev_get_touch_begin(d)) != FIDO_OK)
		return fail_fido("fido_dev_get_touch_begin", r);
	for (int i = 0; i < 100 && !touched; i++)
		if ((r = fido_dev_get_touch_status(d, &touched, 200)) != FIDO_OK)
			return fail_fido("fido_dev_get_touch_status", r);
	printf("touched=%d\n", touched);
	return touched ? 0 : 3;
}

int
main(int argc, char **argv)
{
	fido_dev_t *d = NULL;
	const char *sock, *cmd;
	int rc = 2;

	if (argc < 3) {
		fputs("usage: simprobe SOCKET COMMAND [ARGS] (see simprobe.c)\n", stderr);
		return 2;
	}
	sock = argv[1];
	cmd = argv[2];
	if ((probe_pin = getenv("SIMPROBE_PIN")) != NULL)
		probe_pin = strdup(probe_pin);
	if ((probe_new_pin = getenv("SIMPROBE_NEW_PIN")) != NULL)
		probe_new_pin = strdup(probe_new_pin);
	unsetenv("SIMPROBE_PIN");
	unsetenv("SIMPROBE_NEW_PIN");
	fido_init(getenv("SIMPROBE_DEBUG") ? FIDO_DEBUG : 0);
	if (strcmp(cmd, "raw") == 0) {
		rc = cmd_raw(sock);
		goto out;
	}
	if (strcmp(cmd, "raw-garbage") == 0 && argc > 3) {
		rc = cmd_raw_garbage(sock, atoi(argv[3]));
		goto out;
	}
	if (strcmp(cmd, "raw-touch") == 0) {
		rc = cmd_raw_touch(sock);
		goto out;
	}
	if ((d = dev_open(sock)) == NULL) {
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "info") == 0)
		rc = cmd_info(d);
	else if (strcmp(cmd, "make") == 0)
		rc = cmd_make(d, argc - 3, argv + 3);
	else if (strcmp(cmd, "assert") == 0)
		rc = cmd_assert(d, argc - 3, argv + 3);
	else if (strcmp(cmd, "retries") == 0)
		rc = cmd_retries(d);
	else if (strcmp(cmd, "setpin") == 0 && probe_new_pin) {
		int r = fido_dev_set_pin(d, probe_new_pin, NULL);
		rc = r == FIDO_OK ? (printf("setpin=ok\n"), 0) : fail_fido("fido_dev_set_pin", r);
	} else if (strcmp(cmd, "changepin") == 0 && probe_new_pin && probe_pin) {
		int r = fido_dev_set_pin(d, probe_new_pin, probe_pin);
		rc = r == FIDO_OK ? (printf("changepin=ok\n"), 0) : fail_fido("fido_dev_set_pin", r);
	} else if (strcmp(cmd, "wrongpin") == 0 && argc > 3)
		rc = cmd_wrongpin(d, atoi(argv[3]));
	else if (strcmp(cmd, "reset") == 0) {
		int r = fido_dev_reset(d);
		rc = r == FIDO_OK ? (printf("reset=ok\n"), 0) : fail_fido("fido_dev_reset", r);
	} else if (strcmp(cmd, "credman-list") == 0)
		rc = cmd_credman_list(d, argc - 3, argv + 3);
	else if (strcmp(cmd, "credman-del") == 0 && argc > 3)
		rc = cmd_credman_del(d, argv[3]);
	else if (strcmp(cmd, "touch") == 0)
		rc = cmd_touch(d);
	else if (strcmp(cmd, "cancel-make") == 0 && argc > 3)
		rc = cmd_cancel_make(d, atoi(argv[3]));
	else
		fprintf(stderr, "simprobe: unknown command or missing argument: %s\n", cmd);
out:
	dev_close(&d);
	if (probe_pin)
		explicit_bzero(probe_pin, strlen(probe_pin));
	if (probe_new_pin)
		explicit_bzero(probe_new_pin, strlen(probe_new_pin));
	free(probe_pin);
	free(probe_new_pin);
	return rc;
}
