/* hwkey-fido2sim: CTAP2 command dispatch and the credential commands
 * (authenticatorGetInfo, MakeCredential, GetAssertion, GetNextAssertion,
 * Reset). ClientPIN and credential management live in their own files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "sim.h"

#define AD_UP	0x01
#define AD_UV	0x04
#define AD_AT	0x40
#define AD_ED	0x80

struct cmd_ctx {
	struct sim *s;
	struct sim_conn *c;
	char detail[160];	/* for the log line: never a PIN */
};

void
sim_log(const struct sim *s, const char *fmt, ...)
{
	char line[512];
	struct timespec ts;
	va_list ap;
	int n;

	if (s->log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "%lld.%03ld ", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000000L);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(s->log_fd, line, (size_t)n) < 0) {
		/* a log that cannot be written is not a reason to fail a command */
	}
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
getinfo(struct sim *s, cbor_item_t **reply)
{
	cbor_item_t *m = cbor_new_indefinite_map(), *a, *o, *alg;
	const bool v21 = !s->opt.ctap20;

	a = cbor_new_definite_array(2);
	cbor_array_push(a, cbor_move(cb_text("FIDO_2_0")));
	cbor_array_push(a, cbor_move(cb_text(v21 ? "FIDO_2_1" : "FIDO_2_1_PRE")));
	cb_put_int(m, 1, a);
	a = cbor_new_definite_array(2);
	cbor_array_push(a, cbor_move(cb_text("credProtect")));
	cbor_array_push(a, cbor_move(cb_text("hmac-secret")));
	cb_put_int(m, 2, a);
	cb_put_int(m, 3, cb_bytes(s->opt.aaguid, 16));
	o = cbor_new_indefinite_map();
	cb_put_str(o, "rk", cbor_build_bool(!s->opt.no_rk));
	cb_put_str(o, "up", cbor_build_bool(true));
	cb_put_str(o, "plat", cbor_build_bool(false));
	cb_put_str(o, "clientPin", cbor_build_bool(s->st.pin_set));
	if (v21) {
		cb_put_str(o, "credMgmt", cbor_build_bool(true));
		cb_put_str(o, "pinUvAuthToken", cbor_build_bool(true));
		cb_put_str(o, "makeCredUvNotRqd", cbor_build_bool(true));
	} else {
		cb_put_str(o, "credentialMgmtPreview", cbor_build_bool(true));
	}
	cb_put_int(m, 4, o);
	cb_put_int(m, 5, cb_int(2048));
	a = cbor_new_definite_array(2);
	if (s->opt.pin_protocols & 2)
		cbor_array_push(a, cbor_move(cb_int(2)));
	if (s->opt.pin_protocols & 1)
		cbor_array_push(a, cbor_move(cb_int(1)));
	cb_put_int(m, 6, a);
	cb_put_int(m, 7, cb_int(8));
	cb_put_int(m, 8, cb_int(256));
	if (v21) {
		a = cbor_new_definite_array(2);
		for (int i = 0; i < 2; i++) {
			if (!(s->opt.algs & (i == 0 ? SIM_ALG_ES256 : SIM_ALG_EDDSA)))
				continue;
			alg = cbor_new_indefinite_map();
			cb_put_str(alg, "alg", cb_int(i == 0 ? COSE_ES256 : COSE_EDDSA));
			cb_put_str(alg, "type", cb_text("public-key"));
			cbor_array_push(a, cbor_move(alg));
		}
		cb_put_int(m, 0x0a, a);
		cb_put_int(m, 0x0c, cbor_build_bool(false));	/* forcePINChange */
		cb_put_int(m, 0x0d, cb_int(4));			/* minPINLength */
		cb_put_int(m, 0x0e, cb_int(0x010000));
		cb_put_int(m, 0x14, cb_int(SIM_MAX_RK - (int64_t)s->st.n_rk));
	}
	*reply = m;
	return CTAP2_OK;
}

static bool
get_bytes(const cbor_item_t *it, size_t want, const uint8_t **p)
{
	if (!cb_is_bytes(it) || (want && cbor_bytestring_length(it) != want))
		return false;
	*p = cbor_bytestring_handle(it);
	return true;
}

