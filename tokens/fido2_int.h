/* Internal to the FIDO2 backend (tokens/fido2*.c, the only files that see
 * libfido2) and to the OpenSSH middleware built over it. */
#ifndef HK_FIDO2_INT_H
#define HK_FIDO2_INT_H

#include <fido.h>

#include "token_impl.h"

/* Device names: "fido:" then a hidraw path, or "fido:unix:" then a socket. */
#define HK_FIDO2_SCHEME		"fido:"
#define HK_FIDO2_UNIX		"fido:unix:"
/* Extra fido:unix: devices `hwkey tokens` lists (colon-separated sockets). */
#define HK_FIDO2_SOCKETS_ENV	"HWKEY_FIDO_SOCKETS"

/* One open device: tok->be of a FIDO2 token. */
struct hk_fido2_tok {
	fido_dev_t *dev;
	struct hk_token_info *info;	/* owned here */
	char *name;			/* "fido:..." as selected */
	/*
	 * The device PIN once asked for (login or the first operation that
	 * needs it): FIDO2 has no session, each operation takes the PIN.
	 * Wiped on close and after the device refused it.
	 */
	struct hk_secret *pin;
};

/*
 * The PIN for an operation on tok: the one kept, else asked for through the
 * token's ui (and kept). *pinp NULL when the device has no PIN. A PIN
 * outside 4..63 bytes is refused before it can use up a retry; a blocked
 * PIN is reported without asking (tokens/fido2_pin.c).
 */
int hk_fido2_tok_pin(struct hk_token *tok, const char **pinp);
/* Forget the kept PIN (after the device refused it). */
void hk_fido2_tok_pin_forget(struct hk_token *tok);
/* Read the device's info again after it changed (PIN set, reset). */
int hk_fido2_tok_refresh(struct hk_token *tok);

/* The backend table's operations, each in its own file. */
int hk_fido2_op_login(struct hk_token *tok, enum hk_token_user who);	/* fido2_pin.c */
int hk_fido2_op_set_pin(struct hk_token *tok, enum hk_token_user who);
int hk_fido2_op_init_pin(struct hk_token *tok);
int hk_fido2_op_reset(struct hk_token *tok, const char *label);
int hk_fido2_op_list_keys(struct hk_token *tok, struct hk_token_key ***keysp,
    size_t *np);							/* fido2_cred.c */
int hk_fido2_op_find_key(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp);
int hk_fido2_op_delete_key(struct hk_token *tok, const struct hk_token_key *key);

/*
 * Before a resident keygen without --force: HK_ERR_CREDENTIAL_EXISTS when the
 * device already holds a resident key for application and user_id (compared
 * as OpenSSH does, the 32-byte zero-padded user id), as OpenSSH's
 * SSH_SK_ERR_CREDENTIAL_EXISTS. With a PIN and credential management the
 * listing is used (it sees credProtect'd keys too), else an assertion
 * without user presence. 0 when none exists or the device cannot tell.
 */
int hk_fido2_rk_exists(fido_dev_t *dev, const char *name, const char *application,
    const uint8_t *user_id, size_t user_id_len, const char *pin);

/*
 * The user of a resident key as ssh-keygen -K names its file: the user id
 * without its trailing zero bytes, as text when it is printable and has no
 * path characters, else hex; "" for the default all-zero id. Owned.
 */
char *hk_fido2_rk_user(const uint8_t *user_id, size_t len);

/*
 * Open the device named by name ("fido:/dev/hidraw3", "fido:unix:/run/x.sock")
 * through libfido2: hidraw with libfido2's own transport, unix sockets with
 * hwkey's CTAPHID-over-stream I/O (tokens/fido2_io.c). 0 or HK_ERR_*.
 */
int hk_fido2_dev_open(const char *name, fido_dev_t **devp);
void hk_fido2_dev_close(fido_dev_t **devp);	/* accepts NULL and *devp NULL */

/*
 * Read what the device says of itself into a new info (the token's URI is
 * name). 0 or HK_ERR_*.
 */
int hk_fido2_info_read(fido_dev_t *dev, const char *name, const char *product,
    const char *manufacturer, struct hk_token_info **infop);

