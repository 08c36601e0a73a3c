/* List, delete, attach and detach across regions: one result per region
 * (x target), batched by the provider's caps, summed up for the batch rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_int.h"
#include "err.h"

/* ---- batch summaries ---- */

static void
summary_add(struct hk_cloud_summary *s, const struct hk_error *e, const char *region,
    const char *target)
{
	s->nitems++;
	if (e->code == 0)
		return;
	if (e->code == HK_ERR_CANCELLED) {
		s->ncancelled++;
		return;
	}
	if (s->nfailed++ > 0)
		return;
	s->first = e;
	if (target != NULL)
		snprintf(s->first_where, sizeof(s->first_where), "%s %s", region, target);
	else
		snprintf(s->first_where, sizeof(s->first_where), "%s", region);
}

/* The reply's error as a result's, saying where. */
static void
error_at(struct hk_error *dst, const struct hk_error *src, const char *region)
{
	hk_error_copy(dst, src);
	if (dst->code != 0 && region != NULL)
		snprintf(dst->region, sizeof(dst->region), "%s", region);
}

/* ---- list ---- */

static void
on_list(void *arg, const struct hk_cloud_reply *reply)
{
	struct hk_cloud_listing *l = arg;
	size_t i;

	error_at(&l->error, &reply->error, l->region);
	if (reply->error.code != 0 || reply->npairs == 0)
		return;
	if ((l->pairs = calloc(reply->npairs, sizeof(*l->pairs))) == NULL) {
		hk_error_set(&l->error, HK_ERR_ALLOC, "out of memory");
		return;
	}
	/* Copy: the reply belongs to the provider. */
	for (i = 0; i < reply->npairs; i++) {
		l->pairs[i].name = hk_cloud_strdup(reply->pairs[i].name);
		l->pairs[i].fingerprint = hk_cloud_strdup(reply->pairs[i].fingerprint);
		l->pairs[i].public_key = hk_cloud_strdup(reply->pairs[i].public_key);
		l->pairs[i].created = hk_cloud_strdup(reply->pairs[i].created);
	}
	l->npairs = reply->npairs;
}

int
hk_cloud_list(struct hk_cloud *c, char *const *regions, size_t nregions,
    const char *name, struct hk_cloud_listing **listp, size_t *np,
    struct hk_cloud_summary *sum)
{
	struct hk_cloud_cb cb = { on_list, NULL, NULL };
	struct hk_cloud_listing *l;
	size_t i;
	int r;

	*listp = NULL;
	*np = 0;
	memset(sum, 0, sizeof(*sum));
	if (c->impl->describe_keypairs == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: listing key pairs", c->caps->title);
	if ((r = hk_cloud_not_running(c, "hk_cloud_list")) != 0)
		return r;
	if ((l = calloc(nregions + 1, sizeof(*l))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < nregions; i++) {
		l[i].region = regions[i];
		cb.arg = &l[i];
		if ((r = c->impl->describe_keypairs(c, regions[i], name, &cb)) != 0) {
			hk_error_take(&l[i].error, r);
			error_at(&l[i].error, &l[i].error, regions[i]);
		}
	}
	if ((r = hk_cloud_run(c)) != 0) {
		hk_cloud_listings_free(l, nregions);
		return r;
	}
	for (i = 0; i < nregions; i++)
		summary_add(sum, &l[i].error, l[i].region, NULL);
	*listp = l;
	*np = nregions;
	return 0;
}

void
hk_cloud_listings_free(struct hk_cloud_listing *l, size_t n)
{
	size_t i, j;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < l[i].npairs; j++)
			hk_cloud_keypair_clear(&l[i].pairs[j]);
		free(l[i].pairs);
	}
	free(l);
}

/* ---- delete, attach, detach: batches, one result per target ---- */

enum batch_kind { BATCH_DELETE, BATCH_ATTACH, BATCH_DETACH };

struct batch {
	struct hk_cloud_op_result *res;	/* the batch's first result */
	size_t n;
};

static void
on_batch(void *arg, const struct hk_cloud_reply *reply)
{
	struct batch *b = arg;
	size_t i, j;

	for (i = 0; i < b->n; i++) {
		struct hk_cloud_op_result *res = &b->res[i];

		error_at(&res->error, &reply->error, res->region);
		if (reply->error.code != 0 || reply->ninstances == 0)
			continue;
		/* Per-instance outcome when the provider reports one. */
		for (j = 0; j < reply->ninstances; j++) {
			const struct hk_cloud_instance_result *ir = &reply->instances[j];

			if (ir->instance_id == NULL || strcmp(ir->instance_id, res->target) != 0)
				continue;
			if (!ir->ok) {
				hk_cloud_error_provider(&res->error, HK_ERR_CLOUD, 0,
				    ir->code, ir->message, reply->error.request_id);
				error_at(&res->error, &res->error, res->region);
			}
		}
	}
	free(b);
}

