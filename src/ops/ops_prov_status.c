/* What the inventory says about a plan's entries (hwkey provision --status,
 * and the entries an earlier run finished): read-only, no token or cloud. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "ops_prov_int.h"

static void
entry_clear(struct hk_prov_entry *e)
{
	size_t i;

	for (i = 0; e->imports != NULL && i < e->nimports; i++) {
		free(e->imports[i].region);
		free(e->imports[i].cloud_fingerprint);
	}
	free(e->imports);
	free(e->serial);
	free(e->key_id);
	free(e->fingerprint);
	free(e->cloud_fingerprint_expected);
	free(e->public_key);
	free(e->key_file);
	free(e->last_step);
	free(e->last_phase);
	free(e->last_outcome);
}

void
hk_prov_result_free(struct hk_prov_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; res->entries != NULL && i < res->n; i++)
		entry_clear(&res->entries[i]);
	free(res->entries);
	free(res);
}

int
hk_prov_result_new(const struct hk_plan *plan, struct hk_prov_result **resp)
{
	struct hk_prov_result *res;
	struct hk_prov_entry *e;
	size_t i, j;

	*resp = NULL;
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    (res->entries = calloc(plan->n + 1, sizeof(*res->entries))) == NULL) {
		free(res);
		return HK_ERR_ALLOC;
	}
	res->n = plan->n;
	for (i = 0; i < plan->n; i++) {
		e = &res->entries[i];
		e->plan = &plan->entries[i];
		if ((e->imports = calloc(e->plan->nregions + 1, sizeof(*e->imports))) == NULL)
			goto nomem;
		e->nimports = e->plan->nregions;
		for (j = 0; j < e->nimports; j++)
			if ((e->imports[j].region = strdup(e->plan->regions[j])) == NULL)
				goto nomem;
		if (hk_plan_entry_is_sk(e->plan) && asprintf(&e->key_file, "%s/%s",
		    e->plan->output, e->plan->name) < 0) {
			e->key_file = NULL;
			goto nomem;
		}
	}
	*resp = res;
	return 0;
 nomem:
	hk_prov_result_free(res);
	return HK_ERR_ALLOC;
}

enum hk_prov_state
hk_prov_state_from_word(const char *word)
{
	if (word == NULL)
		return HK_PROV_PENDING;
	if (strcmp(word, PROV_STATE_DONE) == 0)
		return HK_PROV_DONE;
	if (strcmp(word, PROV_STATE_FAILED) == 0)
		return HK_PROV_FAILED;
	if (strcmp(word, PROV_STATE_CANCELLED) == 0)
		return HK_PROV_CANCELLED;
	return HK_PROV_RUNNING;
}

static enum hk_prov_step
step_of(const char *jstep)
{
	static const struct {
		const char *prefix;
		enum hk_prov_step step;
	} steps[] = {
		{ "intent", HK_PROV_STEP_INTENT }, { "keygen", HK_PROV_STEP_KEYGEN },
		{ "proof", HK_PROV_STEP_PROOF }, { "export", HK_PROV_STEP_EXPORT },
		{ "import", HK_PROV_STEP_IMPORT }, { "verify", HK_PROV_STEP_VERIFY },
		{ "attach", HK_PROV_STEP_ATTACH }, { "done", HK_PROV_STEP_DONE },
	};
	size_t i;

	for (i = 0; jstep != NULL && i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strncmp(jstep, steps[i].prefix, strlen(steps[i].prefix)) == 0)
			return steps[i].step;
	return HK_PROV_STEP_INTENT;
}

static enum hk_import_status
import_status_of(const struct hk_store_import *si)
{
	switch (si->status) {
	case HK_STORE_IMPORT_VERIFIED:
		return HK_IMPORT_IMPORTED;
	case HK_STORE_IMPORT_FAILED:
	case HK_STORE_IMPORT_MISMATCH:
		return HK_IMPORT_FAILED;
	default:
		return HK_IMPORT_PENDING;
	}
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
hk_prov_entry_from_store(struct hk_store *st, const struct hk_store_entry *se,
    struct hk_prov_entry *e)
{
	const struct hk_cloud_caps *caps = e->plan->cloud != NULL ?
	    hk_cloud_caps_find(e->plan->cloud) : NULL;
	struct hk_store_journal *j = NULL;
	struct hk_store_token *t = NULL;
	struct hk_store_key *k = NULL;
	struct hk_store_import **imps = NULL;
	size_t nimps = 0, i, m;
	int r;

	if (se == NULL)
		return 0;
	e->state = hk_prov_state_from_word(se->state);
	if ((r = hk_store_journal_last(st, se->id, NULL, &j)) != 0)
		goto out;
	if (j != NULL) {
		e->step = step_of(j->step);
		e->last_step = dup_or_null(j->step);
		e->last_phase = strdup(j->phase == HK_STORE_BEGIN ? "begin" : "end");
		e->last_outcome = dup_or_null(j->outcome);
		if (j->code != 0 && e->state != HK_PROV_DONE)
			hk_error_set(&e->error, j->code, "%s", j->detail != NULL ? j->detail :
			    hk_strerror(j->code));
	} else if (e->state == HK_PROV_RUNNING)
		e->state = HK_PROV_PENDING;
	if (se->token_id != 0 && (r = hk_store_token_get(st, se->token_id, &t)) == 0 &&
	    t != NULL)
		e->serial = dup_or_null(t->serial);
	if (r != 0 || se->key_id == 0)
		goto out;
	if ((r = hk_store_key_get(st, se->key_id, &k)) != 0 || k == NULL)
		goto out;
	e->key_id = dup_or_null(k->ref);
	e->fingerprint = dup_or_null(k->fp[HK_FP_SHA256]);
	if (caps != NULL)
		e->cloud_fingerprint_expected = dup_or_null(k->fp[caps->fp]);
	if (k->key != NULL && hk_key_write(k->key, HK_FMT_OPENSSH, &e->public_key) == 0) {
		size_t n = strlen(e->public_key);

		while (n > 0 && e->public_key[n - 1] == '\n')
			e->public_key[--n] = '\0';
	}
	if ((r = hk_store_imports_list(st, se->key_id, &imps, &nimps)) != 0)
		goto out;
	for (i = 0; i < nimps; i++) {
		if (e->plan->cloud == NULL || strcmp(imps[i]->provider, e->plan->cloud) != 0 ||
		    strcmp(imps[i]->name, e->plan->name) != 0)
			continue;
		for (m = 0; m < e->nimports; m++) {
			if (strcmp(e->imports[m].region, imps[i]->region) != 0)
				continue;
			e->imports[m].status = import_status_of(imps[i]);
			free(e->imports[m].cloud_fingerprint);
			e->imports[m].cloud_fingerprint = dup_or_null(imps[i]->cloud_fp);
			if (imps[i]->error != NULL && imps[i]->status != HK_STORE_IMPORT_VERIFIED)
				hk_error_set(&e->imports[m].error, imps[i]->status ==
				    HK_STORE_IMPORT_MISMATCH ? HK_ERR_FINGERPRINT_MISMATCH :
				    HK_ERR_CLOUD, "%s", imps[i]->error);
		}
	}
 out:
	hk_store_journal_free(j);
	hk_store_token_free(t);
	hk_store_key_free(k);
	hk_store_imports_free(imps, nimps);
	return r;
}

int
hk_prov_status(const char *inventory, const struct hk_plan *plan,
    struct hk_prov_result **resp)
{
	struct hk_prov_result *res;
	struct hk_store *st = NULL;
	struct hk_store_entry **es = NULL;
	size_t nes = 0, i, k;
	int r;

	*resp = NULL;
	if ((r = hk_prov_result_new(plan, &res)) != 0)
		return r;
	*resp = res;
	hk_err_clear();
	if ((r = hk_store_open(inventory, HK_STORE_READONLY, &st)) != 0) {
		if (r == HK_ERR_INVENTORY_NOT_FOUND) {
			/* Nothing ever ran: every entry pending. */
			hk_err_clear();
			return 0;
		}
		return hk_error_take(&res->err, r);
	}
	if ((r = hk_store_entries_list(st, plan->id, &es, &nes)) != 0) {
		hk_error_take(&res->err, r);
		goto out;
	}
	for (i = 0; i < res->n; i++)
		for (k = 0; k < nes; k++)
			if (strcmp(es[k]->entry, plan->entries[i].id) == 0 &&
			    (r = hk_prov_entry_from_store(st, es[k], &res->entries[i])) != 0) {
				hk_error_take(&res->err, r);
				goto out;
			}
	for (i = 0; i < res->n; i++) {
		if (res->entries[i].state == HK_PROV_DONE)
			res->ndone++;
		else if (res->entries[i].state == HK_PROV_FAILED)
			res->nfailed++;
		else if (res->entries[i].state == HK_PROV_CANCELLED)
			res->ncancelled++;
	}
 out:
	hk_store_entries_free(es, nes);
	hk_store_close(st);
	return r;
}