/* options map: absent keys keep their defaults. */
static int
get_opt(const cbor_item_t *opts, const char *name, bool *val)
{
	const cbor_item_t *v;

	if (opts == NULL)
		return 0;
	if (!cbor_isa_map(opts))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if ((v = cb_map_str(opts, name)) == NULL)
		return 0;
	if (!cbor_is_bool(v))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	*val = cbor_get_bool(v);
	return 0;
}

/* pinUvAuthParam handling shared by MakeCredential and GetAssertion:
 * returns 0 with *uv set, or a CTAP2 error. */
static int
check_pin_auth(struct cmd_ctx *x, const cbor_item_t *param, const cbor_item_t *proto,
	const uint8_t cdh[32], uint8_t perm, const char *rp_id, bool *uv)
{
	struct sim *s = x->s;
	int64_t p = 0;
	int r;

	*uv = false;
	if (param == NULL)
		return 0;
	if (!cb_is_bytes(param))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (cbor_bytestring_length(param) == 0) {
		/* libfido2's "touch" probe: wait for a touch, then say why not */
		if ((r = sim_conn_user_presence(x->c)) != 0)
			return r;
		return s->st.pin_set ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET;
	}
	if (proto == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!cb_get_int(proto, &p))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if ((r = sim_pin_verify_auth(s, p, param, cdh, 32, perm, rp_id)) != 0)
		return r;
	*uv = true;
	return 0;
}

/* Names are kept to 64 bytes (CTAP allows truncation), cut at a UTF-8
 * character boundary. */
static char *
name_dup(const cbor_item_t *it)
{
	char *n = cb_strdup(it);
	size_t len;

	if (n == NULL)
		return strdup("");
	if ((len = strlen(n)) > 64) {
		len = 64;
		while (len > 0 && ((unsigned char)n[len] & 0xc0) == 0x80)
			len--;
		n[len] = '\0';
	}
	return n;
}

static int
store_rk(struct sim *s, const uint8_t *id, size_t id_len, int alg, int prot,
	const char *rp_id, const cbor_item_t *rp, const cbor_item_t *user)
{
	const cbor_item_t *uid = cb_map_str(user, "id");
	struct sim_rk rk, *slot = NULL;

	memset(&rk, 0, sizeof(rk));
	if (!cb_is_bytes(uid) || cbor_bytestring_length(uid) > sizeof(rk.user_id))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	memcpy(rk.id, id, id_len);
	rk.id_len = id_len;
	rk.alg = alg;
	rk.prot = prot;
	rk.user_id_len = cbor_bytestring_length(uid);
	memcpy(rk.user_id, cbor_bytestring_handle(uid), rk.user_id_len);
	rk.rp_id = strdup(rp_id);
	rk.rp_name = name_dup(cb_map_str(rp, "name"));
	rk.user_name = name_dup(cb_map_str(user, "name"));
	rk.user_display = name_dup(cb_map_str(user, "displayName"));
	if (!rk.rp_id || !rk.rp_name || !rk.user_name || !rk.user_display) {
		sim_rk_free(&rk);
		return CTAP1_ERR_OTHER;
	}
	rk.created = s->st.next_serial++;
	/* The same user at the same RP replaces the old credential. */
	for (size_t i = 0; i < s->st.n_rk; i++)
		if (strcmp(s->st.rk[i].rp_id, rp_id) == 0 &&
		    s->st.rk[i].user_id_len == rk.user_id_len &&
		    memcmp(s->st.rk[i].user_id, rk.user_id, rk.user_id_len) == 0) {
			slot = &s->st.rk[i];
			sim_rk_free(slot);
		}
	if (slot == NULL) {
		if (s->st.n_rk >= SIM_MAX_RK) {
			sim_rk_free(&rk);
			return CTAP2_ERR_KEY_STORE_FULL;
		}
		slot = &s->st.rk[s->st.n_rk++];
	}
	*slot = rk;
	s->rk_gen++;
	return 0;
}

