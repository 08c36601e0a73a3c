/* Inside the provisioning engine: what ops_provision.c (the run) and
 * ops_prov_status.c (what the inventory says) share. */
#ifndef HK_OPS_PROV_INT_H
#define HK_OPS_PROV_INT_H

#include "ops_provision.h"
#include "store.h"

/* Journal step words (the store keeps them as text). */
#define PROV_STATE_RUNNING	"running"
#define PROV_STATE_DONE		"done"
#define PROV_STATE_FAILED	"failed"
#define PROV_STATE_CANCELLED	"cancelled"

/* The result shell for every entry of plan (PENDING, imports per region). */
int hk_prov_result_new(const struct hk_plan *plan, struct hk_prov_result **resp);
/*
 * Fill e from the inventory's record of it: state, key id, fingerprints,
 * public key, per-region imports, the last journal row. se may be NULL
 * (never started).
 */
int hk_prov_entry_from_store(struct hk_store *st, const struct hk_store_entry *se,
    struct hk_prov_entry *e);
enum hk_prov_state hk_prov_state_from_word(const char *word);

#endif /* HK_OPS_PROV_INT_H */
