/* hk_plan: what "hwkey provision" does, as data: one entry per token (which
 * token, what key, which cloud, regions and name, the PIN's source), from a
 * plan file (JSON, with defaults) or from one command line. Checked whole
 * before anything runs: an error names the entry and the field. */
#ifndef HK_OPS_PLAN_H
#define HK_OPS_PLAN_H

#include <stddef.h>

#include "err.h"
#include "key.h"

struct hk_plan_entry {
	size_t index;			/* 0-based position in "entries" */
	char *id;			/* the entry's identity: "id", else "name" */
	char *token;			/* "pkcs11:..." or "fido:..." ("serial" becomes pkcs11:serial=) */
	enum hk_kind kind;
	char *label;			/* the key's label on the token */
	char *name;			/* the key pair name in the cloud */
	char *cloud;			/* a registered provider ("aliyun") */
	char **regions;			/* NULL-terminated */
	size_t nregions;
	char *pin;			/* a PIN source (env:VAR, file:PATH, fd:N), or NULL: ask */
	char **attach;			/* instance ids (attached in regions[0]), NULL-terminated */
	size_t nattach;
	char *person;			/* whom the token is issued to, or NULL */
	/*
	 * Security keys (ecdsa-sk, ed25519-sk on a fido: device): no cloud
	 * takes them, so cloud and regions are optional (and refused when
	 * given); the key-handle file and .pub go to output/name.
	 */
	int resident;			/* "resident": a discoverable credential */
	int verify_required;		/* "verify_required": signatures need the PIN */
	char *attestation_roots;	/* "attestation_roots": a directory, or NULL */
	char *application;		/* "application" (default "ssh:") */
	char *user;			/* "user" of a resident credential, or NULL */
	char *output;			/* "output" directory (default ".") */
};
/* 1 when the entry makes a security key on a fido: device (no cloud). */
int hk_plan_entry_is_sk(const struct hk_plan_entry *e);

struct hk_plan {
	char *path;			/* the file, or NULL for a command-line plan */
	char *id;			/* identity in the inventory: "plan" field, else the
					   file's absolute path; "" for a command-line plan */
	struct hk_plan_entry *entries;
	size_t n;
};

/*
 * Parse and check a plan (path names it in errors). Unknown fields, a PIN
 * value instead of a source, a type, cloud, name or region the provider
 * refuses, duplicate ids, names or tokens: HK_ERR_PLAN (a type or name the
 * cloud refuses: HK_ERR_CLOUD_UNSUPPORTED / HK_ERR_CLOUD_NAME) in *err with
 * file (and line for JSON syntax) and the message naming "entries[N] (id):
 * field \"F\"". HK_ERR_FORMAT_MALFORMED for what is not JSON.
 */
int hk_plan_parse(const char *path, const char *data, size_t len, struct hk_plan **planp,
    struct hk_error *err);
/* Read path (at most 4 MiB) and parse it. */
int hk_plan_load(const char *path, struct hk_plan **planp, struct hk_error *err);
/*
 * The one-token plan of "hwkey provision TOKEN --type ...": regions is
 * "R[,R...]", pin a source or NULL, attach "i-1,i-2" or NULL. Same checks,
 * HK_ERR_USAGE instead of HK_ERR_PLAN.
 */
int hk_plan_single(const char *token, const char *type, const char *label,
    const char *name, const char *cloud, const char *regions, const char *pin,
    const char *attach, struct hk_plan **planp, struct hk_error *err);
void hk_plan_free(struct hk_plan *plan);	/* accepts NULL */

#endif /* HK_OPS_PLAN_H */