static int
make_credential(struct cmd_ctx *x, const cbor_item_t *req, cbor_item_t **reply)
{
	struct sim *s = x->s;
	const cbor_item_t *rp = cb_map_int(req, 2), *user = cb_map_int(req, 3);
	const cbor_item_t *params = cb_map_int(req, 4), *excl = cb_map_int(req, 5);
	const cbor_item_t *ext = cb_map_int(req, 6), *opts = cb_map_int(req, 7), *v;
	const uint8_t *cdh;
	char *rp_id = NULL;
	bool rk = false, uvopt = false, upopt = true, uv = false, hs = false;
	int64_t prot = 0, alg = 0, a;
	uint8_t rpid_hash[32], id[256], *cose = NULL, ad[512], sig[160], *tbs = NULL;
	uint8_t *cert = NULL;
	size_t id_len = sizeof(id), cose_len = 0, ad_len, sig_len = sizeof(sig), tbs_len;
	enum sim_attfmt fmt;
	bool x5c_on;
	EVP_PKEY *key = NULL;
	cbor_item_t *att = NULL, *x5c, *m;
	int r;

	if (!get_bytes(cb_map_int(req, 1), 32, &cdh) || rp == NULL || user == NULL ||
	    params == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if ((rp_id = cb_strdup(cb_map_str(rp, "id"))) == NULL || !cbor_isa_array(params))
		return free(rp_id), CTAP2_ERR_MISSING_PARAMETER;
	if (strlen(rp_id) > SIM_MAX_RPID)
		return free(rp_id), CTAP1_ERR_INVALID_LENGTH;
	sim_sha256(rp_id, strlen(rp_id), rpid_hash);
	for (size_t i = 0; i < cbor_array_size(params) && alg == 0; i++) {
		cbor_item_t *p = cbor_array_handle(params)[i];
		char *type = cb_strdup(cb_map_str(p, "type"));
		if (type && strcmp(type, "public-key") == 0 &&
		    cb_get_int(cb_map_str(p, "alg"), &a) &&
		    ((a == COSE_ES256 && (s->opt.algs & SIM_ALG_ES256)) ||
		    (a == COSE_EDDSA && (s->opt.algs & SIM_ALG_EDDSA) &&
		    s->opt.att_format != SIM_ATT_U2F)))	/* U2F: P-256 only */
			alg = a;
		free(type);
	}
	r = CTAP2_ERR_UNSUPPORTED_ALGORITHM;
	if (alg == 0)
		goto out;
	if ((r = get_opt(opts, "rk", &rk)) || (r = get_opt(opts, "uv", &uvopt)) ||
	    (r = get_opt(opts, "up", &upopt)))
		goto out;
	r = s->opt.ctap20 ? CTAP2_ERR_UNSUPPORTED_OPTION : CTAP2_ERR_INVALID_OPTION;
	if (uvopt || !upopt)
		goto out;	/* no built-in user verification; UP is always taken */
	r = CTAP2_ERR_UNSUPPORTED_OPTION;
	if (rk && s->opt.no_rk)
		goto out;
	if (ext != NULL && (v = cb_map_str(ext, "credProtect")) != NULL) {
		r = CTAP2_ERR_INVALID_OPTION;
		if (!cb_get_int(v, &prot) || prot < 1 || prot > 3)
			goto out;
	}
	if (ext != NULL && (v = cb_map_str(ext, "hmac-secret")) != NULL) {
		r = CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
		if (!cbor_is_bool(v))
			goto out;
		hs = cbor_get_bool(v);
	}
	if ((r = check_pin_auth(x, cb_map_int(req, 8), cb_map_int(req, 9), cdh, 0x01,
	    rp_id, &uv)) != 0)
		goto out;
	r = CTAP2_ERR_PUAT_REQUIRED;
	if (!uv && s->st.pin_set && (s->opt.ctap20 || rk || prot == 3))
		goto out;
	if (excl != NULL && cbor_isa_array(excl)) {
		for (size_t i = 0; i < cbor_array_size(excl); i++) {
			const uint8_t *eid;
			int ealg, eprot;
			EVP_PKEY *k;
			v = cb_map_str(cbor_array_handle(excl)[i], "id");
			if (!get_bytes(v, 0, &eid))
				continue;
			k = sim_credid_unwrap(s, eid, cbor_bytestring_length(v), rpid_hash,
			    &ealg, &eprot);
			if (k == NULL)
				continue;
			EVP_PKEY_free(k);
			if ((r = sim_conn_user_presence(x->c)) == 0)
				r = CTAP2_ERR_CREDENTIAL_EXCLUDED;
			goto out;
		}
	}
	if ((r = sim_conn_user_presence(x->c)) != 0)
		goto out;
	r = CTAP1_ERR_OTHER;
	if ((key = sim_key_new((int)alg)) == NULL ||
	    sim_credid_wrap(s, key, (int)alg, (prot ? (int)prot : 1) | (hs ? SIM_PROT_HMAC : 0),
	    rk, rpid_hash, id, &id_len) != 0 ||
	    sim_key_cose(key, (int)alg, &cose, &cose_len) != 0)
		goto out;
	if (rk && (r = store_rk(s, id, id_len, (int)alg, prot ? (int)prot : 1, rp_id, rp,
	    user)) != 0)
		goto out;
	r = CTAP1_ERR_OTHER;	/* for every failure below */
	s->st.counter++;
	/* authData: rpIdHash | flags | signCount | aaguid | L | credId | COSE [| ext] */
	memcpy(ad, rpid_hash, 32);
	ad[32] = AD_UP | AD_AT | (uv ? AD_UV : 0) | (prot || hs ? AD_ED : 0);
	put_be32(ad + 33, s->st.counter);
	memcpy(ad + 37, s->opt.aaguid, 16);
	ad[53] = (uint8_t)(id_len >> 8);
	ad[54] = (uint8_t)id_len;
	memcpy(ad + 55, id, id_len);
	ad_len = 55 + id_len;
	memcpy(ad + ad_len, cose, cose_len);
	ad_len += cose_len;
	if (prot || hs) {
		uint8_t *e = NULL;
		size_t n;
		m = cbor_new_indefinite_map();
		if (prot)
			cb_put_str(m, "credProtect", cb_int(prot));
		if (hs)
			cb_put_str(m, "hmac-secret", cbor_build_bool(true));
		n = cb_serialize(m, &e);
		cbor_decref(&m);
		if (n == 0 || ad_len + n > sizeof(ad)) {
			free(e);
			goto out;
		}
		memcpy(ad + ad_len, e, n);
		ad_len += n;
		free(e);
	}
	if (sim_state_save(s) != 0)
		goto out;
	fmt = s->opt.att_format;
	if (fmt == SIM_ATT_U2F) {
		/* FIDO U2F registration: 00 | rpIdHash | clientDataHash | credId | 04|x|y */
		uint8_t pub[65];
		size_t pl = 0;
		if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub,
		    sizeof(pub), &pl) != 1 || pl != 65 || pub[0] != 0x04)
			goto out;
		tbs_len = 1 + 32 + 32 + id_len + 65;
		if ((tbs = malloc(tbs_len)) == NULL)
			goto out;
		tbs[0] = 0x00;
		memcpy(tbs + 1, rpid_hash, 32);
		memcpy(tbs + 33, cdh, 32);
		memcpy(tbs + 65, id, id_len);
		memcpy(tbs + 65 + id_len, pub, 65);
	} else {
		tbs_len = ad_len + 32;
		if ((tbs = malloc(tbs_len)) == NULL)
			goto out;
		memcpy(tbs, ad, ad_len);
		memcpy(tbs + ad_len, cdh, 32);
	}
	/* self attestation: signed by the new credential's own key */
	if (fmt != SIM_ATT_NONE && sim_key_sign(fmt == SIM_ATT_SELF ? key : s->att_key,
	    fmt == SIM_ATT_SELF ? (int)alg : COSE_ES256, tbs, tbs_len, sig, &sig_len) != 0)
		goto out;
	x5c_on = fmt == SIM_ATT_PACKED || fmt == SIM_ATT_U2F;
	if ((cert = malloc(s->att_cert_len)) == NULL)
		goto out;
	memcpy(cert, s->att_cert, s->att_cert_len);
	switch (s->opt.corrupt) {
	case SIM_CORRUPT_SIG:
		if (fmt != SIM_ATT_NONE)
			sig[sig_len - 1] ^= 0x01;
		break;
	case SIM_CORRUPT_AUTHDATA:
		ad[36] ^= 0x01;	/* signCount, after signing */
		break;
	case SIM_CORRUPT_CERT: {
		/* flip a byte of the attested public key inside the certificate */
		uint8_t pub[65];
		size_t pl = 0;
		EVP_PKEY_get_octet_string_param(s->att_key, "encoded-pub-key", pub,
		    sizeof(pub), &pl);
		for (size_t i = 0; pl == 65 && i + pl <= s->att_cert_len; i++)
			if (memcmp(cert + i, pub, pl) == 0) {
				cert[i + 40] ^= 0x01;
				break;
			}
		break;
	}
	default:
		break;	/* the leaf-* corruptions are in the certificate itself */
	}
	att = cbor_new_indefinite_map();
	if (fmt == SIM_ATT_PACKED || fmt == SIM_ATT_SELF)
		cb_put_str(att, "alg", cb_int(fmt == SIM_ATT_SELF ? alg : COSE_ES256));
	if (fmt != SIM_ATT_NONE)
		cb_put_str(att, "sig", cb_bytes(sig, sig_len));
	if (x5c_on) {
		x5c = cbor_new_definite_array(1);
		cbor_array_push(x5c, cbor_move(cb_bytes(cert, s->att_cert_len)));
		cb_put_str(att, "x5c", x5c);
	}
	m = cbor_new_indefinite_map();
	cb_put_int(m, 1, cb_text(fmt == SIM_ATT_NONE ? "none" : fmt == SIM_ATT_U2F ?
	    "fido-u2f" : "packed"));
	cb_put_int(m, 2, cb_bytes(ad, ad_len));
	cb_put_int(m, 3, att);
	att = NULL;
	*reply = m;
	snprintf(x->detail, sizeof(x->detail), " alg=%d rk=%d prot=%d uv=%d hmac-secret=%d fmt=%s rp=%s",
	    (int)alg, rk, (int)prot, uv, hs, fmt == SIM_ATT_NONE ? "none" : fmt == SIM_ATT_U2F ?
	    "fido-u2f" : fmt == SIM_ATT_SELF ? "self" : "packed", rp_id);
	r = 0;
