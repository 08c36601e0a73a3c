/* hwkey-fido2sim: a software FIDO2 authenticator (test equipment) that speaks
 * CTAPHID over a Unix stream socket and CTAP2 to real libfido2. Shared types. */
#ifndef HK_FIDO2SIM_H
#define HK_FIDO2SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>
#include <openssl/evp.h>

/* CTAP2 status codes the simulator returns. */
#define CTAP2_OK			0x00
#define CTAP1_ERR_INVALID_COMMAND	0x01
#define CTAP1_ERR_INVALID_PARAMETER	0x02
#define CTAP1_ERR_INVALID_LENGTH	0x03
#define CTAP1_ERR_INVALID_SEQ		0x04
#define CTAP1_ERR_TIMEOUT		0x05
#define CTAP1_ERR_CHANNEL_BUSY		0x06
#define CTAP1_ERR_INVALID_CHANNEL	0x0b
#define CTAP2_ERR_CBOR_UNEXPECTED_TYPE	0x11
#define CTAP2_ERR_INVALID_CBOR		0x12
#define CTAP2_ERR_MISSING_PARAMETER	0x14
#define CTAP2_ERR_CREDENTIAL_EXCLUDED	0x19
#define CTAP2_ERR_UNSUPPORTED_ALGORITHM	0x26
#define CTAP2_ERR_OPERATION_DENIED	0x27
#define CTAP2_ERR_KEY_STORE_FULL	0x28
#define CTAP2_ERR_UNSUPPORTED_OPTION	0x2b
#define CTAP2_ERR_INVALID_OPTION	0x2c
#define CTAP2_ERR_KEEPALIVE_CANCEL	0x2d
#define CTAP2_ERR_NO_CREDENTIALS	0x2e
#define CTAP2_ERR_USER_ACTION_TIMEOUT	0x2f
#define CTAP2_ERR_NOT_ALLOWED		0x30
#define CTAP2_ERR_PIN_INVALID		0x31
#define CTAP2_ERR_PIN_BLOCKED		0x32
#define CTAP2_ERR_PIN_AUTH_INVALID	0x33
#define CTAP2_ERR_PIN_AUTH_BLOCKED	0x34
#define CTAP2_ERR_PIN_NOT_SET		0x35
#define CTAP2_ERR_PUAT_REQUIRED		0x36
#define CTAP2_ERR_PIN_POLICY_VIOLATION	0x37
#define CTAP2_ERR_UNAUTHORIZED_PERMISSION 0x40
#define CTAP1_ERR_OTHER			0x7f

/* CTAP2 command bytes. */
#define CTAP_CBOR_MAKECRED	0x01
#define CTAP_CBOR_ASSERT	0x02
#define CTAP_CBOR_GETINFO	0x04
#define CTAP_CBOR_CLIENT_PIN	0x06
#define CTAP_CBOR_RESET		0x07
#define CTAP_CBOR_NEXT_ASSERT	0x08
#define CTAP_CBOR_CRED_MGMT	0x0a
#define CTAP_CBOR_CRED_MGMT_PRE	0x41

#define COSE_ES256	(-7)
#define COSE_EDDSA	(-8)
#define COSE_ECDH_ES256	(-25)

#define SIM_ALG_ES256	0x01	/* --algorithms bits */
#define SIM_ALG_EDDSA	0x02

#define SIM_PROT_HMAC	0x40	/* with credProtect in a credential id: hmac-secret on */
#define SIM_MAX_RK	25	/* discoverable credential slots */
#define SIM_MAX_RPID	255	/* longest rp id kept (fits the state file's records) */
#define SIM_PIN_RETRIES	8
#define SIM_MAX_MSG	7609	/* 57 + 128 * 59: the CTAPHID maximum */

