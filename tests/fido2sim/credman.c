/* hwkey-fido2sim: authenticatorCredentialManagement (0x0a, or 0x41 for the
 * 2.1-PRE preview): metadata, enumerate RPs and credentials, delete. */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define CM_METADATA	0x01
#define CM_RP_BEGIN	0x02
#define CM_RP_NEXT	0x03
#define CM_RK_BEGIN	0x04
#define CM_RK_NEXT	0x05
#define CM_DELETE	0x06
#define CTAP2_ERR_INVALID_SUBCOMMAND 0x3e

/* pinUvAuthParam over subCommand || subCommandParams (re-serialised: libcbor
 * writes what libfido2's libcbor wrote, minimal and definite). */
static int
check_auth(struct sim *s, uint8_t sub, const cbor_item_t *req)
{
	const cbor_item_t *params = cb_map_int(req, 2), *auth = cb_map_int(req, 4);
	uint8_t *msg = NULL, *ser = NULL;
	size_t n = 0;
	int64_t protocol = 0;
	int r;

	if (auth == NULL)
		return CTAP2_ERR_PUAT_REQUIRED;
	if (!cb_get_int(cb_map_int(req, 3), &protocol))
		return CTAP2_ERR_MISSING_PARAMETER;
	if (params != NULL && (n = cb_serialize(params, &ser)) == 0)
		return CTAP1_ERR_OTHER;
	if ((msg = malloc(n + 1)) == NULL) {
		free(ser);
		return CTAP1_ERR_OTHER;
	}
	msg[0] = sub;
	if (n)
		memcpy(msg + 1, ser, n);
	r = sim_pin_verify_auth(s, protocol, auth, msg, n + 1, 0x04, NULL);
	free(msg);
	free(ser);
	return r;
}

static void
rp_reply(struct sim *s, size_t idx, size_t total, cbor_item_t **reply)
{
	const struct sim_rk *rk = &s->st.rk[idx];
	cbor_item_t *m = cbor_new_indefinite_map(), *rp = cbor_new_indefinite_map();
	uint8_t h[32];

	cb_put_str(rp, "id", cb_text(rk->rp_id));
	if (rk->rp_name[0])
		cb_put_str(rp, "name", cb_text(rk->rp_name));
	sim_sha256(rk->rp_id, strlen(rk->rp_id), h);
	cb_put_int(m, 3, rp);
	cb_put_int(m, 4, cb_bytes(h, 32));
	if (total)
		cb_put_int(m, 5, cb_int((int64_t)total));
	*reply = m;
}

static int
rk_reply(struct sim *s, size_t idx, size_t total, cbor_item_t **reply)
{
	const struct sim_rk *rk = &s->st.rk[idx];
	cbor_item_t *m, *u, *c, *pk;
	uint8_t h[32];
	int alg, prot;
	EVP_PKEY *key;

	sim_sha256(rk->rp_id, strlen(rk->rp_id), h);
	if ((key = sim_credid_unwrap(s, rk->id, rk->id_len, h, &alg, &prot)) == NULL)
		return CTAP1_ERR_OTHER;
	pk = sim_key_cose_item(key, alg);
	EVP_PKEY_free(key);
	if (pk == NULL)
		return CTAP1_ERR_OTHER;
	m = cbor_new_indefinite_map();
	u = cbor_new_indefinite_map();
	cb_put_str(u, "id", cb_bytes(rk->user_id, rk->user_id_len));
	if (rk->user_name[0])
		cb_put_str(u, "name", cb_text(rk->user_name));
	if (rk->user_display[0])
		cb_put_str(u, "displayName", cb_text(rk->user_display));
	c = cbor_new_indefinite_map();
	cb_put_str(c, "id", cb_bytes(rk->id, rk->id_len));
	cb_put_str(c, "type", cb_text("public-key"));
	cb_put_int(m, 6, u);
	cb_put_int(m, 7, c);
	cb_put_int(m, 8, pk);
	if (total)
		cb_put_int(m, 9, cb_int((int64_t)total));
	cb_put_int(m, 10, cb_int(rk->prot));
	*reply = m;
	return 0;
}