out:
	if (r != 0)
		snprintf(x->detail, sizeof(x->detail), " rp=%s", rp_id ? rp_id : "?");
	EVP_PKEY_free(key);
	free(rp_id);
	free(cose);
	free(tbs);
	free(cert);
	OPENSSL_cleanse(id, sizeof(id));
	return r;
}

/* One assertion: authData (with the hmac-secret output when asked for and
 * the credential has it), signature, credential, user. */
static int
assertion(struct sim *s, EVP_PKEY *key, int alg, int prot, const uint8_t *id, size_t id_len,
	const struct sim_rk *rk, const uint8_t rpid_hash[32], const uint8_t cdh[32],
	uint8_t flags, size_t total, cbor_item_t **reply)
{
	uint8_t tbs[37 + 200 + 32], sig[160], *e = NULL;
	size_t sig_len = sizeof(sig), ad_len = 37, n = 0;
	cbor_item_t *m, *c, *u, *hs = NULL;

	if (s->sess.hs_active && (prot & SIM_PROT_HMAC) &&
	    (hs = sim_hs_output(s, id, id_len, (flags & AD_UV) != 0)) != NULL) {
		m = cbor_new_indefinite_map();
		cb_put_str(m, "hmac-secret", hs);
		n = cb_serialize(m, &e);
		cbor_decref(&m);
		if (n == 0 || n > 200) {
			free(e);
			return CTAP1_ERR_OTHER;
		}
		flags |= AD_ED;
	}
	s->st.counter++;
	if (sim_state_save(s) != 0) {
		free(e);
		return CTAP1_ERR_OTHER;
	}
	memcpy(tbs, rpid_hash, 32);
	tbs[32] = flags;
	put_be32(tbs + 33, s->st.counter);
	if (n) {
		memcpy(tbs + 37, e, n);
		ad_len += n;
	}
	free(e);
	memcpy(tbs + ad_len, cdh, 32);
	if (sim_key_sign(key, alg, tbs, ad_len + 32, sig, &sig_len) != 0)
		return CTAP1_ERR_OTHER;
	m = cbor_new_indefinite_map();
	c = cbor_new_indefinite_map();
	cb_put_str(c, "id", cb_bytes(id, id_len));
	cb_put_str(c, "type", cb_text("public-key"));
	cb_put_int(m, 1, c);
	cb_put_int(m, 2, cb_bytes(tbs, ad_len));
	cb_put_int(m, 3, cb_bytes(sig, sig_len));
	if (rk != NULL) {
		u = cbor_new_indefinite_map();
		cb_put_str(u, "id", cb_bytes(rk->user_id, rk->user_id_len));
		if (flags & AD_UV) {
			if (rk->user_name[0])
				cb_put_str(u, "name", cb_text(rk->user_name));
			if (rk->user_display[0])
				cb_put_str(u, "displayName", cb_text(rk->user_display));
		}
		cb_put_int(m, 4, u);
	}
	if (total > 1)
		cb_put_int(m, 5, cb_int((int64_t)total));
	*reply = m;
	return 0;
}

