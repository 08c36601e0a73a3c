/* Unit tests for the RFC 4716, PEM/X.509 and PPK codecs and the EVP bridge.
 * Expected texts were written by the oracles (ssh-keygen 9.2, PuTTYgen 0.78,
 * OpenSSL 3.0) for throwaway keys, never by hwkey. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "key.h"
#include "key_evp.h"

/* ---- Oracle outputs ---- */
static const char RSA_OPENSSH[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCa8LwEYpdwtkL6SxjyG7R/b3+UuMkKqDE7ihrQ+HzsXqlUR6T/3gmWLAOFuki3J5fHLnoTlPt3XSFhhI7nuj0KkIagkgF6H+ewhXhrh0wPZy4RLr9Ls1uNIdvVdfNQvbwPABbSW3b1Q3pLRiFpE1wzUcXnRc7LiUt2rZZEL5I8sxMZSNUsICBNATSH/IYvaYbPv8aDXoJyAKsn2iJAkar4E1oDU2S3lOuFofHn+hH32jjgatRMx9AzAmBDCtLqRkRgeZVQBAcHVOVFmMCkYrVn72wF7EeEYX3uHUzw7LrTwLOsvdjKxL6aO2yNd7W2/WpkXa/GzRzEcO3SYlz9VyHt alice@example.com\n"
    ;
static const char RSA_PUTTY_RFC4716[] =
    "---- BEGIN SSH2 PUBLIC KEY ----\n"
    "Comment: \"alice@example.com\"\n"
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQCa8LwEYpdwtkL6SxjyG7R/b3+UuMkKqDE7\n"
    "ihrQ+HzsXqlUR6T/3gmWLAOFuki3J5fHLnoTlPt3XSFhhI7nuj0KkIagkgF6H+ew\n"
    "hXhrh0wPZy4RLr9Ls1uNIdvVdfNQvbwPABbSW3b1Q3pLRiFpE1wzUcXnRc7LiUt2\n"
    "rZZEL5I8sxMZSNUsICBNATSH/IYvaYbPv8aDXoJyAKsn2iJAkar4E1oDU2S3lOuF\n"
    "ofHn+hH32jjgatRMx9AzAmBDCtLqRkRgeZVQBAcHVOVFmMCkYrVn72wF7EeEYX3u\n"
    "HUzw7LrTwLOsvdjKxL6aO2yNd7W2/WpkXa/GzRzEcO3SYlz9VyHt\n"
    "---- END SSH2 PUBLIC KEY ----\n"
    ;
static const char RSA_SSHKEYGEN_RFC4716[] =
    "---- BEGIN SSH2 PUBLIC KEY ----\n"
    "Comment: \"2048-bit RSA, converted by root@vm from OpenSSH\"\n"
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQCa8LwEYpdwtkL6SxjyG7R/b3+UuMkKqDE7ihrQ+H\n"
    "zsXqlUR6T/3gmWLAOFuki3J5fHLnoTlPt3XSFhhI7nuj0KkIagkgF6H+ewhXhrh0wPZy4R\n"
    "Lr9Ls1uNIdvVdfNQvbwPABbSW3b1Q3pLRiFpE1wzUcXnRc7LiUt2rZZEL5I8sxMZSNUsIC\n"
    "BNATSH/IYvaYbPv8aDXoJyAKsn2iJAkar4E1oDU2S3lOuFofHn+hH32jjgatRMx9AzAmBD\n"
    "CtLqRkRgeZVQBAcHVOVFmMCkYrVn72wF7EeEYX3uHUzw7LrTwLOsvdjKxL6aO2yNd7W2/W\n"
    "pkXa/GzRzEcO3SYlz9VyHt\n"
    "---- END SSH2 PUBLIC KEY ----\n"
    ;
static const char RSA_PKCS8[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmvC8BGKXcLZC+ksY8hu0\n"
    "f29/lLjJCqgxO4oa0Ph87F6pVEek/94JliwDhbpItyeXxy56E5T7d10hYYSO57o9\n"
    "CpCGoJIBeh/nsIV4a4dMD2cuES6/S7NbjSHb1XXzUL28DwAW0lt29UN6S0YhaRNc\n"
    "M1HF50XOy4lLdq2WRC+SPLMTGUjVLCAgTQE0h/yGL2mGz7/Gg16CcgCrJ9oiQJGq\n"
    "+BNaA1Nkt5TrhaHx5/oR99o44GrUTMfQMwJgQwrS6kZEYHmVUAQHB1TlRZjApGK1\n"
    "Z+9sBexHhGF97h1M8Oy608CzrL3YysS+mjtsjXe1tv1qZF2vxs0cxHDt0mJc/Vch\n"
    "7QIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
    ;
static const char RSA_PKCS1[] =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEAmvC8BGKXcLZC+ksY8hu0f29/lLjJCqgxO4oa0Ph87F6pVEek/94J\n"
    "liwDhbpItyeXxy56E5T7d10hYYSO57o9CpCGoJIBeh/nsIV4a4dMD2cuES6/S7Nb\n"
    "jSHb1XXzUL28DwAW0lt29UN6S0YhaRNcM1HF50XOy4lLdq2WRC+SPLMTGUjVLCAg\n"
    "TQE0h/yGL2mGz7/Gg16CcgCrJ9oiQJGq+BNaA1Nkt5TrhaHx5/oR99o44GrUTMfQ\n"
    "MwJgQwrS6kZEYHmVUAQHB1TlRZjApGK1Z+9sBexHhGF97h1M8Oy608CzrL3YysS+\n"
    "mjtsjXe1tv1qZF2vxs0cxHDt0mJc/Vch7QIDAQAB\n"
    "-----END RSA PUBLIC KEY-----\n"
    ;
static const char EC_OPENSSH[] =
    "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBKkhDdicPnA1CCcI6fA1NRbSfXT8rONtyfPIoHV3vreMn0YAA2C0N/YjL6SdTKPPByxtuHwLH+C6u6niq7Z7FGqdM8Z/KbL1XcyVpwNVltDPCr4dRtHeaAAyLsaCl42tAQ== ec@host\n"
    ;
static const char EC_PKCS8[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEqSEN2Jw+cDUIJwjp8DU1FtJ9dPys423J\n"
    "88igdXe+t4yfRgADYLQ39iMvpJ1Mo88HLG24fAsf4Lq7qeKrtnsUap0zxn8psvVd\n"
    "zJWnA1WW0M8Kvh1G0d5oADIuxoKXja0B\n"
    "-----END PUBLIC KEY-----\n"
    ;
static const char ED_OPENSSH[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOspyAT8FmbwTuW4e3Xb5S+FxOYpRXDHergoPlL547+q ed \"quoted\" \\back\n"
    ;
static const char ED_PUTTY_RFC4716[] =
    "---- BEGIN SSH2 PUBLIC KEY ----\n"
    "Comment: \"ed \\\"quoted\\\" \\\\back\"\n"
    "AAAAC3NzaC1lZDI1NTE5AAAAIOspyAT8FmbwTuW4e3Xb5S+FxOYpRXDHergoPlL5\n"
    "47+q\n"
    "---- END SSH2 PUBLIC KEY ----\n"
    ;
static const char ED_PPK_V2[] =
    "PuTTY-User-Key-File-2: ssh-ed25519\n"
    "Encryption: none\n"
    "Comment: ed \"quoted\" \\back\n"
    "Public-Lines: 2\n"
    "AAAAC3NzaC1lZDI1NTE5AAAAIOspyAT8FmbwTuW4e3Xb5S+FxOYpRXDHergoPlL5\n"
    "47+q\n"
    "Private-Lines: 1\n"
    "AAAAILA2LYUeDcGyhQK18ZHGMb2OCYoXDa/lBjzN5aAg+8ph\n"
    "Private-MAC: b6beb995632fee6eb345a3ce9ec2e86966ba8ea3\n"
    ;
static const char ED_PPK_V3[] =
    "PuTTY-User-Key-File-3: ssh-ed25519\n"
    "Encryption: none\n"
    "Comment: ed \"quoted\" \\back\n"
    "Public-Lines: 2\n"
    "AAAAC3NzaC1lZDI1NTE5AAAAIOspyAT8FmbwTuW4e3Xb5S+FxOYpRXDHergoPlL5\n"
    "47+q\n"
    "Private-Lines: 1\n"
    "AAAAILA2LYUeDcGyhQK18ZHGMb2OCYoXDa/lBjzN5aAg+8ph\n"
    "Private-MAC: abbef7b36e7f15b90fa6f1fabf7f1e0671b8105e7af974d21179c293cd57f559\n"
    ;
static const char ED_PPK_V3_ENCRYPTED[] =
    "PuTTY-User-Key-File-3: ssh-ed25519\n"
    "Encryption: aes256-cbc\n"
    "Comment: ed \"quoted\" \\back\n"
    "Public-Lines: 2\n"
    "AAAAC3NzaC1lZDI1NTE5AAAAIOspyAT8FmbwTuW4e3Xb5S+FxOYpRXDHergoPlL5\n"
    "47+q\n"
    "Key-Derivation: Argon2id\n"
    "Argon2-Memory: 8192\n"
    "Argon2-Passes: 8\n"
    "Argon2-Parallelism: 1\n"
    "Argon2-Salt: eb168b48cf628d84386d3fdfdb194848\n"
    "Private-Lines: 1\n"
    "ZkxnomMq1/R2aDr4s+rCxh2e2eAbiz8iL5WFViwPnsFcmL4fGYxkGJT3ykZBqyJA\n"
    "Private-MAC: 7bf23bb9cdde5ce52619893ce9c7ff2688675c538f23c2d7eb56aaf83f0b67e3\n"
    ;
static const char DSA_OPENSSH[] =
    "ssh-dss AAAAB3NzaC1kc3MAAACBAO8pvblKgKyFHBgdApSeLRUsFyN508xA4Y+zYSVmmxWSIT4eZRo86Dsac8s82GoLcGXdBd2bxc97RJyVRbTzp2bYKOo3/GlWMNA39cX0U+q1w0rlbYNuzRvVAQA5l9spvWMr7JTum0RneSWPygo1gy8NXyt5LHstXo7FcT7Ti7FNAAAAFQDaRlRvNZnb8b3Riy8sGoxH6j6v1QAAAIAF6cVyz4T1Tp8WYiP1fc7SGVmQ6NXZJkE3t0HnWxl75zJW7rsWrpruEZ1NLHHq2TQiy3kLDhi95BiOx7/inniK1GwhJPX2J0w/5KTPsS1nNQrreUVSKx/2g6qWdP9ObXEQ3I1Rxa7nvmEzUFo5rHaBb/tlXP4fNanIk8u0G8CAqgAAAIAedGoxj92TydOQLSq2/jcYf0+Fpxu2kZhcKiQWw9vIMICh0FbSrZ/N8R8tKQEcGLPmbjTeFExVefUNMHg+WKMgm7jw9PC2oetsfnqGjpy0EbknZ9AcEyGJlgSFloawmHShMFQ14DoVDSWLeiWAp9Oo/33O8LydqnyABTO5yr2xwg== dsa\n"
    ;
static const char X25519_SPKI[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VuAyEAt7davzx0PejrfBPzbXVE0WLYp+XXZYVKFfxPIXcL+wY=\n"
    "-----END PUBLIC KEY-----\n"
    ;
static const char BRAINPOOL_SPKI[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFowFAYHKoZIzj0CAQYJKyQDAwIIAQEHA0IABDO2lSnq9xIVzDjOFb8gYdGyLzME\n"
    "kDPPVyBMolCoE2FNqYuKlSpC6N/P9JD+0iIxlEeocVeQ55IPvry86i/PAdg=\n"
    "-----END PUBLIC KEY-----\n"
    ;
static const char CERT_X509[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBbTCCAROgAwIBAgIUXNGNhUvNuiAK8NHIM0v8U2IS3eUwCgYIKoZIzj0EAwIw\n"
    "DDEKMAgGA1UEAwwBdDAeFw0yNjExMjExNTA1MjlaFw0yNjExMjIxNTA1MjlaMAwx\n"
    "CjAIBgNVBAMMAXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQbe0cDI9nrem4b\n"
    "mB3QSU4B36PJqOdz6ts2sy/3xS56Ihwms9IfdGkgp27EXVMzyQqu/a5/m5Ag/sbh\n"
    "eVCVz7u4o1MwUTAdBgNVHQ4EFgQUyIxAiJqyn0fOJZUBnSTcWduOJhAwHwYDVR0j\n"
    "BBgwFoAUyIxAiJqyn0fOJZUBnSTcWduOJhAwDwYDVR0TAQH/BAUwAwEB/zAKBggq\n"
    "hkjOPQQDAgNIADBFAiBj1ZLn32rzzzvCTVkAEvaczksuObVA0vrtP367N9UNzAIh\n"
    "AMImbfHS2rfpbUulFg/u2HBZ0NC7Li3ZgNNNzEaQYnmw\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char CERT_OPENSSH[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBt7RwMj2et6bhuYHdBJTgHfo8mo53Pq2zazL/fFLnoiHCaz0h90aSCnbsRdUzPJCq79rn+bkCD+xuF5UJXPu7g=\n"
    ;

/* ---- Helpers ---- */

/* The key of an OpenSSH line, decoded here so these tests need no other codec. */
static struct hk_key *
openssh_key(const char *line)
{
	struct hk_buf *blob = hk_buf_new();
	struct hk_key *key = NULL;
	const char *b64 = strchr(line, ' ') + 1;
	const char *end = strchr(b64, ' ');
	char *comment;

	if (end == NULL)
		end = strchr(b64, '\n');
	assert_int_equal(hk_b64_decode(blob, b64, (size_t)(end - b64), 0), 0);
	assert_int_equal(hk_key_from_blob(hk_buf_ptr(blob), hk_buf_len(blob), &key), 0);
	if (*end == ' ') {
		comment = strndup(end + 1, strcspn(end + 1, "\n"));
		assert_int_equal(hk_key_set_comment(key, comment), 0);
		free(comment);
	}
	hk_buf_free(blob);
	return key;
}

/* s with the first occurrence of from replaced by to (malloc'd). */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *r;

	assert_non_null(at);
	assert_int_not_equal(asprintf(&r, "%.*s%s%s", (int)(at - s), s, to,
	    at + strlen(from)), -1);
	return r;
}

/* A UTF-8 BOM, then s with every "\n" turned into "\r\n". */
static char *
bom_crlf(const char *s)
{
	char *r = malloc(3 + 2 * strlen(s) + 1), *o = r;

	assert_non_null(r);
	memcpy(o, "\xef\xbb\xbf", 3);
	o += 3;
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return r;
}

static void
assert_same_key(const struct hk_key *got, const char *openssh_line)
{
	struct hk_key *want = openssh_key(openssh_line);

	assert_non_null(got);
	assert_true(hk_key_equal(got, want));
	hk_key_free(want);
}

static int
rfc4716(const char *text, struct hk_key **keyp)
{
	return hk_fmt_rfc4716_parse(text, strlen(text), keyp);
}

static int
ppk(const char *text, struct hk_key **keyp)
{
	return hk_fmt_ppk_parse(text, strlen(text), keyp);
}

static int
pem(const char *text, enum hk_fmt *fmtp, struct hk_key **keyp)
{
	return hk_fmt_pem_parse(text, strlen(text), fmtp, keyp);
}

/* ---- RFC 4716 ---- */

static void
test_rfc4716_reads_puttygen_and_sshkeygen(void **state)
{
	struct hk_key *k = NULL;

	(void)state;
	assert_int_equal(rfc4716(RSA_PUTTY_RFC4716, &k), 0);
	assert_same_key(k, RSA_OPENSSH);
	assert_string_equal(hk_key_comment(k), "alice@example.com");
	hk_key_free(k);
	/* ssh-keygen -e: 70 columns and its own comment text. */
	assert_int_equal(rfc4716(RSA_SSHKEYGEN_RFC4716, &k), 0);
	assert_same_key(k, RSA_OPENSSH);
	assert_string_equal(hk_key_comment(k),
	    "2048-bit RSA, converted by root@vm from OpenSSH");
	hk_key_free(k);
}

static void
test_rfc4716_quoted_comment_escapes(void **state)
{
	struct hk_key *k = NULL;

	(void)state;
	/* PuTTYgen escapes '"' and '\'; the comment must come back unescaped. */
	assert_int_equal(rfc4716(ED_PUTTY_RFC4716, &k), 0);
	assert_same_key(k, ED_OPENSSH);
	assert_string_equal(hk_key_comment(k), "ed \"quoted\" \\back");
	hk_key_free(k);
}

static void
test_rfc4716_write_is_puttygen(void **state)
{
	struct hk_buf *out = hk_buf_new();
	struct hk_key *k;
	char *s;

	(void)state;
	k = openssh_key(RSA_OPENSSH);
	assert_int_equal(hk_fmt_rfc4716_write(k, out), 0);
	s = hk_buf_dup_string(out);
	assert_string_equal(s, RSA_PUTTY_RFC4716);
	free(s);
	hk_key_free(k);
	hk_buf_reset(out);
	k = openssh_key(ED_OPENSSH);
	assert_int_equal(hk_fmt_rfc4716_write(k, out), 0);
	s = hk_buf_dup_string(out);
	assert_string_equal(s, ED_PUTTY_RFC4716);
	free(s);
	hk_key_free(k);
	hk_buf_free(out);
}

static void
test_rfc4716_header_continuation(void **state)
{
	struct hk_key *k = NULL;
	char *text, *t2;

	(void)state;
	/* A continued x-command (ignored) and a continued, lower-case Comment tag. */
	text = replace(RSA_PUTTY_RFC4716, "Comment: \"alice@example.com\"\n",
	    "x-command: /usr/bin/\\\nfoo\ncomment: \"first part \\\nsecond part\"\n");
	assert_int_equal(rfc4716(text, &k), 0);
	assert_same_key(k, RSA_OPENSSH);
	assert_string_equal(hk_key_comment(k), "first part second part");
	hk_key_free(k);
	k = NULL;
	/* An unquoted comment is taken as it is. */
	t2 = replace(RSA_PUTTY_RFC4716, "\"alice@example.com\"", "bob at host");
	assert_int_equal(rfc4716(t2, &k), 0);
	assert_string_equal(hk_key_comment(k), "bob at host");
	hk_key_free(k);
	free(t2);
	free(text);
}

static void
test_rfc4716_crlf_bom(void **state)
{
	struct hk_key *k = NULL;
	char *text = bom_crlf(RSA_PUTTY_RFC4716);

	(void)state;
	assert_int_equal(rfc4716(text, &k), 0);
	assert_same_key(k, RSA_OPENSSH);
	assert_string_equal(hk_key_comment(k), "alice@example.com");
	hk_key_free(k);
	free(text);
}

static void
test_rfc4716_rejects(void **state)
{
	struct hk_key *k = NULL;
	char *t;

	(void)state;
	t = replace(RSA_PUTTY_RFC4716, "---- END SSH2 PUBLIC KEY ----\n", "");
	assert_int_equal(rfc4716(t, &k), HK_ERR_RFC4716);
	assert_null(k);
	assert_non_null(strstr(hk_err_detail(), "END"));
	free(t);
	t = replace(RSA_PUTTY_RFC4716, "hXhrh0wP", "hXhr*0wP");
	assert_int_equal(rfc4716(t, &k), HK_ERR_BASE64);
	free(t);
	t = replace(RSA_PUTTY_RFC4716, "---- END", "Subject: late\n---- END");
	assert_int_equal(rfc4716(t, &k), HK_ERR_RFC4716);
	free(t);
	t = replace(ED_PUTTY_RFC4716, "END SSH2 PUBLIC KEY ----\n",
	    "END SSH2 PUBLIC KEY ----\nAAAA\n");
	assert_int_equal(rfc4716(t, &k), HK_ERR_RFC4716);
	free(t);
	/* A key blob cut short is the key model's error, not a crash. */
	t = replace(ED_PUTTY_RFC4716, "\n47+q", "");
	assert_int_not_equal(rfc4716(t, &k), 0);
	assert_null(k);
	free(t);
	assert_int_equal(rfc4716("", &k), HK_ERR_RFC4716);
	assert_int_equal(rfc4716(RSA_PKCS8, &k), HK_ERR_RFC4716);
}

/* ---- PPK ---- */

static void
test_ppk_v2_v3_public_part(void **state)
{
	const char *texts[] = { ED_PPK_V2, ED_PPK_V3, ED_PPK_V3_ENCRYPTED };
	struct hk_key *k;
	char *crlf;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		k = NULL;
		assert_int_equal(ppk(texts[i], &k), 0);
		assert_same_key(k, ED_OPENSSH);
		/* PPK comments are raw: no quotes, no escapes. */
		assert_string_equal(hk_key_comment(k), "ed \"quoted\" \\back");
		hk_key_free(k);
	}
	crlf = bom_crlf(ED_PPK_V3_ENCRYPTED);
	assert_int_equal(ppk(crlf, &k), 0);
	assert_same_key(k, ED_OPENSSH);
	hk_key_free(k);
	free(crlf);
}

static void
test_ppk_rejects(void **state)
{
	struct hk_key *k = NULL;
	char *t;

	(void)state;
	/* Trailing blanks belong to a PPK comment, as PuTTYgen keeps them. */
	t = replace(ED_PPK_V3, "Comment: ed \"quoted\" \\back", "Comment: trail  ");
	assert_int_equal(ppk(t, &k), 0);
	assert_string_equal(hk_key_comment(k), "trail  ");
	hk_key_free(k);
	k = NULL;
	free(t);
	t = replace(ED_PPK_V3, "File-3: ssh-ed25519", "File-3: ssh-rsa");
	assert_int_equal(ppk(t, &k), HK_ERR_KEY_TYPE_MISMATCH);
	assert_null(k);
	free(t);
	t = replace(ED_PPK_V3, "Public-Lines: 2", "Public-Lines: 3");
	assert_int_equal(ppk(t, &k), HK_ERR_PPK);
	assert_non_null(strstr(hk_err_detail(), "Public-Lines"));
	free(t);
	t = replace(ED_PPK_V3, "Public-Lines: 2", "Public-Lines: 1");
	assert_int_equal(ppk(t, &k), HK_ERR_PPK);
	free(t);
	t = replace(ED_PPK_V3, "Public-Lines: 2", "Public-Lines: 99999");
	assert_int_equal(ppk(t, &k), HK_ERR_PPK);
	free(t);
	t = replace(ED_PPK_V3, "File-3", "File-4");
	assert_int_equal(ppk(t, &k), HK_ERR_PPK);
	free(t);
	t = replace(ED_PPK_V3, "47+q", "47+");
	assert_int_not_equal(ppk(t, &k), 0);
	assert_null(k);
	free(t);
}

/* ---- PEM, PKCS#1, X.509 ---- */

static void
test_pem_reads_sshkeygen_and_openssl(void **state)
{
	struct hk_key *k = NULL;
	enum hk_fmt fmt;
	char *t;

	(void)state;
	assert_int_equal(pem(RSA_PKCS8, &fmt, &k), 0);
	assert_int_equal(fmt, HK_FMT_PEM);
	assert_same_key(k, RSA_OPENSSH);
	assert_null(hk_key_comment(k));
	hk_key_free(k);
	assert_int_equal(pem(RSA_PKCS1, &fmt, &k), 0);
	assert_int_equal(fmt, HK_FMT_PKCS1);
	assert_same_key(k, RSA_OPENSSH);
	hk_key_free(k);
	assert_int_equal(pem(EC_PKCS8, &fmt, &k), 0);
	assert_same_key(k, EC_OPENSSH);
	assert_int_equal(hk_key_bits(k), 384);
	hk_key_free(k);
	assert_int_equal(pem(CERT_X509, &fmt, &k), 0);
	assert_int_equal(fmt, HK_FMT_X509);
	assert_same_key(k, CERT_OPENSSH);
	hk_key_free(k);
	t = bom_crlf(RSA_PKCS1);
	assert_int_equal(pem(t, &fmt, &k), 0);
	assert_same_key(k, RSA_OPENSSH);
	hk_key_free(k);
	free(t);
}

static char *
pem_write(const char *openssh, enum hk_fmt fmt, int *rp)
{
	struct hk_buf *out = hk_buf_new();
	struct hk_key *k = openssh_key(openssh);
	char *s = NULL;

	if ((*rp = hk_fmt_pem_write(k, fmt, out)) == 0)
		s = hk_buf_dup_string(out);
	hk_key_free(k);
	hk_buf_free(out);
	return s;
}

static void
test_pem_write_is_sshkeygen(void **state)
{
	struct hk_key *k = NULL;
	enum hk_fmt fmt;
	char *s;
	int r;

	(void)state;
	s = pem_write(RSA_OPENSSH, HK_FMT_PEM, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, RSA_PKCS8);
	free(s);
	s = pem_write(RSA_OPENSSH, HK_FMT_PKCS1, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, RSA_PKCS1);
	free(s);
	s = pem_write(EC_OPENSSH, HK_FMT_PEM, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, EC_PKCS8);
	free(s);
	assert_null(pem_write(EC_OPENSSH, HK_FMT_PKCS1, &r));
	assert_int_equal(r, HK_ERR_FORMAT_UNSUPPORTED);
	assert_null(pem_write(ED_OPENSSH, HK_FMT_OPENSSH, &r));
	assert_int_equal(r, HK_ERR_FORMAT_UNSUPPORTED);
	/* ssh-keygen 9.2 cannot write Ed25519 SPKI: check the round trip instead. */
	s = pem_write(ED_OPENSSH, HK_FMT_PEM, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
	assert_int_equal(pem(s, &fmt, &k), 0);
	assert_same_key(k, ED_OPENSSH);
	hk_key_free(k);
	free(s);
}

static void
test_pem_rejects(void **state)
{
	struct hk_key *k = NULL;
	enum hk_fmt fmt;
	char *t, *t2;

	(void)state;
	assert_int_equal(pem(X25519_SPKI, &fmt, &k), HK_ERR_KEY_TYPE_UNKNOWN);
	assert_null(k);
	assert_int_equal(fmt, HK_FMT_AUTO);
	assert_int_equal(pem(BRAINPOOL_SPKI, &fmt, &k), HK_ERR_EC_CURVE_UNKNOWN);
	assert_non_null(strstr(hk_err_detail(), "brainpoolP256r1"));
	t = replace(RSA_PKCS8, "-----END PUBLIC KEY-----", "-----END RSA PUBLIC KEY-----");
	assert_int_equal(pem(t, &fmt, &k), HK_ERR_PEM);
	free(t);
	t = replace(RSA_PKCS8, "-----END PUBLIC KEY-----\n", "");
	assert_int_equal(pem(t, &fmt, &k), HK_ERR_PEM);
	free(t);
	t = replace(RSA_PKCS8, "MIIBIjAN", "MIIB!jAN");
	assert_int_equal(pem(t, &fmt, &k), HK_ERR_PEM);
	free(t);
	/* A PKCS#1 body under the SPKI label is not a SubjectPublicKeyInfo. */
	t2 = replace(RSA_PKCS1, "BEGIN RSA PUBLIC", "BEGIN PUBLIC");
	t = replace(t2, "END RSA PUBLIC", "END PUBLIC");
	free(t2);
	assert_int_equal(pem(t, &fmt, &k), HK_ERR_PEM);
	free(t);
	t = replace(RSA_PKCS8, "PUBLIC KEY", "PRIVATE KEY");
	assert_int_equal(pem(t, &fmt, &k), HK_ERR_FORMAT_UNKNOWN);
	free(t);
	assert_null(k);
}

/* ---- EVP bridge ---- */

static void
test_evp_roundtrip(void **state)
{
	const char *lines[] = { RSA_OPENSSH, EC_OPENSSH, ED_OPENSSH, DSA_OPENSSH,
	    CERT_OPENSSH };
	const int bits[] = { 2048, 384, 256, 1024, 256 };
	struct hk_key *k, *back;
	EVP_PKEY *pkey;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		k = openssh_key(lines[i]);
		pkey = NULL;
		back = NULL;
		assert_int_equal(hk_key_to_evp(k, &pkey), 0);
		/* OpenSSL's own view of the key, independent of hwkey's. */
		assert_int_equal(EVP_PKEY_get_bits(pkey), bits[i]);
		assert_int_equal(hk_key_from_evp(pkey, &back), 0);
		assert_true(hk_key_equal(k, back));
		EVP_PKEY_free(pkey);
		hk_key_free(back);
		hk_key_free(k);
	}
}

static void
test_evp_sk_keys_give_plain_keys(void **state)
{
	const char *lines[] = { CERT_OPENSSH, ED_OPENSSH };
	const enum hk_key_type sk[] = { HK_KEY_ECDSA_SK, HK_KEY_ED25519_SK };
	struct hk_buf *out = hk_buf_new();
	struct hk_key *plain, *k, *back;
	const uint8_t *pk;
	EVP_PKEY *pkey;
	size_t i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		plain = openssh_key(lines[i]);
		k = back = NULL;
		pkey = NULL;
		if (i == 0)
			assert_int_equal(hk_key_ec_point(plain, &pk, &len), 0);
		else
			assert_int_equal(hk_key_ed25519_pk(plain, &pk, &len), 0);
		assert_int_equal(hk_key_from_sk(sk[i], pk, len, "ssh:", &k), 0);
		assert_int_equal(hk_key_to_evp(k, &pkey), 0);
		assert_int_equal(hk_key_from_evp(pkey, &back), 0);
		assert_true(hk_key_equal(plain, back));
		/* SPKI would drop the application and change the key type. */
		assert_int_equal(hk_fmt_pem_write(k, HK_FMT_PEM, out),
		    HK_ERR_FORMAT_UNSUPPORTED);
		EVP_PKEY_free(pkey);
		hk_key_free(back);
		hk_key_free(k);
		hk_key_free(plain);
	}
	hk_buf_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4716_reads_puttygen_and_sshkeygen),
		cmocka_unit_test(test_rfc4716_quoted_comment_escapes),
		cmocka_unit_test(test_rfc4716_write_is_puttygen),
		cmocka_unit_test(test_rfc4716_header_continuation),
		cmocka_unit_test(test_rfc4716_crlf_bom),
		cmocka_unit_test(test_rfc4716_rejects),
		cmocka_unit_test(test_ppk_v2_v3_public_part),
		cmocka_unit_test(test_ppk_rejects),
		cmocka_unit_test(test_pem_reads_sshkeygen_and_openssl),
		cmocka_unit_test(test_pem_write_is_sshkeygen),
		cmocka_unit_test(test_pem_rejects),
		cmocka_unit_test(test_evp_roundtrip),
		cmocka_unit_test(test_evp_sk_keys_give_plain_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
