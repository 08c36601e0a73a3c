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
	struct hk_cloud *c;
	enum batch_kind kind;
	struct hk_cloud_op_result **res;	/* the batch's results, in target order */
	const char **targets;			/* their targets, for the provider call */
	size_t n;
};

static void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->res);
	free(b->targets);
	free(b);
}

static void
on_batch(void *arg, const struct hk_cloud_reply *reply)
{
	struct batch *b = arg;
	size_t i, j;

	for (i = 0; i < b->n; i++) {
		struct hk_cloud_op_result *res = b->res[i];

		error_at(&res->error, &reply->error, res->region);
		/* Gone between the describe and the delete (or never listed): absent. */
		if (b->kind == BATCH_DELETE && res->error.code == HK_ERR_CLOUD_NOT_FOUND) {
			hk_error_clear(&res->error);
			res->absent = 1;
			continue;
		}
		if (b->kind == BATCH_DELETE && res->error.code != 0 && b->c->impl->in_use != NULL)
			res->in_use = b->c->impl->in_use(&res->error);
		if (reply->error.code != 0 || reply->ninstances == 0)
			continue;
		/* Per-instance outcome when the provider reports one. */
		for (j = 0; j < reply->ninstances; j++) {
			const struct hk_cloud_instance_result *ir = &reply->instances[j];

			if (ir->instance_id == NULL || strcmp(ir->instance_id, res->target) != 0)
				continue;
			if (!ir->ok && ir->not_attached && b->kind == BATCH_DETACH)
				res->absent = 1;
			else if (!ir->ok) {
				hk_cloud_error_provider(&res->error, HK_ERR_CLOUD, 0,
				    ir->code, ir->message, reply->error.request_id);
				error_at(&res->error, &res->error, res->region);
			}
		}
	}
	batch_free(b);
}

/* Queue the calls for res[0..nres-1] (one region), max targets a call. */
static int
run_batches(struct hk_cloud *c, const char *region, const char *name,
    struct hk_cloud_op_result **res, size_t nres, enum batch_kind kind, size_t max)
{
	struct hk_cloud_cb cb = { on_batch, NULL, NULL };
	struct batch *b;
	size_t i, k, n;
	int r;

	for (i = 0; i < nres; i += n) {
		n = nres - i < max ? nres - i : max;
		if ((b = calloc(1, sizeof(*b))) == NULL ||
		    (b->res = calloc(n, sizeof(*b->res))) == NULL ||
		    (b->targets = calloc(n, sizeof(*b->targets))) == NULL) {
			batch_free(b);
			return HK_ERR_ALLOC;
		}
		b->c = c;
		b->kind = kind;
		b->n = n;
		for (k = 0; k < n; k++) {
			b->res[k] = res[i + k];
			b->targets[k] = res[i + k]->target;
		}
		cb.arg = b;
		if (kind == BATCH_DELETE)
			r = c->impl->delete_keypairs(c, region, b->targets, n, &cb);
		else if (kind == BATCH_ATTACH)
			r = c->impl->attach_keypair(c, region, name, b->targets, n, &cb);
		else
			r = c->impl->detach_keypair(c, region, name, b->targets, n, &cb);
		if (r != 0) {
			hk_error_take(&res[i]->error, r);
			error_at(&res[i]->error, &res[i]->error, region);
			for (k = 1; k < n; k++)
				hk_error_copy(&res[i + k]->error, &res[i]->error);
			batch_free(b);
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

static int
listing_has(const struct hk_cloud_listing *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->npairs; i++)
		if (l->pairs[i].name != NULL && strcmp(l->pairs[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Delete only: describe every region (one call each), then mark the names
 * a region does not hold absent and leave them out of *todo (per region:
 * ntodo[i] pointers from todo[i * ntargets]).
 */
static int
describe_first(struct hk_cloud *c, char *const *regions, size_t nregions,
    char *const *targets, size_t ntargets, struct hk_cloud_op_result *res,
    struct hk_cloud_op_result **todo, size_t *ntodo)
{
	struct hk_cloud_cb cb = { on_list, NULL, NULL };
	struct hk_cloud_listing *l;
	size_t i, j;
	int r = 0;

	if ((l = calloc(nregions + 1, sizeof(*l))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < nregions; i++) {
		l[i].region = regions[i];
		cb.arg = &l[i];
		if ((r = c->impl->describe_keypairs(c, regions[i],
		    ntargets == 1 ? targets[0] : NULL, &cb)) != 0) {
			hk_error_take(&l[i].error, r);
			error_at(&l[i].error, &l[i].error, regions[i]);
			r = 0;
		}
	}
	if ((r = hk_cloud_run(c)) != 0)
		goto out;
	for (i = 0; i < nregions; i++) {
		ntodo[i] = 0;
		for (j = 0; j < ntargets; j++) {
			struct hk_cloud_op_result *x = &res[i * ntargets + j];

			/* One name is described by name: some clouds answer 404. */
			if (l[i].error.code == HK_ERR_CLOUD_NOT_FOUND && ntargets == 1)
				x->absent = 1;
			else if (l[i].error.code != 0)
				hk_error_copy(&x->error, &l[i].error);
			else if (!listing_has(&l[i], x->target))
				x->absent = 1;
			else
				todo[i * ntargets + ntodo[i]++] = x;
		}
	}
 out:
	hk_cloud_listings_free(l, nregions);
	return r;
}

/* Queue the batches of every region, run them, sum up. */
static int
run_op(struct hk_cloud *c, char *const *regions, size_t nregions, const char *name,
    char *const *targets, size_t ntargets, enum batch_kind kind, size_t max,
    struct hk_cloud_op_result **resp, size_t *np, struct hk_cloud_summary *sum)
{
	struct hk_cloud_op_result *res = NULL, **todo = NULL;
	size_t i, n = nregions * ntargets, *ntodo = NULL;
	int r, rr;

	if ((r = hk_cloud_not_running(c, "hk_cloud_delete/attach")) != 0 ||
	    (r = alloc_results(regions, nregions, targets, ntargets, &res)) != 0)
		return r;
	if ((todo = calloc(n + 1, sizeof(*todo))) == NULL ||
	    (ntodo = calloc(nregions + 1, sizeof(*ntodo))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (kind == BATCH_DELETE)
		r = describe_first(c, regions, nregions, targets, ntargets, res, todo, ntodo);
	else
		for (i = 0; i < nregions; i++)
			for (ntodo[i] = 0; ntodo[i] < ntargets; ntodo[i]++)
				todo[i * ntargets + ntodo[i]] = &res[i * ntargets + ntodo[i]];
	for (i = 0; r == 0 && i < nregions; i++)
		r = run_batches(c, regions[i], name, &todo[i * ntargets], ntodo[i], kind, max);
	/* Whatever was queued runs (its callbacks point into res) before res can go. */
	if ((rr = hk_cloud_run(c)) != 0 && r == 0)
		r = rr;
 out:
	free(todo);
	free(ntodo);
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
	if (c->impl->delete_keypairs == NULL || c->impl->describe_keypairs == NULL)
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