static const struct sim_rk *
rk_by_id(const struct sim *s, const uint8_t *id, size_t len)
{
	for (size_t i = 0; i < s->st.n_rk; i++)
		if (s->st.rk[i].id_len == len && memcmp(s->st.rk[i].id, id, len) == 0)
			return &s->st.rk[i];
	return NULL;
}

static int
rk_assertion(struct sim *s, size_t idx, size_t total, cbor_item_t **reply)
{
	const struct sim_rk *rk = &s->st.rk[idx];
	uint8_t h[32];
	int alg, prot, r;
	EVP_PKEY *key;

	sim_sha256(rk->rp_id, strlen(rk->rp_id), h);
	if ((key = sim_credid_unwrap(s, rk->id, rk->id_len, h, &alg, &prot)) == NULL)
		return CTAP1_ERR_OTHER;
	r = assertion(s, key, alg, prot, rk->id, rk->id_len, rk, h, s->sess.pending_cdh,
	    s->sess.pending_flags, total, reply);
	EVP_PKEY_free(key);
	return r;
}

static int
get_assertion(struct cmd_ctx *x, const cbor_item_t *req, cbor_item_t **reply)
{
	struct sim *s = x->s;
	const cbor_item_t *allow = cb_map_int(req, 3), *opts = cb_map_int(req, 5);
	const cbor_item_t *ext = cb_map_int(req, 4), *v;
	const uint8_t *cdh;
	char *rp_id = NULL;
	bool up = true, uvopt = false, uv = false;
	uint8_t rpid_hash[32];
	EVP_PKEY *key = NULL;
	const uint8_t *id = NULL;
	size_t id_len = 0, n = 0;
	int alg = 0, prot = 0, r;

	if ((rp_id = cb_strdup(cb_map_int(req, 1))) == NULL ||
	    !get_bytes(cb_map_int(req, 2), 32, &cdh))
		return free(rp_id), CTAP2_ERR_MISSING_PARAMETER;
	if (strlen(rp_id) > SIM_MAX_RPID)
		return free(rp_id), CTAP1_ERR_INVALID_LENGTH;
	sim_sha256(rp_id, strlen(rp_id), rpid_hash);
	if ((r = get_opt(opts, "up", &up)) || (r = get_opt(opts, "uv", &uvopt)))
		goto out;
	r = s->opt.ctap20 ? CTAP2_ERR_UNSUPPORTED_OPTION : CTAP2_ERR_INVALID_OPTION;
	if (uvopt)
		goto out;
	if ((r = check_pin_auth(x, cb_map_int(req, 6), cb_map_int(req, 7), cdh, 0x02, rp_id,
	    &uv)) != 0)
		goto out;
	s->sess.hs_active = false;
	if (ext != NULL && (v = cb_map_str(ext, "hmac-secret")) != NULL &&
	    (r = sim_hs_begin(s, v)) != 0)
		goto out;
	if (allow != NULL && cbor_isa_array(allow) && cbor_array_size(allow) > 0) {
		for (size_t i = 0; i < cbor_array_size(allow) && key == NULL; i++) {
			v = cb_map_str(cbor_array_handle(allow)[i], "id");
			if (!get_bytes(v, 0, &id))
				continue;
			id_len = cbor_bytestring_length(v);
			key = sim_credid_unwrap(s, id, id_len, rpid_hash, &alg, &prot);
			if (key != NULL && (prot & 3) == 3 && !uv) {
				EVP_PKEY_free(key);
				key = NULL;
			}
		}
	} else {
		/* discoverable credentials of this RP, newest first */
		for (size_t i = s->st.n_rk; i-- > 0;) {
			const struct sim_rk *rk = &s->st.rk[i];
			if (strcmp(rk->rp_id, rp_id) != 0 || (rk->prot >= 2 && !uv))
				continue;
			s->sess.pending_idx[n++] = i;
		}
		/* stable order by creation, newest first */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && s->st.rk[s->sess.pending_idx[j]].created >
			    s->st.rk[s->sess.pending_idx[j - 1]].created; j--) {
				size_t t = s->sess.pending_idx[j];
				s->sess.pending_idx[j] = s->sess.pending_idx[j - 1];
				s->sess.pending_idx[j - 1] = t;
			}
	}
	r = CTAP2_ERR_NO_CREDENTIALS;
	if (key == NULL && n == 0)
		goto out;
	if (up && (r = sim_conn_user_presence(x->c)) != 0)
		goto out;
	memcpy(s->sess.pending_cdh, cdh, 32);
	s->sess.pending_flags = (up ? AD_UP : 0) | (uv ? AD_UV : 0);
	if (key != NULL) {
		r = assertion(s, key, alg, prot, id, id_len, rk_by_id(s, id, id_len), rpid_hash,
		    cdh, s->sess.pending_flags, 1, reply);
	} else {
		r = rk_assertion(s, s->sess.pending_idx[0], n, reply);
		if (r == 0 && n > 1) {
			s->sess.pending_kind = CTAP_CBOR_NEXT_ASSERT;
			s->sess.pending_gen = s->rk_gen;
			s->sess.pending_n = n;
			s->sess.pending_pos = 1;
		}
	}
