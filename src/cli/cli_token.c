/* Shared plumbing of the token commands: option parsing among operands,
 * opening a token with its secret sources, key output fields, confirmation. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_token.h"
#include "err.h"

int
hk_cli_token_open(struct hk_cli_token *ct, const char *module, const char *uri,
    const char *pin, const char *so_pin, const char *new_pin)
{
	int r;

	memset(ct, 0, sizeof(*ct));
	hk_cli_ui_init(&ct->cu, pin, so_pin, new_pin);
	if ((r = hk_tokens_open(module, &ct->ts)) != 0)
		return hk_error_take(&ct->err, r);
	if (uri == NULL)
		return 0;
	if ((r = hk_token_select(ct->ts, uri, &ct->tok)) != 0)
		return hk_error_copy(&ct->err, hk_tokens_error(ct->ts));
	hk_token_set_ui(ct->tok, &ct->cu.ui);
	return 0;
}

void
hk_cli_token_close(struct hk_cli_token *ct)
{
	hk_token_free(ct->tok);
	hk_tokens_free(ct->ts);
	ct->tok = NULL;
	ct->ts = NULL;
}

int
hk_cli_token_pubkey_find(struct hk_cli_token *ct, const char *sel, int login,
    struct hk_token_key **kp)
{
	struct hk_token_key *k = NULL;
	int r;

	*kp = NULL;
	if ((r = hk_token_key_find(ct->tok, sel, login, &k)) != 0)
		return r;
	if (k->key == NULL) {
		r = hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "key %s: %s", k->id_hex,
		    k->error != NULL ? k->error : "public key unreadable");
		hk_token_key_free(k);
		return r;
	}
	*kp = k;
	return 0;
}

int
hk_cli_token_done(const struct hk_cmd *cmd, struct hk_cli_token *ct, int r)
{
	if (r == 0) {
		hk_cli_token_close(ct);
		return HK_EXIT_OK;
	}
	if (ct->err.code == r)
		;	/* kept when it happened */
	else if (ct->tok != NULL && hk_token_error(ct->tok)->code == r)
		hk_error_copy(&ct->err, hk_token_error(ct->tok));
	else if (ct->ts != NULL && hk_tokens_error(ct->ts)->code == r)
		hk_error_copy(&ct->err, hk_tokens_error(ct->ts));
	else
		hk_error_take(&ct->err, r);
	hk_cli_token_close(ct);
	return hk_cli_token_fail(cmd, &ct->err, ct->json);
}

int
hk_cli_token_fail(const struct hk_cmd *cmd, const struct hk_error *e, int json)
{
	return json ? hk_cli_fail_json(cmd, e) : hk_cli_fail_error(cmd, e);
}

int
hk_cli_token_usage(const struct hk_cmd *cmd, int json, const char *fmt, ...)
{
	struct hk_error e;
	va_list ap;

	hk_error_clear(&e);
	e.code = HK_ERR_USAGE;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	(void)hk_cli_usage_error(cmd, "%s", e.message);
	if (json)
		hk_cli_print_error_json(&e);
	return HK_EXIT_USAGE;
}

void
hk_cli_key_flags(const struct hk_token_key *k, int checked, char *buf, size_t size)
{
	unsigned int f;
	size_t len;

	buf[0] = '\0';
	if (!checked) {
		/* Without a login private objects are hidden: absence proves nothing. */
		snprintf(buf, size, "not checked");
		return;
	}
	for (f = 1; f <= HK_TKEY_F_LAST; f <<= 1) {
		if ((k->known & f) == 0 || (k->flags & f) == 0)
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? "," : "",
		    hk_token_key_flag_name(f));
	}
	if (k->key != NULL && hk_key_sk_application(k->key) != NULL) {
		/* sk keys: what ssh will ask of the device, as ssh-keygen -O names it. */
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s%s%s", len ? "," : "",
		    (k->sk_flags & 0x01) ? "touch-required" : "no-touch-required",
		    (k->sk_flags & 0x04) ? ",verify-required" : "",
		    (k->sk_flags & 0x20) ? ",resident" : "");
	}
	if (k->proof.kind == HK_PROOF_FIDO2_ATTESTATION) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? "," : "",
		    k->proof.verified ? "attested" : "attestation-unverified");
	}
	if (!k->has_private) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%spublic-only", len ? "," : "");
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
}

/* A resident key's user: its label is "APPLICATION USER" (tokens/fido2_cred.c). */
static const char *
sk_user(const struct hk_token_key *k)
{
	const char *app = k->key != NULL ? hk_key_sk_application(k->key) : NULL;
	size_t n;

	if (app != NULL && (n = strlen(app)) < strlen(k->label) &&
	    strncmp(k->label, app, n) == 0 && k->label[n] == ' ')
		return k->label + n + 1;
	return "";
}