enum sim_touch { SIM_TOUCH_APPROVE, SIM_TOUCH_DENY, SIM_TOUCH_TIMEOUT };
enum sim_corrupt { SIM_CORRUPT_NONE, SIM_CORRUPT_SIG, SIM_CORRUPT_AUTHDATA,
	SIM_CORRUPT_CERT,
	/* a leaf, validly signed by the CA, that breaks a FIDO requirement */
	SIM_CORRUPT_LEAF_OU, SIM_CORRUPT_LEAF_CA, SIM_CORRUPT_LEAF_AAGUID };
enum sim_attfmt { SIM_ATT_PACKED, SIM_ATT_SELF, SIM_ATT_NONE, SIM_ATT_U2F };

struct sim_options {
	const char *socket_path;
	const char *state_path;
	const char *ca_dir;
	const char *log_path;
	enum sim_touch touch;
	int touch_delay_ms;
	int touch_timeout_ms;
	bool no_rk;
	int algs;		/* --algorithms: SIM_ALG_ES256 | SIM_ALG_EDDSA */
	int publish_delay_ms;	/* --publish-delay: between bind and listen */
	long reset_window_ms;	/* --reset-window: -1 = Reset always allowed */
	bool streak_per_conn;	/* --pin-streak-per-connection: connect ends the lock */
	bool ctap20;		/* advertise FIDO_2_0 + 2.1-PRE instead of FIDO_2_1 */
	int pin_protocols;	/* bit 0: protocol 1, bit 1: protocol 2 */
	uint8_t aaguid[16];
	enum sim_corrupt corrupt;
	enum sim_attfmt att_format;	/* --attestation-format */
	char preset_pin[64];	/* --pin / --pin-file: used only for a new state */
	size_t preset_pin_len;
};

/* A discoverable credential, as kept in the state file. */
struct sim_rk {
	uint8_t id[256];
	size_t id_len;
	int alg;
	int prot;		/* credProtect level 1..3 */
	char *rp_id;
	char *rp_name;
	uint8_t user_id[64];
	size_t user_id_len;
	char *user_name;
	char *user_display;
	uint64_t created;	/* order of creation, for stable enumeration */
};

struct sim_state {
	uint8_t master[32];	/* wraps credential ids */
	bool pin_set;
	uint8_t pin_hash[16];	/* LEFT(SHA-256(PIN), 16) */
	size_t pin_len;
	int pin_retries;
	uint32_t counter;
	uint64_t next_serial;
	struct sim_rk rk[SIM_MAX_RK];
	size_t n_rk;
};

/* Per connection: the pinUvAuthToken and multi-step enumerations
 * (GetNextAssertion, credman Next), so that two clients cannot spoil each
 * other's token or enumeration. */
struct sim_session {
	uint8_t pin_token[32];
	bool token_valid;
	unsigned token_epoch;
	uint8_t token_perms;	/* 0xff = legacy getPinToken: everything */
	char token_rpid[256];
	int pending_kind;	/* 0 none, CTAP_CBOR_NEXT_ASSERT, 3 (rp), 5 (rk) */
	size_t pending_idx[SIM_MAX_RK];
	size_t pending_n, pending_pos;
	unsigned pending_gen;	/* sim.rk_gen when the enumeration began */
	uint8_t pending_cdh[32];
	uint8_t pending_flags;
	/* hmac-secret of the pending GetAssertion: shared secret and salts */
	bool hs_active;
	int hs_protocol;
	uint8_t hs_key[64];
	uint8_t hs_salt[64];
	size_t hs_salt_len;
};

/* The whole authenticator: options, persistent state, volatile state. */
struct sim {
	struct sim_options opt;
	struct sim_state st;
	/* volatile (lost on restart, like a power cycle) */
	EVP_PKEY *ka_key;	/* ClientPIN key agreement key */
	unsigned token_epoch;	/* bumped by PIN changes and reset: old tokens die */
	unsigned rk_gen;	/* bumped when the resident list changes: stale
				 * enumerations of other connections end */
	long start_ms;		/* CLOCK_MONOTONIC at start (power-up), for Reset */
	int pin_fail_streak;	/* consecutive wrong PINs since start (power-up) */
	/* attestation */
	EVP_PKEY *att_key;
	uint8_t *att_cert;
	size_t att_cert_len;
	/* the session of the connection being served (swapped in and out) */
	struct sim_session sess;
	int log_fd;
};