static int
run_batches(struct hk_cloud *c, const char *region, const char *name,
    char *const *targets, size_t ntargets, enum batch_kind kind, size_t max,
    struct hk_cloud_op_result *res)
{
	struct hk_cloud_cb cb = { on_batch, NULL, NULL };
	const char *const *t;
	struct batch *b;
	size_t i, k, n;
	int r;

	for (i = 0; i < ntargets; i += n) {
		n = ntargets - i < max ? ntargets - i : max;
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return HK_ERR_ALLOC;
		b->res = &res[i];
		b->n = n;
		cb.arg = b;
		t = (const char *const *)&targets[i];
		if (kind == BATCH_DELETE)
			r = c->impl->delete_keypairs(c, region, t, n, &cb);
		else if (kind == BATCH_ATTACH)
			r = c->impl->attach_keypair(c, region, name, t, n, &cb);
		else
			r = c->impl->detach_keypair(c, region, name, t, n, &cb);
		if (r != 0) {
			hk_error_take(&res[i].error, r);
			error_at(&res[i].error, &res[i].error, region);
			for (k = 1; k < n; k++)
				hk_error_copy(&res[i + k].error, &res[i].error);
			free(b);
		}
	}
	return 0;
}

static int
alloc_results(char *const *regions, size_t nregions, char *const *targets,
    size_t ntargets, struct hk_cloud_op_result **resp)
{
	struct hk_cloud_op_result *res;
	size_t i, j;

	if ((res = calloc(nregions * ntargets + 1, sizeof(*res))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < nregions; i++)
		for (j = 0; j < ntargets; j++) {
			res[i * ntargets + j].region = regions[i];
			if ((res[i * ntargets + j].target = strdup(targets[j])) == NULL) {
				hk_cloud_op_results_free(res, nregions * ntargets);
				return HK_ERR_ALLOC;
			}
		}
	*resp = res;
	return 0;
}

/* Queue the batches of every region, run them, sum up. */
static int
run_op(struct hk_cloud *c, char *const *regions, size_t nregions, const char *name,
    char *const *targets, size_t ntargets, enum batch_kind kind, size_t max,
    struct hk_cloud_op_result **resp, size_t *np, struct hk_cloud_summary *sum)
{
	struct hk_cloud_op_result *res = NULL;
	size_t i, n = nregions * ntargets;
	int r, rr;

	if ((r = hk_cloud_not_running(c, "hk_cloud_delete/attach")) != 0 ||
	    (r = alloc_results(regions, nregions, targets, ntargets, &res)) != 0)
		return r;
	for (i = 0; i < nregions; i++)
		if ((r = run_batches(c, regions[i], name, targets, ntargets, kind, max,
		    &res[i * ntargets])) != 0)
			break;
	/* Whatever was queued runs (its callbacks point into res) before res can go. */
	if ((rr = hk_cloud_run(c)) != 0 && r == 0)
		r = rr;
	if (r != 0) {
		hk_cloud_op_results_free(res, n);
		return r;
	}
	for (i = 0; i < n; i++)
		summary_add(sum, &res[i].error, res[i].region, res[i].target);
	*resp = res;
	*np = n;
	return 0;
}

int
hk_cloud_delete(struct hk_cloud *c, char *const *regions, size_t nregions,
    char *const *names, size_t nnames, struct hk_cloud_op_result **resp, size_t *np,
    struct hk_cloud_summary *sum)
{
	*resp = NULL;
	*np = 0;
	memset(sum, 0, sizeof(*sum));
	if (c->impl->delete_keypairs == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: deleting key pairs", c->caps->title);
	return run_op(c, regions, nregions, NULL, names, nnames, BATCH_DELETE,
	    c->caps->delete_batch_max, resp, np, sum);
}

int
hk_cloud_attach(struct hk_cloud *c, const char *region, const char *name,
    char *const *ids, size_t nids, int detach, struct hk_cloud_op_result **resp, size_t *np,
    struct hk_cloud_summary *sum)
{
	char *regions[1] = { (char *)region };

	*resp = NULL;
	*np = 0;
	memset(sum, 0, sizeof(*sum));
	if ((detach ? c->impl->detach_keypair : c->impl->attach_keypair) == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: %s key pairs is not supported by "
		    "hwkey for this cloud", c->caps->title, detach ? "detaching" : "attaching");
	return run_op(c, regions, 1, name, ids, nids, detach ? BATCH_DETACH : BATCH_ATTACH,
	    c->caps->attach_batch_max, resp, np, sum);
}

void
hk_cloud_op_results_free(struct hk_cloud_op_result *r, size_t n)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++)
		free(r[i].target);
	free(r);
}