/*
 * Every FIDO2 device reachable now: hidraw devices libfido2 finds, then the
 * sockets in $HWKEY_FIDO_SOCKETS. *namesp: "fido:..." names, NULL-terminated
 * (free with hk_strv_free); products/manufacturers likewise (""), same order.
 */
int hk_fido2_find(char ***namesp, char ***productsp, char ***manufacturersp);
/*
 * Copy len bytes of what libfido2 returned (p, valid only while its object
 * lives) into a fresh *dp (tokens/fido2.c): p NULL or len 0 leave *dp NULL
 * and *dlenp 0. 0 or HK_ERR_ALLOC.
 */
int hk_fido2_dup_bytes(uint8_t **dp, size_t *dlenp, const unsigned char *p, size_t len);
/*
 * A credential's public key as libfido2 decodes it (pk, pklen), as OpenSSH
 * keys hold it, in a fresh *dp (tokens/fido2.c): COSE_ES256's x||y (64 bytes)
 * as the SEC1 point 04||x||y, any other (EdDSA) as its 32 bytes. 0,
 * HK_ERR_ALLOC, or 1 when pk is not of that length (the caller says so).
 */
int hk_fido2_pubkey_copy(int cose_alg, const unsigned char *pk, size_t pklen,
    uint8_t **dp, size_t *dlenp);

/*
 * Map a libfido2 status to an hk error with an actionable message ("what"
 * failed on device dev); sets the thread's detail and returns the code.
 * retries: PIN retries left after a wrong PIN, or -1.
 */
int hk_fido2_err(int fr, const char *what, const char *dev, int retries);
/*
 * As hk_fido2_err, asking dev for the PIN retries left when fr is a wrong
 * PIN (tokens/fido2_cred.c).
 */
int hk_fido2_dev_err(fido_dev_t *dev, int fr, const char *what, const char *name);

/*
 * The three device operations every front end shares (the token layer's
 * hk_token_* and the OpenSSH middleware's sk_*): each in its own file.
 * pin: the device PIN or NULL; ui: touch prompt and cancel (may be NULL).
 * The application is an OpenSSH application string ("ssh:", "ssh:name").
 */

/* What to make (tokens/fido2_keygen.c). */
struct hk_fido2_cred_req {
	int cose_alg;			/* COSE_ES256 or COSE_EDDSA */
	const char *application;	/* rp id: "ssh:..." */
	const uint8_t *challenge;	/* client data libfido2 hashes; NULL: random */
	size_t challenge_len;
	const uint8_t *user_id;		/* NULL: 32 zero bytes, as OpenSSH */
	size_t user_id_len;
	const char *user_name;		/* NULL: "openssh" */
	int resident;			/* discoverable credential */
	int verify_required;		/* credProtect UV required; UV flag checked */
	int touch_required;		/* 0: OpenSSH's no-touch-required flag */
};

/* What the device made: owned, freed by hk_fido2_cred_out_clear. */
struct hk_fido2_cred_out {
	int cose_alg;
	uint8_t *pubkey;		/* ES256: 04||x||y (65); EdDSA: 32 bytes */
	size_t pubkey_len;
	uint8_t *key_handle;		/* the credential id */
	size_t key_handle_len;
	uint8_t sk_flags;		/* OpenSSH key flags (0x01 UP, 0x04 UV, 0x20 RK) */
	char *fmt;			/* attestation format: "packed", ... */
	uint8_t *signature;		/* attestation signature */
	size_t signature_len;
	uint8_t *x5c;			/* attestation certificate (DER), NULL: self */
	size_t x5c_len;
	uint8_t *authdata;		/* CBOR-encoded authData (as OpenSSH keeps it) */
	size_t authdata_len;
	uint8_t *challenge;		/* the client data used (as given or random) */
	size_t challenge_len;
	uint8_t aaguid[16];
};
/*
 * Make the credential as OpenSSH's sk_enroll does. pin NULL: none is sent
 * (a device with a PIN then answers HK_ERR_PIN_REQUIRED and the caller asks
 * and calls again; verify_required without a PIN needs built-in UV, else
 * HK_ERR_PIN_REQUIRED at once). HK_ERR_NOT_SUPPORTED when resident or
 * verify_required and the device lacks credProtect. The touch prompt goes to
 * ui before the device waits; ui->cancelled is checked before and, while the
 * device waits, by a watcher thread that cancels the request (CTAPHID_CANCEL):
 * HK_ERR_CANCELLED.
 * The attestation is copied out, not verified: see hk_fido2_attest_verify.
 */