out:
	snprintf(x->detail, sizeof(x->detail), " rp=%s up=%d uv=%d allow=%zu found=%zu%s",
	    rp_id ? rp_id : "?", up, uv, allow && cbor_isa_array(allow) ?
	    cbor_array_size(allow) : 0, key ? 1 : n, s->sess.hs_active ? " hmac-secret" : "");
	EVP_PKEY_free(key);
	free(rp_id);
	return r;
}

static int
reset(struct cmd_ctx *x)
{
	struct sim *s = x->s;
	long since = sim_now_ms() - s->start_ms;
	int r;

	/* Real keys take Reset only within ~10 s of power-up. */
	if (s->opt.reset_window_ms >= 0 && since > s->opt.reset_window_ms) {
		snprintf(x->detail, sizeof(x->detail), " %ld ms after start, window %ld ms",
		    since, s->opt.reset_window_ms);
		return CTAP2_ERR_NOT_ALLOWED;
	}
	if ((r = sim_conn_user_presence(x->c)) != 0)
		return r;
	for (size_t i = 0; i < s->st.n_rk; i++)
		sim_rk_free(&s->st.rk[i]);
	s->st.n_rk = 0;
	s->rk_gen++;
	s->st.pin_set = false;
	OPENSSL_cleanse(s->st.pin_hash, sizeof(s->st.pin_hash));
	s->st.pin_len = 0;
	s->st.pin_retries = SIM_PIN_RETRIES;
	s->pin_fail_streak = 0;
	if (sim_random(s->st.master, sizeof(s->st.master)) != 0)
		return CTAP1_ERR_OTHER;
	sim_pin_reset_volatile(s);
	s->token_epoch++;
	return sim_state_save(s) == 0 ? 0 : CTAP1_ERR_OTHER;
}