json_t *
hk_cli_key_json(const struct hk_token_key *k, int checked)
{
	json_t *o, *fl = NULL, *fps = NULL;
	struct hk_error e;
	char kind[HK_KEY_KIND_MAX], *line = NULL, *fp = NULL, *md5 = NULL;
	unsigned int f;
	size_t n;

	if ((o = json_object()) == NULL || (fl = json_array()) == NULL ||
	    (fps = json_object()) == NULL) {
		json_decref(o);
		json_decref(fl);
		return NULL;
	}
	json_object_set_new(o, "id", json_string(k->id_hex));
	json_object_set_new(o, "label", json_string(k->label));
	json_object_set_new(o, "type", json_string(hk_key_kind_of(k->key, kind,
	    sizeof(kind))));
	if (k->key != NULL) {
		json_object_set_new(o, "bits", json_integer(hk_key_bits(k->key)));
		if (hk_key_write(k->key, HK_FMT_OPENSSH, &line) == 0) {
			n = strlen(line);
			if (n > 0 && line[n - 1] == '\n')
				line[n - 1] = '\0';
			json_object_set_new(o, "public_key", json_string(line));
		}
		if (hk_key_fingerprint(k->key, HK_FP_SHA256, &fp) == 0)
			json_object_set_new(fps, "sha256", json_string(fp));
		if (hk_key_fingerprint(k->key, HK_FP_MD5, &md5) == 0)
			json_object_set_new(fps, "md5", json_string(md5));
		json_object_set_new(o, "fingerprints", fps);
		fps = NULL;
	} else if (k->error != NULL) {
		/* A per-item failure: the one error object, inside the item. */
		hk_error_clear(&e);
		hk_error_set(&e, HK_ERR_KEY_TYPE_UNKNOWN, "key %s: %s", k->id_hex, k->error);
		json_object_set_new(o, "error", hk_cli_error_json(&e));
	}
	json_decref(fps);
	if (!checked) {
		/* What a --no-login listing cannot see is null, not a guess. */
		json_decref(fl);
		json_object_set_new(o, "has_private", json_null());
		json_object_set_new(o, "flags", json_null());
		json_object_set_new(o, "proven_on_token", json_null());
	} else {
		json_object_set_new(o, "has_private", json_boolean(k->has_private));
		for (f = 1; f <= HK_TKEY_F_LAST; f <<= 1)
			if ((k->known & f) != 0 && (k->flags & f) != 0)
				json_array_append_new(fl,
				    json_string(hk_token_key_flag_name(f)));
		json_object_set_new(o, "flags", fl);
		json_object_set_new(o, "proven_on_token",
		    json_boolean(hk_token_key_proven(k)));
	}
	if (k->key != NULL && hk_key_sk_application(k->key) != NULL) {
		json_t *sf = json_array();

		json_array_append_new(sf, json_string((k->sk_flags & 0x01) ?
		    "touch-required" : "no-touch-required"));
		if (k->sk_flags & 0x04)
			json_array_append_new(sf, json_string("verify-required"));
		if (k->sk_flags & 0x20)
			json_array_append_new(sf, json_string("resident"));
		json_object_set_new(o, "application",
		    json_string(hk_key_sk_application(k->key)));
		json_object_set_new(o, "sk_flags", sf);
		if (k->sk_flags & 0x20)
			json_object_set_new(o, "sk_user", json_string(sk_user(k)));
	}
	if (k->proof.kind == HK_PROOF_FIDO2_ATTESTATION)
		json_object_set_new(o, "proof", hk_cli_proof_json(k));
	free(line);
	free(fp);
	free(md5);
	return o;
}

int
hk_cli_confirm(const char *question)
{
	char ans[16];
	FILE *tty;
	int fd, yes;

	if (!isatty(STDIN_FILENO) ||
	    (fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if (question == NULL) {
		/* Only asking whether a terminal is there. */
		close(fd);
		return 0;
	}
	if ((tty = fdopen(fd, "r+")) == NULL) {
		close(fd);
		return -1;
	}
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	yes = fgets(ans, sizeof(ans), tty) != NULL && (ans[0] == 'y' || ans[0] == 'Y');
	fclose(tty);
	return yes;
}


static char *
aaguid_hex(const uint8_t a[16], char buf[33])
{
	size_t i;

	for (i = 0; i < 16; i++)
		snprintf(buf + 2 * i, 3, "%02x", a[i]);
	return buf;
}

void
hk_cli_proof_text(const struct hk_token_key *k, char *buf, size_t size)
{
	const struct hk_token_proof *p = &k->proof;

	buf[0] = '\0';
	if (p->kind != HK_PROOF_FIDO2_ATTESTATION)
		return;
	if (!p->verified) {
		snprintf(buf, size, "attestation %s NOT verified: %s",
		    p->u.fido2.format != NULL ? p->u.fido2.format : "none",
		    p->reason != NULL ? p->reason : "unknown");
		return;
	}
	snprintf(buf, size, "attestation %s verified, %s%s%s%s",
	    p->u.fido2.format, p->u.fido2.chain_verified ? "certificate chain "
	    "verified" : "certificate chain not checked (no --attestation-roots)",
	    p->u.fido2.issuer != NULL ? " (issuer " : "",
	    p->u.fido2.issuer != NULL ? p->u.fido2.issuer : "",
	    p->u.fido2.issuer != NULL ? ")" : "");
}

json_t *
hk_cli_proof_json(const struct hk_token_key *k)
{
	const struct hk_token_proof *p = &k->proof;
	json_t *o, *c;
	char hex[33];

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "kind", json_string(hk_proof_kind_name(p->kind)));
	json_object_set_new(o, "verified", json_boolean(p->verified == 1));
	json_object_set_new(o, "reason", p->reason != NULL ? json_string(p->reason) :
	    json_null());
	if (p->kind != HK_PROOF_FIDO2_ATTESTATION)
		return o;
	json_object_set_new(o, "format", json_string(p->u.fido2.format != NULL ?
	    p->u.fido2.format : "none"));
	json_object_set_new(o, "aaguid", json_string(aaguid_hex(p->u.fido2.aaguid, hex)));
	json_object_set_new(o, "chain_verified", json_boolean(p->u.fido2.chain_verified));
	if (p->u.fido2.ncerts > 0 && (c = json_object()) != NULL) {
		json_object_set_new(c, "subject", json_string(p->u.fido2.subject != NULL ?
		    p->u.fido2.subject : ""));
		json_object_set_new(c, "issuer", json_string(p->u.fido2.issuer != NULL ?
		    p->u.fido2.issuer : ""));
		json_object_set_new(o, "certificate", c);
	} else
		json_object_set_new(o, "certificate", json_null());
	return o;
}