int hk_fido2_make_cred(fido_dev_t *dev, const char *name,
    const struct hk_fido2_cred_req *req, const char *pin, const struct hk_ui *ui,
    struct hk_fido2_cred_out *out);
void hk_fido2_cred_out_clear(struct hk_fido2_cred_out *out);

/*
 * Verify what hk_fido2_make_cred returned (tokens/fido2_attest.c, reference
 * tokens.md §12.2): authData parsed here (rp id hash of the application; UP
 * unless no touch is required; UV when verify_required; AT; the credential
 * id and COSE key equal to the key handle and public key returned), the
 * packed or fido-u2f signature over authData and SHA-256(client data) with
 * the certificate's key, and with roots the chain and the FIDO leaf rules.
 * Self attestation (packed without a certificate) and "none" prove no
 * hardware: refused unless allow_self, then proof->verified stays 0 with the
 * reason. proof is filled (kind, format, blobs, ssh-sk-attest-v01 blob,
 * AAGUID, certificate names) whatever the outcome. 0 or HK_ERR_ATTESTATION
 * with what failed.
 */
struct hk_fido2_attest_req {
	const char *application;
	int verify_required;
	int touch_required;
	const char *roots;		/* directory of trusted roots, NULL: no chain check */
	int allow_self;
};
int hk_fido2_attest_verify(const char *name, const struct hk_fido2_cred_out *out,
    const struct hk_fido2_attest_req *req, struct hk_token_proof *proof);

/*
 * The backend table's keygen (tokens/fido2_keygen.c): the PIN through the
 * token's ui when the device has one, make_cred, attestation verified
 * (a failure leaves no key: a resident credential is removed again when the
 * PIN allows), the sk key with id = key handle and sk_flags, and the proof.
 */
int hk_fido2_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp);

/* A signature for OpenSSH (tokens/fido2_assert.c). */
struct hk_fido2_sig {
	uint8_t sk_flags;		/* authenticator flags of the assertion */
	uint32_t counter;
	uint8_t *sig_r, *sig_s;		/* ECDSA r, s big-endian; EdDSA: sig in r (64) */
	size_t sig_r_len, sig_s_len;
};
/* data: the unhashed message (hashed here, as OpenSSH's middleware does). */
int hk_fido2_sign(fido_dev_t *dev, const char *name, int cose_alg,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    const uint8_t *data, size_t data_len, uint8_t sk_flags, const char *pin,
    const struct hk_ui *ui, struct hk_fido2_sig *out);
void hk_fido2_sig_clear(struct hk_fido2_sig *sig);

/* Resident credentials (tokens/fido2_cred.c): every ssh: one, with the PIN. */
struct hk_fido2_rk {
	int cose_alg;
	char *application;
	uint8_t *pubkey;		/* as in hk_fido2_cred_out */
	size_t pubkey_len;
	uint8_t *key_handle;
	size_t key_handle_len;
	uint8_t *user_id;
	size_t user_id_len;
	char *user_name;
	uint8_t sk_flags;		/* 0x01 | 0x20, plus 0x04 when credProtect needs UV */
	int cred_protect;
};
int hk_fido2_resident_list(fido_dev_t *dev, const char *name, const char *pin,
    struct hk_fido2_rk **rksp, size_t *np);
void hk_fido2_rks_free(struct hk_fido2_rk *rks, size_t n);

/* The CTAPHID-over-Unix-socket I/O functions libfido2 calls (fido2_io.c). */
extern const fido_dev_io_t hk_fido2_unix_io;

/* libfido2's global init, once per process (thread-safe). */
void hk_fido2_init(void);

#endif /* HK_FIDO2_INT_H */