static const char *
cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case CTAP_CBOR_MAKECRED: return "makeCredential";
	case CTAP_CBOR_ASSERT: return "getAssertion";
	case CTAP_CBOR_GETINFO: return "getInfo";
	case CTAP_CBOR_CLIENT_PIN: return "clientPIN";
	case CTAP_CBOR_RESET: return "reset";
	case CTAP_CBOR_NEXT_ASSERT: return "getNextAssertion";
	case CTAP_CBOR_CRED_MGMT: return "credentialManagement";
	case CTAP_CBOR_CRED_MGMT_PRE: return "credentialManagementPreview";
	default: return "unknown";
	}
}

size_t
sim_ctap2(struct sim *s, struct sim_conn *c, const uint8_t *req, size_t len,
	uint8_t *out, size_t cap)
{
	struct cmd_ctx x = { .s = s, .c = c };
	struct cbor_load_result res;
	cbor_item_t *params = NULL, *reply = NULL;
	uint8_t cmd = req[0];
	int kind = s->sess.pending_kind, r;
	size_t n;

	if (len > 1) {
		if (!cb_well_formed(req + 1, len - 1)) {
			r = CTAP2_ERR_INVALID_CBOR;
			goto done;
		}
		params = cbor_load(req + 1, len - 1, &res);
		if (params == NULL || res.read != len - 1 || !cbor_isa_map(params)) {
			r = CTAP2_ERR_INVALID_CBOR;
			goto done;
		}
	}
	if (cmd != CTAP_CBOR_NEXT_ASSERT && cmd != CTAP_CBOR_CRED_MGMT &&
	    cmd != CTAP_CBOR_CRED_MGMT_PRE)
		s->sess.pending_kind = 0;
	switch (cmd) {
	case CTAP_CBOR_GETINFO:
		r = getinfo(s, &reply);
		break;
	case CTAP_CBOR_MAKECRED:
		r = params ? make_credential(&x, params, &reply) : CTAP2_ERR_MISSING_PARAMETER;
		break;
	case CTAP_CBOR_ASSERT:
		r = params ? get_assertion(&x, params, &reply) : CTAP2_ERR_MISSING_PARAMETER;
		break;
	case CTAP_CBOR_NEXT_ASSERT:
		s->sess.pending_kind = 0;
		r = CTAP2_ERR_NOT_ALLOWED;
		if (kind == CTAP_CBOR_NEXT_ASSERT && s->sess.pending_pos < s->sess.pending_n &&
		    s->sess.pending_gen == s->rk_gen) {
			r = rk_assertion(s, s->sess.pending_idx[s->sess.pending_pos++], 0, &reply);
			if (s->sess.pending_pos < s->sess.pending_n)
				s->sess.pending_kind = kind;
		}
		break;
	case CTAP_CBOR_CLIENT_PIN:
		r = params ? sim_clientpin(s, params, &reply) : CTAP2_ERR_MISSING_PARAMETER;
		if (params) {
			int64_t sub = 0, p = 0;
			cb_get_int(cb_map_int(params, 2), &sub);
			cb_get_int(cb_map_int(params, 1), &p);
			snprintf(x.detail, sizeof(x.detail), " sub=0x%02x protocol=%d",
			    (unsigned)sub, (int)p);
		}
		break;
	case CTAP_CBOR_RESET:
		r = reset(&x);
		break;
	case CTAP_CBOR_CRED_MGMT:
	case CTAP_CBOR_CRED_MGMT_PRE:
		/* libfido2 1.12 sends the preview byte 0x41 whatever the device
		 * advertises (credMgmt or credentialMgmtPreview): take both. */
		r = params ? sim_credman(s, params, &reply) : CTAP2_ERR_MISSING_PARAMETER;
		if (params) {
			int64_t sub = 0;
			cb_get_int(cb_map_int(params, 1), &sub);
			snprintf(x.detail, sizeof(x.detail), " sub=0x%02x", (unsigned)sub);
		}
		break;
	default:
		r = CTAP1_ERR_INVALID_COMMAND;
		break;
	}
done:
	if (s->sess.pending_kind != CTAP_CBOR_NEXT_ASSERT && s->sess.hs_active) {
		s->sess.hs_active = false;	/* the shared secret lives one assertion run */
		OPENSSL_cleanse(s->sess.hs_key, sizeof(s->sess.hs_key));
		OPENSSL_cleanse(s->sess.hs_salt, sizeof(s->sess.hs_salt));
	}
	sim_log(s, "ctap2 cmd=0x%02x %s status=0x%02x%s", cmd, cmd_name(cmd), r, x.detail);
	if (r != 0 && reply != NULL)
		cbor_decref(&reply);
	n = cb_reply((uint8_t)r, r == 0 ? reply : NULL, out, cap);
	if (reply)
		cbor_decref(&reply);
	if (params)
		cbor_decref(&params);
	return n;
}