static int
next(struct sim *s, int kind, cbor_item_t **reply)
{
	size_t idx;

	if (s->sess.pending_kind != kind || s->sess.pending_pos >= s->sess.pending_n ||
	    s->sess.pending_gen != s->rk_gen) {
		s->sess.pending_kind = 0;
		return CTAP2_ERR_NOT_ALLOWED;
	}
	idx = s->sess.pending_idx[s->sess.pending_pos++];
	if (s->sess.pending_pos >= s->sess.pending_n)
		s->sess.pending_kind = 0;
	if (kind == CM_RP_NEXT) {
		rp_reply(s, idx, 0, reply);
		return 0;
	}
	return rk_reply(s, idx, 0, reply);
}

int
sim_credman(struct sim *s, const cbor_item_t *req, cbor_item_t **reply)
{
	const cbor_item_t *params = cb_map_int(req, 2), *v;
	int64_t sub = 0;
	size_t n = 0;
	int r;

	if (!cb_get_int(cb_map_int(req, 1), &sub))
		return CTAP2_ERR_MISSING_PARAMETER;
	if (sub == CM_RP_NEXT || sub == CM_RK_NEXT)
		return next(s, (int)sub, reply);
	s->sess.pending_kind = 0;
	if (sub < CM_METADATA || sub > CM_DELETE)
		return CTAP2_ERR_INVALID_SUBCOMMAND;
	if ((r = check_auth(s, (uint8_t)sub, req)) != 0)
		return r;
	switch (sub) {
	case CM_METADATA: {
		cbor_item_t *m = cbor_new_indefinite_map();
		cb_put_int(m, 1, cb_int((int64_t)s->st.n_rk));
		cb_put_int(m, 2, cb_int(SIM_MAX_RK - (int64_t)s->st.n_rk));
		*reply = m;
		return 0;
	}
	case CM_RP_BEGIN:
		/* one entry per RP id, in order of its first credential */
		for (size_t i = 0; i < s->st.n_rk; i++) {
			bool seen = false;
			for (size_t j = 0; j < n; j++)
				if (strcmp(s->st.rk[s->sess.pending_idx[j]].rp_id, s->st.rk[i].rp_id) == 0)
					seen = true;
			if (!seen)
				s->sess.pending_idx[n++] = i;
		}
		if (n == 0)
			return CTAP2_ERR_NO_CREDENTIALS;
		rp_reply(s, s->sess.pending_idx[0], n, reply);
		break;
	case CM_RK_BEGIN:
		v = cb_map_int(params, 1);
		if (!cb_is_bytes(v) || cbor_bytestring_length(v) != 32)
			return CTAP2_ERR_MISSING_PARAMETER;
		for (size_t i = 0; i < s->st.n_rk; i++) {
			uint8_t h[32];
			sim_sha256(s->st.rk[i].rp_id, strlen(s->st.rk[i].rp_id), h);
			if (memcmp(h, cbor_bytestring_handle(v), 32) == 0)
				s->sess.pending_idx[n++] = i;
		}
		if (n == 0)
			return CTAP2_ERR_NO_CREDENTIALS;
		if ((r = rk_reply(s, s->sess.pending_idx[0], n, reply)) != 0)
			return r;
		break;
	case CM_DELETE:
		v = cb_map_str(cb_map_int(params, 2), "id");
		if (!cb_is_bytes(v))
			return CTAP2_ERR_MISSING_PARAMETER;
		for (size_t i = 0; i < s->st.n_rk; i++) {
			struct sim_rk *rk = &s->st.rk[i];
			if (rk->id_len != cbor_bytestring_length(v) ||
			    memcmp(rk->id, cbor_bytestring_handle(v), rk->id_len) != 0)
				continue;
			sim_rk_free(rk);
			memmove(rk, rk + 1, (s->st.n_rk - i - 1) * sizeof(*rk));
			s->st.n_rk--;
			memset(&s->st.rk[s->st.n_rk], 0, sizeof(*rk));
			s->rk_gen++;
			return sim_state_save(s) == 0 ? 0 : CTAP1_ERR_OTHER;
		}
		return CTAP2_ERR_NO_CREDENTIALS;
	default:
		return CTAP2_ERR_INVALID_SUBCOMMAND;
	}
	if (n > 1) {
		s->sess.pending_kind = sub == CM_RP_BEGIN ? CM_RP_NEXT : CM_RK_NEXT;
		s->sess.pending_gen = s->rk_gen;
		s->sess.pending_n = n;
		s->sess.pending_pos = 1;
	}
	return 0;
}