/* The transport a CTAP2 command runs over: lets it wait for a touch. */
struct sim_conn;
/* 0 when the user approved, else a CTAP2 error (denied, timeout, cancel). */
int sim_conn_user_presence(struct sim_conn *c);

/* CLOCK_MONOTONIC in milliseconds. */
long sim_now_ms(void);

/* cbor.c */
/* Exactly one well-formed item, every length within the input. */
bool cb_well_formed(const uint8_t *p, size_t n);
const cbor_item_t *cb_map_int(const cbor_item_t *map, int64_t key);
const cbor_item_t *cb_map_str(const cbor_item_t *map, const char *key);
bool cb_get_int(const cbor_item_t *it, int64_t *out);
bool cb_is_bytes(const cbor_item_t *it);
bool cb_is_text(const cbor_item_t *it);
char *cb_strdup(const cbor_item_t *it);
void cb_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *val);
void cb_put_int(cbor_item_t *map, int64_t key, cbor_item_t *val);
void cb_put_str(cbor_item_t *map, const char *key, cbor_item_t *val);
cbor_item_t *cb_int(int64_t v);
cbor_item_t *cb_bytes(const uint8_t *p, size_t n);
cbor_item_t *cb_text(const char *s);
/* Status byte + serialised map into out (cap bytes); returns length or 0. */
size_t cb_reply(uint8_t status, const cbor_item_t *map, uint8_t *out, size_t cap);
/* Serialise into a malloc'd buffer; returns length or 0. */
size_t cb_serialize(const cbor_item_t *it, uint8_t **out);

/* keys.c: credential keys and ids */
EVP_PKEY *sim_key_new(int alg);
int sim_key_cose(EVP_PKEY *key, int alg, uint8_t **out, size_t *out_len);
cbor_item_t *sim_key_cose_item(EVP_PKEY *key, int alg);
int sim_key_sign(EVP_PKEY *key, int alg, const uint8_t *msg, size_t len,
	uint8_t *sig, size_t *sig_len);
int sim_credid_wrap(const struct sim *s, EVP_PKEY *key, int alg, int prot, bool resident,
	const uint8_t rpid_hash[32], uint8_t *id, size_t *id_len);
EVP_PKEY *sim_credid_unwrap(const struct sim *s, const uint8_t *id, size_t id_len,
	const uint8_t rpid_hash[32], int *alg, int *prot);
int sim_random(uint8_t *p, size_t n);
void sim_sha256(const void *p, size_t n, uint8_t out[32]);

/* attest.c */
int sim_attest_load(struct sim *s);

/* state.c */
int sim_state_load(struct sim *s, bool *created);
int sim_state_save(const struct sim *s);
void sim_state_clear(struct sim_state *st);
void sim_rk_free(struct sim_rk *rk);

/* ctap2.c */
size_t sim_ctap2(struct sim *s, struct sim_conn *c, const uint8_t *req, size_t len,
	uint8_t *out, size_t cap);
void sim_log(const struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* clientpin.c */
int sim_clientpin(struct sim *s, const cbor_item_t *req, cbor_item_t **reply);
/* Check pinUvAuthParam over msg against the current token and permission. */
int sim_pin_verify_auth(struct sim *s, int64_t protocol, const cbor_item_t *param,
	const uint8_t *msg, size_t msg_len, uint8_t perm, const char *rp_id);
void sim_pin_reset_volatile(struct sim *s);
/* hmac-secret: read the GetAssertion input into the session, then make the
 * encrypted output for one credential. */
int sim_hs_begin(struct sim *s, const cbor_item_t *in);
cbor_item_t *sim_hs_output(struct sim *s, const uint8_t *id, size_t id_len, bool uv);

/* credman.c */
int sim_credman(struct sim *s, const cbor_item_t *req, cbor_item_t **reply);

#endif
