/* The provisioning run: tokens selected and PINs asked on the calling thread,
 * then one worker per token (keygen, proof, export: the slow, device-bound
 * part) and one thread per cloud session running its HTTP engine; a worker
 * hands its key to the engine the moment it exists and waits for its
 * regions to settle. Every step is journaled before and after it runs; the
 * key id is journaled before the key is made (see keygen_step). */
#include <sys/stat.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "buf.h"
#include "file.h"
#include "ops.h"
#include "ops_prov_int.h"
#include "skfile.h"
#include "token.h"

#define PROV_SESSIONS_MAX	8
#define PROV_ID_BYTES		16
#define PROV_GATHER_NS		2000000L	/* 2 ms: a flush waits at most this for company */

struct prov;

/* One cloud session: one provider, one HTTP engine, its own thread. */
struct sess {
	struct prov *p;
	const char *provider;
	const struct hk_cloud_caps *caps;
	struct hk_cloud *c;
	struct hk_error err;		/* opening it failed: its entries fail */
	pthread_t th;
	int started;
	int ended;			/* hk_cloud_run returned (under p->lock) */
	size_t users;			/* entries that will import through it */
};

/*
 * A write a worker has queued for its next flush. Steps journal BEGIN and
 * flush before they act; END rows and records wait for the next flush, so
 * an entry costs a handful of commits, and the writer commits the flushes
 * of every worker waiting at that moment as one transaction (group commit).
 */
enum pop_kind { POP_JOURNAL, POP_TOKEN, POP_ENTRY, POP_KEY, POP_IMPORT_PUT, POP_IMPORT_UPDATE };
struct pop {
	enum pop_kind kind;
	char *step, *detail;		/* POP_JOURNAL (owned) */
	const char *outcome;
	enum hk_store_phase phase;
	int code;
	size_t i;			/* POP_IMPORT_*: the region */
	const char *word;		/* POP_ENTRY: the state, or NULL */
	int with_token, with_key;	/* POP_ENTRY: set the entry's token / key */
};

struct flushreq {
	struct wctx *w;
	int r;
	int done;
	double done_at;			/* mono() when the writer committed it */
	struct flushreq *next;
};

/* One entry of the plan in this run. */
struct wctx {
	struct prov *p;
	size_t index;
	const struct hk_plan_entry *pe;
	struct hk_prov_entry *e;
	struct sess *sess;
	struct hk_token *tok;
	struct hk_secret *pin;
	struct hk_ui ui;		/* the token's: the entry's PIN, the run's cancel */
	int runnable;			/* selected, PIN in hand, session open */
	int held;			/* holds the session (released once) */
	int attach_pending;		/* imports verified, instances still to attach */
	int64_t entry_id, token_id, key_id;
	double read_s;			/* of store_s: direct calls (not flushes) */
	int64_t prev_key_id;		/* the inventory's key for the entry when the run began */
	int prev_started;		/* an earlier run journaled it */
	int64_t *import_ids;
	struct hk_token_key *k;
	struct hk_import *imp;		/* freed after the engines stop */
	size_t nsettled;		/* regions final (under p->lock) */
	pthread_cond_t cond;
	double store_s;
	unsigned long store_n;
	double t0;
	struct pop *pend;		/* queued writes, in order */
	size_t npend, cpend;
	char flags[160];		/* the proof's flags, for the key record */
};

struct prov {
	const struct hk_prov_req *req;
	struct hk_prov_result *res;
	struct hk_store *st;
	int64_t run_id;
	struct hk_tokens *ts;
	struct hk_tokens *fts;		/* fido: devices when a --module limits ts */
	struct sess sess[PROV_SESSIONS_MAX];
	size_t nsess;
	struct wctx *w;
	size_t next;			/* the next entry a worker takes (under lock) */
	pthread_mutex_t lock;		/* events, counts, import results, next */
	size_t ndone, nfailed, nremaining;
	double store_s;			/* the calling thread's inventory time */
	unsigned long store_n;
	/* The writer: one thread commits every worker's queued writes. */
	pthread_t writer;
	int writer_started, writer_stop;
	pthread_mutex_t wlock;
	pthread_cond_t wcond, dcond;
	struct flushreq *wq;
	double writer_s;		/* the writer's time in batches */
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An inventory call, timed (the benchmark reports the share of wall time). */
#define STORE(acc_s, acc_n, r, call) do {		\
	double t0_ = mono();				\
	hk_err_clear();					\
	(r) = (call);					\
	*(acc_s) += mono() - t0_;			\
	(*(acc_n))++;					\
} while (0)
#define WSTORE(w, r, call) do {				\
	double w0_ = mono();				\
	STORE(&(w)->store_s, &(w)->store_n, r, call);	\
	(w)->read_s += mono() - w0_;			\
} while (0)

const char *
hk_prov_step_name(enum hk_prov_step step)
{
	static const char *const names[HK_PROV_NSTEPS] = {
		"intent", "keygen", "proof", "export", "import", "verify", "attach", "done",
	};

	return step < HK_PROV_NSTEPS ? names[step] : "unknown";
}

const char *
hk_prov_state_name(enum hk_prov_state state)
{
	switch (state) {
	case HK_PROV_PENDING:
		return "pending";
	case HK_PROV_RUNNING:
		return "running";
	case HK_PROV_DONE:
		return "done";
	case HK_PROV_FAILED:
		return "failed";
	default:
		return "cancelled";
	}
}

/* ---- events ---- */

static void
emit_locked(struct wctx *w, enum hk_prov_event_kind kind, enum hk_prov_step step,
    const char *region, const struct hk_prov_import *imp, const struct hk_error *error,
    const char *detail)
{
	struct prov *p = w->p;
	struct hk_prov_event ev;

	if (kind == HK_PROV_EV_ENTRY) {
		if (w->e->state == HK_PROV_DONE)
			p->ndone++;
		else
			p->nfailed++;
		if (p->nremaining > 0)
			p->nremaining--;
	}
	if (p->req->event == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.index = w->index;
	ev.entry = w->e;
	ev.step = step;
	ev.region = region;
	ev.import = imp;
	ev.error = error != NULL && error->code != 0 ? error : NULL;
	ev.detail = detail;
	ev.ndone = p->ndone;
	ev.nfailed = p->nfailed;
	ev.nremaining = p->nremaining;
	p->req->event(p->req->arg, &ev);
}

static void
emit(struct wctx *w, enum hk_prov_event_kind kind, enum hk_prov_step step,
    const char *region, const struct hk_prov_import *imp, const struct hk_error *error,
    const char *detail)
{
	pthread_mutex_lock(&w->p->lock);
	emit_locked(w, kind, step, region, imp, error, detail);
	pthread_mutex_unlock(&w->p->lock);
}

static enum hk_store_import_status store_status(const struct hk_prov_import *pi);

/* ---- the journal: queued writes, flushed through the writer ---- */

static struct pop *
pop_new(struct wctx *w, enum pop_kind kind)
{
	struct pop *np;

	if (w->npend == w->cpend) {
		if ((np = reallocarray(w->pend, w->cpend + 16, sizeof(*np))) == NULL)
			return NULL;
		w->pend = np;
		w->cpend += 16;
	}
	np = &w->pend[w->npend++];
	memset(np, 0, sizeof(*np));
	np->kind = kind;
	return np;
}

static void
pend_clear(struct wctx *w)
{
	size_t i;

	for (i = 0; i < w->npend; i++) {
		free(w->pend[i].step);
		free(w->pend[i].detail);
	}
	w->npend = 0;
}

static int
queue_failed(struct wctx *w)
{
	return hk_error_set(&w->e->error, HK_ERR_ALLOC, "out of memory queueing a journal row");
}

/* Queue one journal row (written at the next flush). */
static int
jrnl(struct wctx *w, const char *step, enum hk_store_phase phase, const char *outcome,
    int code, const char *detail)
{
	struct pop *op;

	if ((op = pop_new(w, POP_JOURNAL)) == NULL)
		return queue_failed(w);
	op->step = strdup(step);
	op->detail = detail != NULL ? strdup(detail) : NULL;
	op->phase = phase;
	op->outcome = outcome;
	op->code = code;
	if (op->step == NULL || (detail != NULL && op->detail == NULL))
		return queue_failed(w);
	return 0;
}

static int
queue_entry(struct wctx *w, int with_token, int with_key, const char *word)
{
	struct pop *op;

	if ((op = pop_new(w, POP_ENTRY)) == NULL)
		return queue_failed(w);
	op->with_token = with_token;
	op->with_key = with_key;
	op->word = word;
	return 0;
}

static int
queue_op(struct wctx *w, enum pop_kind kind, size_t i)
{
	struct pop *op;

	if ((op = pop_new(w, kind)) == NULL)
		return queue_failed(w);
	op->i = i;
	return 0;
}

/* One queued write, on the writer's thread, inside the batch. */
static int
pop_run(struct wctx *w, const struct pop *op)
{
	struct hk_store *st = w->p->st;
	const struct hk_token_info *info;
	struct hk_store_token t;
	struct hk_store_key sk;
	struct hk_store_import si;
	struct hk_prov_import *pi;

	switch (op->kind) {
	case POP_JOURNAL:
		return hk_store_journal(st, w->entry_id, w->p->run_id, op->step, op->phase,
		    op->outcome, op->code, op->detail);
	case POP_TOKEN:
		info = hk_token_get_info(w->tok);
		memset(&t, 0, sizeof(t));
		t.backend = info->backend;
		t.serial = w->e->serial;
		t.manufacturer = info->manufacturer;
		t.model = info->model;
		t.firmware = info->firmware;
		t.label = info->label;
		t.uri = info->uri;
		t.person = w->pe->person;
		if (info->fido2 != NULL && info->fido2->aaguid[0] != '\0')
			t.aaguid = info->fido2->aaguid;
		return hk_store_token_upsert(st, &t, &w->token_id);
	case POP_ENTRY:
		return hk_store_entry_update(st, w->entry_id, op->with_token ? w->token_id : 0,
		    op->with_key ? w->key_id : 0, op->word);
	case POP_KEY:
		memset(&sk, 0, sizeof(sk));
		sk.token_id = w->token_id;
		sk.ref = w->e->key_id;
		sk.label = w->pe->label;
		sk.key = w->k->key;
		sk.proof_kind = hk_proof_kind_name(w->k->proof.kind);
		sk.proof_verified = w->k->proof.verified;
		sk.proof_detail = w->flags;
		sk.person = w->pe->person;
		if (w->k->proof.kind == HK_PROOF_FIDO2_ATTESTATION &&
		    w->k->proof.u.fido2.attestation.ptr != NULL) {
			/* The attestation object, kept: the proof can be checked again. */
			sk.attestation = w->k->proof.u.fido2.attestation.ptr;
			sk.attestation_len = w->k->proof.u.fido2.attestation.len;
			sk.attestation_format = w->k->proof.u.fido2.format;
		}
		return hk_store_key_put(st, &sk, &w->key_id);
	case POP_IMPORT_PUT:
		memset(&si, 0, sizeof(si));
		si.key_id = w->key_id;
		si.provider = w->pe->cloud;
		si.account = "";
		si.region = w->e->imports[op->i].region;
		si.name = w->pe->name;
		si.status = HK_STORE_IMPORT_PENDING;
		return hk_store_import_put(st, &si, &w->import_ids[op->i]);
	case POP_IMPORT_UPDATE:
		pi = &w->e->imports[op->i];
		return hk_store_import_update(st, w->import_ids[op->i], store_status(pi),
		    pi->cloud_fingerprint, pi->error.code != 0 ? hk_error_message(&pi->error) : NULL);
	}
	return HK_ERR_INTERNAL;
}

/* Every queued write of w, in order; the first failure stops them. */
static int
pend_run(struct wctx *w)
{
	size_t i;
	int r;

	for (i = 0; i < w->npend; i++) {
		hk_err_clear();
		if ((r = pop_run(w, &w->pend[i])) != 0) {
			if (w->e->error.code == 0)
				hk_error_take(&w->e->error, r);
			return r;
		}
	}
	return 0;
}

/* The writer: whatever is waiting goes in one transaction, one fsync. */
static void *
writer_main(void *arg)
{
	struct prov *p = arg;
	struct flushreq *q, *f;
	struct hk_error e;
	double t0, t1;
	int rb, rc;

	pthread_mutex_lock(&p->wlock);
	for (;;) {
		while (p->wq == NULL && !p->writer_stop)
			pthread_cond_wait(&p->wcond, &p->wlock);
		if (p->wq == NULL)
			break;
		/*
		 * Group commit: give the workers finishing a step at the same
		 * moment (keygens of a batch of tokens end together) a moment to
		 * join this transaction instead of each paying an fsync.
		 */
		if (!p->writer_stop) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += PROV_GATHER_NS;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&p->wcond, &p->wlock, &until);
		}
		q = p->wq;
		p->wq = NULL;
		pthread_mutex_unlock(&p->wlock);
		t0 = mono();
		hk_err_clear();
		if ((rb = hk_store_batch_begin(p->st)) != 0)
			hk_error_take(&e, rb);
		for (f = q; f != NULL; f = f->next)
			f->r = rb != 0 ? rb : pend_run(f->w);
		if (rb == 0) {
			hk_err_clear();
			if ((rc = hk_store_batch_end(p->st, 0)) != 0) {
				/* Nothing of this batch is known to be on disk. */
				hk_error_take(&e, rc);
				for (f = q; f != NULL; f = f->next)
					if (f->r == 0)
						f->r = rc;
				rb = rc;
			}
		}
		for (f = q; rb != 0 && f != NULL; f = f->next)
			if (f->w->e->error.code == 0)
				hk_error_copy(&f->w->e->error, &e);
		pthread_mutex_lock(&p->wlock);
		t1 = mono();
		p->writer_s += t1 - t0;
		for (f = q; f != NULL; f = f->next) {
			f->done_at = t1;
			f->done = 1;
		}
		pthread_cond_broadcast(&p->dcond);
	}
	pthread_mutex_unlock(&p->wlock);
	return NULL;
}

/*
 * Make w's queued writes durable; returns once they are committed (or
 * failed: the entry stops, nothing unrecorded runs).
 */
static int
flush(struct wctx *w)
{
	struct prov *p = w->p;
	struct flushreq f = { w, 0, 0, 0, NULL }, **pp;
	double t0, t1;
	int r;

	if (w->npend == 0)
		return 0;
	t0 = mono();
	if (!p->writer_started) {
		hk_err_clear();
		if ((r = hk_store_batch_begin(p->st)) == 0)
			r = hk_store_batch_end(p->st, pend_run(w));
		if (r != 0 && w->e->error.code == 0)
			hk_error_take(&w->e->error, r);
	} else {
		pthread_mutex_lock(&p->wlock);
		for (pp = &p->wq; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = &f;
		pthread_cond_signal(&p->wcond);
		while (!f.done)
			pthread_cond_wait(&p->dcond, &p->wlock);
		pthread_mutex_unlock(&p->wlock);
		r = f.r;
	}
	/*
	 * The inventory's share ends when the rows are committed: the wait
	 * after that, for a CPU to run this worker again, is the scheduler's
	 * (bench/provision.sh reports this figure).
	 */
	t1 = p->writer_started ? f.done_at : mono();
	w->store_s += t1 - t0;
	w->store_n++;
	pend_clear(w);
	return r;
}

/*
 * A step begins. A step that acts outside this process (keygen on the
 * token, import and attach in the cloud) has its BEGIN row, and everything
 * queued before it, on disk before it acts. The others (intent, proof,
 * export: reading and computing) change nothing a crash could leave behind,
 * so their rows go with the next flush, in order.
 */
static int
step_begin(struct wctx *w, enum hk_prov_step step, const char *jstep, const char *region,
    const char *detail)
{
	int acts = step == HK_PROV_STEP_KEYGEN || step == HK_PROV_STEP_IMPORT ||
	    step == HK_PROV_STEP_ATTACH;
	int r;

	w->e->step = step;
	if ((r = jrnl(w, jstep, HK_STORE_BEGIN, NULL, 0, detail)) != 0 ||
	    (acts && (r = flush(w)) != 0))
		return r;
	emit(w, HK_PROV_EV_STEP, step, region, NULL, NULL, NULL);
	return 0;
}

/* A step ended: its END row goes with the next flush. */
static int
step_end(struct wctx *w, enum hk_prov_step step, const char *jstep, const char *region,
    const struct hk_error *failed, const char *detail)
{
	int r;

	r = jrnl(w, jstep, HK_STORE_END, failed != NULL && failed->code != 0 ?
	    (failed->code == HK_ERR_CANCELLED ? "cancelled" : "failed") : "ok",
	    failed != NULL ? failed->code : 0,
	    failed != NULL && failed->code != 0 ? hk_error_message(failed) : detail);
	emit(w, HK_PROV_EV_STEP_END, step, region, NULL, failed, detail);
	return r;
}

/* The entry is final: its state in the inventory and the event. */
static void
entry_final(struct wctx *w, enum hk_prov_state state)
{
	const char *word = state == HK_PROV_DONE ? PROV_STATE_DONE :
	    state == HK_PROV_CANCELLED ? PROV_STATE_CANCELLED : PROV_STATE_FAILED;
	int r;

	w->e->state = state;
	if (w->entry_id != 0) {
		r = 0;
		if (state == HK_PROV_DONE) {
			/* Nothing happens between them: one commit with the state. */
			w->e->step = HK_PROV_STEP_DONE;
			if ((r = jrnl(w, "done", HK_STORE_BEGIN, NULL, 0, NULL)) == 0)
				emit(w, HK_PROV_EV_STEP, HK_PROV_STEP_DONE, NULL, NULL, NULL, NULL);
			if (r == 0)
				r = step_end(w, HK_PROV_STEP_DONE, "done", NULL, NULL, NULL);
		}
		if (r == 0 && (r = queue_entry(w, 0, 0, word)) == 0)
			r = flush(w);
		pend_clear(w);
		if (r != 0 && state == HK_PROV_DONE) {
			/* Done but not recorded: the next run finds and verifies it again. */
			hk_error_take(&w->e->error, r);
			w->e->state = HK_PROV_FAILED;
		}
	}
	emit(w, HK_PROV_EV_ENTRY, w->e->step, NULL, NULL, &w->e->error, NULL);
}

static void
entry_fail(struct wctx *w, int r)
{
	if (w->e->error.code == 0)
		hk_error_take(&w->e->error, r);
	if (w->e->error.token[0] == '\0')
		snprintf(w->e->error.token, sizeof(w->e->error.token), "%s", w->pe->token);
	entry_final(w, w->e->error.code == HK_ERR_CANCELLED ||
	    w->e->error.code == HK_ERR_INTERRUPTED ? HK_PROV_CANCELLED : HK_PROV_FAILED);
}

/* ---- the token steps (worker thread) ---- */

static int
ui_pin(void *arg, enum hk_ui_secret which, const char *prompt, struct hk_secret **secp)
{
	struct wctx *w = arg;

	(void)prompt;
	*secp = NULL;
	if (which != HK_UI_SECRET_PIN)
		return hk_errf(HK_ERR_PIN_REQUIRED, "provision asks for the user PIN only");
	if (w->pin == NULL)
		return hk_errf(HK_ERR_PIN_REQUIRED, "no PIN for token %s (entry %s)",
		    w->pe->token, w->pe->id);
	return hk_secret_new(hk_secret_str(w->pin), hk_secret_len(w->pin), secp);
}

static int
ui_cancelled(void *arg)
{
	struct wctx *w = arg;

	return hk_ui_cancelled(w->p->req->ui);
}

/* A security key waits for its touch: the front end says so for this entry. */
static void
ui_touch(void *arg, const char *prompt)
{
	struct wctx *w = arg;

	emit(w, HK_PROV_EV_TOUCH, HK_PROV_STEP_KEYGEN, NULL, NULL, NULL, prompt);
}

static void
hex_of(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, uint8_t *out, size_t max, size_t *np)
{
	size_t n = strlen(s), i;
	unsigned int v;

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*np = n / 2;
	return 0;
}

/* The token record, and the entry's link to it. */
static int
token_step(struct wctx *w)
{
	const struct hk_token_info *info = hk_token_get_info(w->tok);
	int r;

	if ((w->e->serial = strdup(info->serial != NULL && *info->serial != '\0' ?
	    info->serial : info->uri)) == NULL)
		return HK_ERR_ALLOC;
	if ((r = queue_op(w, POP_TOKEN, 0)) != 0 ||
	    (r = queue_entry(w, 1, 0, PROV_STATE_RUNNING)) != 0)
		return r;
	return 0;
}

/*
 * The key id this entry uses: the recorded key's, else the one a earlier
 * run journaled before it generated (it may or may not have made the key),
 * else a fresh one. *recordedp: the inventory holds a finished key for it.
 */
static int
key_ref(struct wctx *w, char *ref, size_t size, int *recordedp, int *journaledp)
{
	struct hk_store_key *sk = NULL;
	struct hk_store_journal **js = NULL, *j;
	uint8_t id[PROV_ID_BYTES];
	size_t nj = 0, i;
	int r;

	*recordedp = *journaledp = 0;
	ref[0] = '\0';
	r = 0;
	if (w->prev_key_id != 0) {
		WSTORE(w, r, hk_store_key_get(w->p->st, w->prev_key_id, &sk));
		if (r == 0 && sk != NULL && sk->ref != NULL) {
			snprintf(ref, size, "%s", sk->ref);
			*recordedp = 1;
		}
	}
	hk_store_key_free(sk);
	if (r != 0 || ref[0] != '\0')
		return r;
	if (w->prev_started)
		WSTORE(w, r, hk_store_journal_list(w->p->st, w->entry_id, &js, &nj));
	if (r != 0)
		return r;
	/*
	 * "id=<hex>" is written at keygen's BEGIN, before C_GenerateKeyPair
	 * (its END may carry an error instead). Once an id is journaled every
	 * later run uses it, so there is only ever one.
	 */
	for (i = nj; i > 0 && ref[0] == '\0'; i--) {
		j = js[i - 1];
		if (j->step != NULL && strcmp(j->step, "keygen") == 0 && j->detail != NULL &&
		    strncmp(j->detail, "id=", 3) == 0 && strlen(j->detail + 3) < size) {
			snprintf(ref, size, "%.*s", (int)strcspn(j->detail + 3, " "),
			    j->detail + 3);
			*journaledp = 1;
		}
	}
	hk_store_journals_free(js, nj);
	if (ref[0] != '\0')
		return 0;
	if (RAND_bytes(id, sizeof(id)) != 1)
		return hk_errf(HK_ERR_CRYPTO, "no random bytes for a key id");
	hex_of(id, sizeof(id), ref);
	return 0;
}

/* The key on the token with this id, complete (both halves, readable), or NULL. */
static int
key_lookup(struct wctx *w, const char *ref, struct hk_token_key **kp, int *partialp)
{
	struct hk_token_key *k = NULL;
	int r;

	*kp = NULL;
	*partialp = 0;
	if ((r = hk_token_key_find(w->tok, ref, 1, &k)) != 0) {
		if (hk_token_error(w->tok)->code == HK_ERR_KEY_NOT_FOUND)
			return 0;
		hk_error_copy(&w->e->error, hk_token_error(w->tok));
		return r;
	}
	if (k->key == NULL || !k->has_private || !k->has_public) {
		/* A keygen cut short: half a pair under our id. */
		*partialp = 1;
		if ((r = hk_token_key_delete(w->tok, k)) != 0) {
			hk_error_copy(&w->e->error, hk_token_error(w->tok));
			hk_token_key_free(k);
			return r;
		}
		hk_token_key_free(k);
		return 0;
	}
	*kp = k;
	return 0;
}

static int
keygen_step(struct wctx *w)
{
	struct hk_keygen_req *kr = NULL;
	char ref[2 * HK_KEYGEN_ID_MAX + 1], detail[2 * HK_KEYGEN_ID_MAX + 64];
	uint8_t id[HK_KEYGEN_ID_MAX];
	size_t idlen;
	int recorded, journaled, partial = 0, r;

	if ((r = key_ref(w, ref, sizeof(ref), &recorded, &journaled)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "id=%s", ref);
	if ((r = step_begin(w, HK_PROV_STEP_KEYGEN, "keygen", NULL, detail)) != 0)
		return r;
	if ((w->e->key_id = strdup(ref)) == NULL)
		return HK_ERR_ALLOC;
	if (recorded || journaled) {
		if ((r = key_lookup(w, ref, &w->k, &partial)) != 0)
			goto out;
		if (w->k != NULL) {
			w->e->key_found = 1;
			snprintf(detail, sizeof(detail), "id=%s found on the token", ref);
			goto out;
		}
		if (recorded) {
			/* The inventory says this key was made: never silently make another. */
			r = hk_error_set(&w->e->error, HK_ERR_KEY_NOT_FOUND, "entry %s: key "
			    "id %s recorded in the inventory is no longer on token %s",
			    w->pe->id, ref, w->pe->token);
			goto out;
		}
	}
	if (hk_ui_cancelled(w->p->req->ui)) {
		r = hk_error_set(&w->e->error, HK_ERR_CANCELLED, "cancelled before keygen");
		goto out;
	}
	if (unhex(ref, id, sizeof(id), &idlen) != 0) {
		r = hk_error_set(&w->e->error, HK_ERR_INVENTORY, "journaled key id \"%s\" "
		    "is not hex", ref);
		goto out;
	}
	if ((kr = hk_keygen_req_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_keygen_req_set_kind(kr, w->pe->kind)) != 0 ||
	    (r = hk_keygen_req_set_label(kr, w->pe->label)) != 0 ||
	    (r = hk_keygen_req_set_id(kr, id, idlen)) != 0)
		goto out;
	if ((r = hk_token_keygen(w->tok, kr, &w->k)) != 0) {
		hk_error_copy(&w->e->error, hk_token_error(w->tok));
		goto out;
	}
	w->e->key_made = 1;
	snprintf(detail, sizeof(detail), "id=%s made%s", ref,
	    partial ? " (a half-made pair under this id was removed)" : "");
 out:
	hk_keygen_req_free(kr);
	if (r != 0 && w->e->error.code == 0)
		hk_error_take(&w->e->error, r);
	step_end(w, HK_PROV_STEP_KEYGEN, "keygen", NULL, r != 0 ? &w->e->error : NULL, detail);
	return r;
}

/* ---- security keys (fido: entries): no key id before the keygen ---- */

/* "ssh:app" or "ssh:app user": how the backend labels a resident credential. */
static void
sk_rk_label(const struct hk_plan_entry *pe, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", pe->application, pe->user != NULL ? " " : "",
	    pe->user != NULL ? pe->user : "");
}

/* The proof detail of an sk key: its flags first (the key-handle file needs them). */
static void
sk_detail(const struct hk_token_key *k, char *buf, size_t size)
{
	const struct hk_token_proof *pf = &k->proof;

	snprintf(buf, size, "sk_flags=0x%02x%s%s%s; attestation %s %s%s", k->sk_flags,
	    (k->sk_flags & HK_SK_USER_PRESENCE_REQD) ? " touch-required" : "",
	    (k->sk_flags & HK_SK_USER_VERIFICATION_REQD) ? " verify-required" : "",
	    (k->sk_flags & HK_SK_RESIDENT_KEY) ? " resident" : "",
	    pf->kind == HK_PROOF_FIDO2_ATTESTATION && pf->u.fido2.format != NULL ?
	    pf->u.fido2.format : "none", pf->verified ? "verified" : "not verified",
	    pf->kind == HK_PROOF_FIDO2_ATTESTATION && pf->u.fido2.chain_verified ?
	    ", chain verified" : "");
}

/*
 * The credential an earlier run recorded, as a token key: the credential id
 * (key handle) and the public key from the inventory, its flags from the
 * proof detail. Enough to write the key-handle file again; the device is
 * not asked (a non-resident credential is nowhere on it).
 */
static int
sk_key_from_store(struct wctx *w, struct hk_store_key *sk, struct hk_token_key **kp)
{
	struct hk_token_key *k;
	unsigned int flags = HK_SK_USER_PRESENCE_REQD;
	uint8_t buf[HK_SK_KEY_HANDLE_MAX];
	size_t n;
	int r;

	*kp = NULL;
	if (sk->ref == NULL || unhex(sk->ref, buf, sizeof(buf), &n) != 0 || sk->key == NULL)
		return hk_error_set(&w->e->error, HK_ERR_INVENTORY, "entry %s: the recorded "
		    "credential id \"%s\" is not hex", w->pe->id, sk->ref != NULL ? sk->ref : "");
	if (sk->proof_detail != NULL && sscanf(sk->proof_detail, "sk_flags=0x%x", &flags) != 1)
		flags = HK_SK_USER_PRESENCE_REQD;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return HK_ERR_ALLOC;
	if ((k->id = malloc(n)) == NULL || (k->id_hex = strdup(sk->ref)) == NULL ||
	    (k->label = strdup(w->pe->label)) == NULL ||
	    (r = hk_key_dup(sk->key, &k->key)) != 0) {
		hk_token_key_free(k);
		return HK_ERR_ALLOC;
	}
	memcpy(k->id, buf, n);
	k->idlen = n;
	k->has_private = k->has_public = 1;
	k->sk_flags = (uint8_t)flags;
	k->proof.kind = HK_PROOF_FIDO2_ATTESTATION;
	k->proof.verified = sk->proof_verified;
	*kp = k;
	return 0;
}

/* An earlier run of this entry journaled a keygen BEGIN (it may have made it). */
static int
sk_keygen_begun(struct wctx *w, int *begunp)
{
	struct hk_store_journal **js = NULL;
	size_t nj = 0, i;
	int r = 0;

	*begunp = 0;
	if (!w->prev_started)
		return 0;
	WSTORE(w, r, hk_store_journal_list(w->p->st, w->entry_id, &js, &nj));
	if (r != 0)
		return hk_error_take(&w->e->error, r);
	/* The last keygen row of an earlier run: a BEGIN without its END. */
	for (i = 0; i < nj; i++)
		if (js[i]->step != NULL && strcmp(js[i]->step, "keygen") == 0 &&
		    js[i]->run_id != w->p->run_id)
			*begunp = js[i]->phase == HK_STORE_BEGIN;
	hk_store_journals_free(js, nj);
	return 0;
}

/*
 * After an interrupted keygen of a resident credential: the device may hold
 * it (made, not journaled). Looked up by application and user; found, it is
 * not made twice, and without its attestation (lost with the run) it is not
 * taken either: the entry fails saying how to remove it.
 */
static int
sk_resident_lookup(struct wctx *w)
{
	struct hk_token_key **keys = NULL;
	char label[256], id[24];
	size_t n = 0, i;
	int r, found = -1;

	sk_rk_label(w->pe, label, sizeof(label));
	if ((r = hk_token_keys(w->tok, &keys, &n)) != 0) {
		if (hk_token_error(w->tok)->code == HK_ERR_PIN_REQUIRED && w->pin == NULL) {
			/*
			 * A device without a PIN lists nothing; its keygen still
			 * refuses a second credential of this application and user
			 * (the backend's existence check needs no PIN).
			 */
			hk_err_clear();
			return 0;
		}
		hk_error_copy(&w->e->error, hk_token_error(w->tok));
		return r;
	}
	for (i = 0; i < n && found < 0; i++)
		if (keys[i]->label != NULL && strcmp(keys[i]->label, label) == 0)
			found = (int)i;
	if (found >= 0) {
		snprintf(id, sizeof(id), "%.16s", keys[found]->id_hex);
		r = hk_error_set(&w->e->error, HK_ERR_KEY_EXISTS, "entry %s: resident "
		    "credential %s (%s) is on %s from an interrupted run, without its "
		    "attestation; not made twice. Remove it (hwkey key delete %s --key %s) "
		    "and run again", w->pe->id, id, label, w->pe->token, w->pe->token, id);
	}
	hk_token_keys_free(keys, n);
	return r;
}

/* Before the device is asked: the key files are not some other key's. */
static int
sk_paths_free(struct wctx *w)
{
	char path[4096 + 8];
	struct stat st;

	snprintf(path, sizeof(path), "%s", w->e->key_file);
	if (lstat(path, &st) == 0)
		return hk_error_set(&w->e->error, HK_ERR_EXISTS, "entry %s: %s exists and is "
		    "not this entry's key; move it away or change \"output\" or \"name\"",
		    w->pe->id, path);
	snprintf(path, sizeof(path), "%s.pub", w->e->key_file);
	if (lstat(path, &st) == 0)
		return hk_error_set(&w->e->error, HK_ERR_EXISTS, "entry %s: %s exists and is "
		    "not this entry's key; move it away or change \"output\" or \"name\"",
		    w->pe->id, path);
	return 0;
}

static int
sk_keygen_step(struct wctx *w)
{
	struct hk_store_key *sk = NULL;
	struct hk_keygen_req *kr = NULL;
	char detail[512];
	int r = 0, begun = 0;

	if (w->prev_key_id != 0) {
		WSTORE(w, r, hk_store_key_get(w->p->st, w->prev_key_id, &sk));
		if (r != 0)
			return hk_error_take(&w->e->error, r);
	}
	snprintf(detail, sizeof(detail), "%s application=%s%s%s%s", sk != NULL ? "recorded" :
	    "make", w->pe->application, w->pe->user != NULL ? " user=" : "",
	    w->pe->user != NULL ? w->pe->user : "", w->pe->resident ? " resident" : "");
	if ((r = step_begin(w, HK_PROV_STEP_KEYGEN, "keygen", NULL, detail)) != 0)
		goto out;
	if (sk != NULL) {
		/* Its keygen END is journaled with this record: never made again. */
		if ((r = sk_key_from_store(w, sk, &w->k)) != 0)
			goto out;
		if ((w->e->key_id = strdup(w->k->id_hex)) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		w->e->key_found = 1;
		snprintf(w->flags, sizeof(w->flags), "%s", sk->proof_detail != NULL ?
		    sk->proof_detail : "");
		snprintf(detail, sizeof(detail), "credential %.16s recorded by an earlier run; "
		    "not made again", w->k->id_hex);
		goto out;
	}
	if ((r = sk_paths_free(w)) != 0)
		goto out;
	if (w->pe->resident && ((r = sk_keygen_begun(w, &begun)) != 0 ||
	    (begun && (r = sk_resident_lookup(w)) != 0)))
		goto out;
	if (hk_ui_cancelled(w->p->req->ui)) {
		r = hk_error_set(&w->e->error, HK_ERR_CANCELLED, "cancelled before keygen");
		goto out;
	}
	if ((kr = hk_keygen_req_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_keygen_req_set_kind(kr, w->pe->kind)) != 0 ||
	    (r = hk_keygen_req_set_label(kr, w->pe->label)) != 0 ||
	    (r = hk_keygen_req_set_resident(kr, w->pe->resident)) != 0 ||
	    (r = hk_keygen_req_set_user_verification(kr, w->pe->verify_required)) != 0 ||
	    (r = hk_keygen_req_set_touch_required(kr, 1)) != 0 ||
	    (r = hk_keygen_req_set_application(kr, w->pe->application)) != 0 ||
	    (w->pe->user != NULL && (r = hk_keygen_req_set_user_id(kr,
	    (const uint8_t *)w->pe->user, strlen(w->pe->user))) != 0) ||
	    (r = hk_keygen_req_set_attestation_roots(kr, w->pe->attestation_roots)) != 0)
		goto out;
	if ((r = hk_token_keygen(w->tok, kr, &w->k)) != 0) {
		hk_error_copy(&w->e->error, hk_token_error(w->tok));
		goto out;
	}
	w->e->key_made = 1;
	if ((w->e->key_id = strdup(w->k->id_hex)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	sk_detail(w->k, w->flags, sizeof(w->flags));
	snprintf(detail, sizeof(detail), "credential %.16s made%s", w->k->id_hex,
	    w->pe->resident ? " (resident)" : "");
	/*
	 * The credential exists only in this process until recorded: its id,
	 * public key and attestation go in with the END row, durably, before
	 * anything else (the files) happens.
	 */
	if ((r = hk_key_set_comment(w->k->key, w->pe->label)) != 0 ||
	    (r = queue_op(w, POP_KEY, 0)) != 0 || (r = queue_entry(w, 0, 1, NULL)) != 0)
		goto out;
	if ((r = step_end(w, HK_PROV_STEP_KEYGEN, "keygen", NULL, NULL, detail)) != 0 ||
	    (r = flush(w)) != 0) {
		if (w->e->error.code == 0)
			hk_error_take(&w->e->error, r);
		hk_keygen_req_free(kr);
		hk_store_key_free(sk);
		return r;
	}
	hk_keygen_req_free(kr);
	hk_store_key_free(sk);
	return 0;
 out:
	hk_keygen_req_free(kr);
	hk_store_key_free(sk);
	if (r != 0 && w->e->error.code == 0)
		hk_error_take(&w->e->error, r);
	step_end(w, HK_PROV_STEP_KEYGEN, "keygen", NULL, r != 0 ? &w->e->error : NULL, detail);
	return r;
}

/* path holds the same key as want (0), or nothing (1), or something else (error). */
static int
sk_file_same(struct wctx *w, const char *path, int pub, const struct hk_token_key *k,
    int *missingp)
{
	struct hk_sk_file *f = NULL;
	struct hk_key *key = NULL;
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	int same = 0;

	*missingp = 0;
	if (lstat(path, &st) != 0) {
		*missingp = 1;
		return 0;
	}
	hk_err_clear();
	if (!S_ISREG(st.st_mode))
		same = 0;
	else if (!pub) {
		if (hk_sk_file_read(path, &f) == 0)
			same = hk_key_equal(f->key, k->key) && f->key_handle_len == k->idlen &&
			    memcmp(f->key_handle, k->id, k->idlen) == 0;
	} else if (hk_file_read(path, 1 << 20, &data, &len) == 0 &&
	    hk_key_parse(data, len, &key) == 0)
		same = hk_key_equal(key, k->key);
	hk_err_clear();
	hk_sk_file_free(f);
	hk_key_free(key);
	free(data);
	if (!same)
		return hk_error_set(&w->e->error, HK_ERR_EXISTS, "entry %s: %s holds another "
		    "key; not overwritten (move it away and run again)", w->pe->id, path);
	return 0;
}

/*
 * The key-handle file (0600) and .pub in the entry's output directory, each
 * atomically; a file that already holds this key stays, a missing one is
 * written (again), one holding another key is never replaced.
 */
static int
sk_write_files(struct wctx *w, char *detail, size_t size)
{
	char *priv = NULL, *line = NULL, *pub = NULL;
	size_t privlen = 0;
	int r, miss_priv = 0, miss_pub = 0;

	if (asprintf(&pub, "%s.pub", w->e->key_file) < 0) {
		pub = NULL;
		return HK_ERR_ALLOC;
	}
	if ((r = sk_file_same(w, w->e->key_file, 0, w->k, &miss_priv)) != 0 ||
	    (r = sk_file_same(w, pub, 1, w->k, &miss_pub)) != 0)
		goto out;
	hk_err_clear();
	if ((r = hk_sk_file_write(w->k->key, w->k->sk_flags, w->k->id, w->k->idlen, NULL,
	    &priv, &privlen)) != 0 || (r = hk_key_write(w->k->key, HK_FMT_OPENSSH, &line)) != 0)
		goto out;
	if (miss_priv && (r = hk_file_write_atomic(w->e->key_file, priv, privlen, 0600)) != 0)
		goto out;
	if (miss_pub && (r = hk_file_write_atomic(pub, line, strlen(line), 0644)) != 0)
		goto out;
	snprintf(detail, size, "%s%s", w->e->key_file, !miss_priv && !miss_pub ?
	    " and .pub already hold this key" : w->e->key_made ? " and .pub written" :
	    " and .pub written again from the inventory");
 out:
	if (priv != NULL)
		hk_freezero(priv, privlen);
	free(line);
	free(pub);
	return r;
}

static void
flags_text(const struct hk_token_key *k, char *buf, size_t size)
{
	unsigned int bit;
	const char *n;
	size_t len;

	buf[0] = '\0';
	for (bit = 1; bit <= HK_TKEY_F_PRIVATE; bit <<= 1) {
		if ((k->known & bit) == 0 || (k->flags & bit) == 0 ||
		    (n = hk_token_key_flag_name(bit)) == NULL)
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len > 0 ? "," : "", n);
	}
}

static int
proof_step(struct wctx *w, char *flags, size_t size)
{
	int r = 0;

	if ((r = step_begin(w, HK_PROV_STEP_PROOF, "proof", NULL,
	    hk_proof_kind_name(w->k->proof.kind))) != 0)
		return r;
	if (hk_plan_entry_is_sk(w->pe))
		snprintf(flags, size, "%s", w->flags);	/* sk flags and attestation */
	else
		flags_text(w->k, flags, size);
	if (!hk_token_key_proven(w->k))
		r = hk_error_set(&w->e->error, HK_ERR_KEY_EXTRACTABLE, "key %s on %s: %s",
		    w->k->id_hex, w->pe->token, w->k->proof.reason != NULL ?
		    w->k->proof.reason : "not proven to stay on the token");
	step_end(w, HK_PROV_STEP_PROOF, "proof", NULL, r != 0 ? &w->e->error : NULL, flags);
	return r;
}

static int
export_step(struct wctx *w, const char *flags)
{
	char *line = NULL, detail[4200] = "";
	size_t n;
	int r;

	if ((r = step_begin(w, HK_PROV_STEP_EXPORT, "export", NULL, NULL)) != 0)
		return r;
	if ((r = hk_key_set_comment(w->k->key, w->pe->label)) != 0 ||
	    (r = hk_key_write(w->k->key, HK_FMT_OPENSSH, &line)) != 0 ||
	    (r = hk_key_fingerprint(w->k->key, HK_FP_SHA256, &w->e->fingerprint)) != 0 ||
	    (w->sess != NULL && (r = hk_key_fingerprint(w->k->key, w->sess->caps->fp,
	    &w->e->cloud_fingerprint_expected)) != 0))
		goto out;
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	w->e->public_key = line;
	snprintf(w->flags, sizeof(w->flags), "%s", flags);
	if (hk_plan_entry_is_sk(w->pe)) {
		/* Recorded at keygen; what is left is the files ssh uses it through. */
		r = sk_write_files(w, detail, sizeof(detail));
		goto out;
	}
	/* The key record goes with the END row and the imports' BEGIN rows. */
	if ((r = queue_op(w, POP_KEY, 0)) == 0)
		r = queue_entry(w, 0, 1, NULL);
 out:
	if (r != 0 && w->e->error.code == 0)
		hk_error_take(&w->e->error, r);
	step_end(w, HK_PROV_STEP_EXPORT, "export", NULL, r != 0 ? &w->e->error : NULL,
	    detail[0] != '\0' ? detail : w->e->fingerprint);
	return r;
}

/* ---- imports: handed to the session's engine thread ---- */

static void
import_step_name(const struct wctx *w, const char *verb, const char *region, char *buf,
    size_t size)
{
	snprintf(buf, size, "%s %s %s %s", verb, w->pe->cloud, region, w->pe->name);
}

/* Engine thread: a (key, region) of ours settled. */
static void
on_import_event(void *arg, const struct hk_import_event *ev)
{
	struct wctx *w = arg;
	struct hk_prov_import *pi = NULL;
	size_t i;

	if (ev->kind != HK_IMPORT_EV_VERIFIED && ev->kind != HK_IMPORT_EV_FAILED &&
	    ev->kind != HK_IMPORT_EV_CANCELLED && ev->kind != HK_IMPORT_EV_UNSETTLED)
		return;
	pthread_mutex_lock(&w->p->lock);
	for (i = 0; i < w->e->nimports; i++)
		if (strcmp(w->e->imports[i].region, ev->result->region) == 0)
			pi = &w->e->imports[i];
	if (pi != NULL && pi->status == HK_IMPORT_PENDING) {
		pi->status = ev->result->status;
		if (ev->result->cloud_fingerprint != NULL)
			pi->cloud_fingerprint = strdup(ev->result->cloud_fingerprint);
		hk_error_copy(&pi->error, &ev->result->error);
		w->nsettled++;
		emit_locked(w, HK_PROV_EV_IMPORT, HK_PROV_STEP_IMPORT, pi->region, pi,
		    &pi->error, NULL);
		if (w->nsettled == w->e->nimports)
			pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->p->lock);
}

/* Every region not settled yet fails with e (engine thread, or the worker). */
static void
imports_fail_rest(struct wctx *w, const struct hk_error *e)
{
	size_t i;

	pthread_mutex_lock(&w->p->lock);
	for (i = 0; i < w->e->nimports; i++) {
		if (w->e->imports[i].status != HK_IMPORT_PENDING)
			continue;
		w->e->imports[i].status = e->code == HK_ERR_CANCELLED ? HK_IMPORT_CANCELLED :
		    HK_IMPORT_FAILED;
		hk_error_copy(&w->e->imports[i].error, e);
		w->nsettled++;
	}
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->p->lock);
}

/* Engine thread: queue this key into every region of the entry. */
static void
import_post(void *arg, int cancelled)
{
	struct wctx *w = arg;
	struct hk_import_req ir;
	const struct hk_key *keys[1] = { w->k->key };
	struct hk_error err;
	char regions[1024];
	size_t i, len;

	(void)cancelled;	/* a cancelled session settles everything as cancelled */
	regions[0] = '\0';
	for (i = 0; i < w->pe->nregions; i++) {
		len = strlen(regions);
		snprintf(regions + len, sizeof(regions) - len, "%s%s", i > 0 ? "," : "",
		    w->pe->regions[i]);
	}
	memset(&ir, 0, sizeof(ir));
	ir.keys = keys;
	ir.nkeys = 1;
	ir.name = w->pe->name;
	ir.regions = regions;
	ir.event = on_import_event;
	ir.arg = w;
	hk_error_clear(&err);
	if (hk_import_new(w->sess->caps, &ir, &w->imp, &err) != 0 ||
	    hk_import_start(w->imp, w->sess->c, &err) != 0)
		imports_fail_rest(w, &err);
}

static void
sess_release(struct wctx *w)
{
	if (w->held) {
		w->held = 0;
		hk_cloud_release(w->sess->c);
	}
}

static enum hk_store_import_status
store_status(const struct hk_prov_import *pi)
{
	switch (pi->status) {
	case HK_IMPORT_IMPORTED:
	case HK_IMPORT_PRESENT:
	case HK_IMPORT_REPLACED:
		return HK_STORE_IMPORT_VERIFIED;
	case HK_IMPORT_FAILED:
		return pi->error.code == HK_ERR_FINGERPRINT_MISMATCH ?
		    HK_STORE_IMPORT_MISMATCH : HK_STORE_IMPORT_FAILED;
	default:
		/* Cancelled, or may have landed: the next run settles it. */
		return HK_STORE_IMPORT_PENDING;
	}
}

static int
import_steps(struct wctx *w)
{
	struct hk_prov_import *pi;
	struct hk_error e;
	char step[512];
	size_t i, nok = 0, ncancel = 0;
	int r = 0;

	if ((w->import_ids = calloc(w->e->nimports + 1, sizeof(*w->import_ids))) == NULL)
		return HK_ERR_ALLOC;
	w->e->step = HK_PROV_STEP_IMPORT;
	/* Every region's record and BEGIN row in one flush, before anything is sent. */
	for (i = 0; i < w->e->nimports; i++) {
		import_step_name(w, "import", w->e->imports[i].region, step, sizeof(step));
		if ((r = queue_op(w, POP_IMPORT_PUT, i)) != 0 ||
		    (r = jrnl(w, step, HK_STORE_BEGIN, NULL, 0,
		    w->e->cloud_fingerprint_expected)) != 0)
			return r;
	}
	if ((r = flush(w)) != 0)
		return r;
	for (i = 0; i < w->e->nimports; i++)
		emit(w, HK_PROV_EV_STEP, HK_PROV_STEP_IMPORT, w->e->imports[i].region, NULL, NULL,
		    NULL);
	if (hk_cloud_post(w->sess->c, import_post, w) != 0) {
		hk_error_set(&e, HK_ERR_ALLOC, "out of memory");
		imports_fail_rest(w, &e);
	}
	pthread_mutex_lock(&w->p->lock);
	while (w->nsettled < w->e->nimports && !w->sess->ended)
		pthread_cond_wait(&w->cond, &w->p->lock);
	pthread_mutex_unlock(&w->p->lock);
	if (w->nsettled < w->e->nimports) {
		hk_error_set(&e, HK_ERR_HTTP, "the %s engine stopped", w->pe->cloud);
		imports_fail_rest(w, &e);
	}
	sess_release(w);
	/* The outcome of each region, recorded; then its fingerprint check. */
	for (i = 0; i < w->e->nimports; i++) {
		pi = &w->e->imports[i];
		import_step_name(w, "import", pi->region, step, sizeof(step));
		/* Recorded with the entry's final state (entry_final flushes). */
		if ((r = queue_op(w, POP_IMPORT_UPDATE, i)) != 0)
			return r;
		step_end(w, HK_PROV_STEP_IMPORT, step, pi->region,
		    pi->error.code != 0 ? &pi->error : NULL, hk_import_status_name(pi->status));
		if (store_status(pi) == HK_STORE_IMPORT_VERIFIED) {
			/* A comparison, no side effect: BEGIN and END go together. */
			import_step_name(w, "verify", pi->region, step, sizeof(step));
			hk_error_clear(&e);
			w->e->step = HK_PROV_STEP_VERIFY;
			if ((r = jrnl(w, step, HK_STORE_BEGIN, NULL, 0,
			    w->e->cloud_fingerprint_expected)) != 0)
				return r;
			emit(w, HK_PROV_EV_STEP, HK_PROV_STEP_VERIFY, pi->region, NULL, NULL, NULL);
			/* The import compared them; the record says what was compared. */
			if (pi->cloud_fingerprint == NULL || !hk_fp_equal(pi->cloud_fingerprint,
			    w->e->cloud_fingerprint_expected))
				hk_error_set(&e, HK_ERR_FINGERPRINT_MISMATCH, "%s: the cloud "
				    "reports %s, hwkey computes %s", pi->region,
				    pi->cloud_fingerprint != NULL ? pi->cloud_fingerprint : "none",
				    w->e->cloud_fingerprint_expected);
			step_end(w, HK_PROV_STEP_VERIFY, step, pi->region, &e,
			    pi->cloud_fingerprint);
			if (e.code == 0)
				nok++;
			else if (w->e->error.code == 0)
				hk_error_copy(&w->e->error, &e);
		} else if (pi->status == HK_IMPORT_CANCELLED || pi->status == HK_IMPORT_UNSETTLED ||
		    pi->status == HK_IMPORT_PENDING)
			ncancel++;
		else if (w->e->error.code == 0)
			hk_error_copy(&w->e->error, &pi->error);
	}
	if (nok == w->e->nimports)
		return 0;
	if (w->e->error.code == 0 && ncancel > 0)
		hk_error_set(&w->e->error, HK_ERR_CANCELLED, "cancelled: %zu of %zu regions "
		    "settled", w->e->nimports - ncancel, w->e->nimports);
	if (w->e->error.region[0] == '\0' && w->e->error.code != HK_ERR_CANCELLED)
		for (i = 0; i < w->e->nimports; i++)
			if (w->e->imports[i].error.code == w->e->error.code)
				snprintf(w->e->error.region, sizeof(w->e->error.region), "%s",
				    w->e->imports[i].region);
	return w->e->error.code;
}

/* Everything of one entry a worker does; the engine thread does the imports. */
static void
entry_run(struct wctx *w)
{
	char flags[160], detail[512];
	int r;

	if (w->pe->cloud != NULL)
		snprintf(detail, sizeof(detail), "%s %s label=%s -> %s %s name=%s", w->pe->token,
		    hk_key_kind_name(w->pe->kind), w->pe->label, w->pe->cloud, w->pe->regions[0],
		    w->pe->name);
	else
		snprintf(detail, sizeof(detail), "%s %s label=%s -> %s", w->pe->token,
		    hk_key_kind_name(w->pe->kind), w->pe->label, w->e->key_file);
	if ((r = step_begin(w, HK_PROV_STEP_INTENT, "intent", NULL, detail)) != 0 ||
	    (r = token_step(w)) != 0) {
		if (w->e->error.code == 0)
			hk_error_take(&w->e->error, r);
		step_end(w, HK_PROV_STEP_INTENT, "intent", NULL, &w->e->error, NULL);
		goto fail;
	}
	step_end(w, HK_PROV_STEP_INTENT, "intent", NULL, NULL, NULL);
	if ((r = hk_plan_entry_is_sk(w->pe) ? sk_keygen_step(w) : keygen_step(w)) != 0 ||
	    (r = proof_step(w, flags, sizeof(flags))) != 0 ||
	    (r = export_step(w, flags)) != 0)
		goto fail;
	/* The device's part is over: let the token go before the network wait. */
	hk_token_free(w->tok);
	w->tok = NULL;
	if (w->sess == NULL) {
		/* A security key: no cloud takes it; recorded and written, it is done. */
		entry_final(w, HK_PROV_DONE);
		return;
	}
	if ((r = import_steps(w)) != 0)
		goto fail;
	if (w->pe->nattach > 0) {
		w->attach_pending = 1;	/* on the calling thread, once the engines stop */
		return;
	}
	entry_final(w, HK_PROV_DONE);
	return;
 fail:
	sess_release(w);
	entry_fail(w, r);
}

static void *
worker_main(void *arg)
{
	struct prov *p = arg;
	struct wctx *w;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->next < p->res->n && !p->w[p->next].runnable)
			p->next++;
		i = p->next < p->res->n ? p->next++ : p->res->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->res->n)
			break;
		w = &p->w[i];
		if (hk_ui_cancelled(p->req->ui)) {
			sess_release(w);
			hk_error_set(&w->e->error, HK_ERR_CANCELLED, "cancelled before it started");
			entry_final(w, HK_PROV_CANCELLED);
			continue;
		}
		w->t0 = mono();
		entry_run(w);
		w->e->seconds = mono() - w->t0;
		w->e->store_seconds = w->store_s;
		/* This thread's PKCS#11 and store detail stays its own. */
		hk_err_clear();
	}
	return NULL;
}

static void *
sess_main(void *arg)
{
	struct sess *s = arg;
	size_t i;

	hk_cloud_run(s->c);
	pthread_mutex_lock(&s->p->lock);
	s->ended = 1;
	for (i = 0; i < s->p->res->n; i++)
		if (s->p->w[i].sess == s)
			pthread_cond_signal(&s->p->w[i].cond);
	pthread_mutex_unlock(&s->p->lock);
	return NULL;
}

/* ---- before the threads: tokens, PINs, sessions (calling thread) ---- */

static struct sess *
sess_for(struct prov *p, const char *provider)
{
	struct hk_cloud_opts o;
	struct sess *s;
	size_t i, nreg = 0;
	int r;

	for (i = 0; i < p->nsess; i++)
		if (strcmp(p->sess[i].provider, provider) == 0)
			return &p->sess[i];
	if (p->nsess == PROV_SESSIONS_MAX)
		return NULL;
	s = &p->sess[p->nsess++];
	s->p = p;
	s->provider = provider;
	s->caps = hk_cloud_caps_find(provider);
	o = *p->req->cloud;
	o.provider = provider;
	o.ui = p->req->ui;
	for (i = 0; i < p->res->n; i++)
		if (p->req->plan->entries[i].cloud != NULL &&
		    strcmp(p->req->plan->entries[i].cloud, provider) == 0 &&
		    p->req->plan->entries[i].nregions > nreg)
			nreg = p->req->plan->entries[i].nregions;
	o.nregions_hint = nreg;
	hk_err_clear();
	if ((r = hk_cloud_open(&o, &s->c)) != 0)
		hk_error_take(&s->err, r);
	return s;
}

/* Fail an entry before its worker would have started (nothing was made). */
static void
entry_fail_early(struct wctx *w, const struct hk_error *e)
{
	hk_error_copy(&w->e->error, e);
	if (w->entry_id != 0) {
		jrnl(w, "intent", HK_STORE_BEGIN, NULL, 0, w->pe->token);
		jrnl(w, "intent", HK_STORE_END, "failed", e->code, hk_error_message(e));
	}
	entry_fail(w, e->code);
}

/*
 * A done security-key entry whose key-handle file or .pub is gone runs
 * again: its credential is recorded, so the run only writes the files.
 */
static int
sk_files_missing(const struct wctx *w)
{
	char path[4096 + 8];
	struct stat st;

	if (!hk_plan_entry_is_sk(w->pe) || w->e->key_file == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s.pub", w->e->key_file);
	return lstat(w->e->key_file, &st) != 0 || lstat(path, &st) != 0;
}

static int
prepare(struct prov *p)
{
	const struct hk_token_info *info;
	struct hk_store_entry *se;
	struct hk_tokens *ts;
	struct wctx *w;
	struct hk_error e;
	char prompt[512];
	size_t i;
	double t0;
	int r, opened = 0;

	/* Every entry's record (made when missing) in one transaction. */
	t0 = mono();
	hk_err_clear();
	if ((r = hk_store_batch_begin(p->st)) != 0)
		return hk_error_take(&p->res->err, r);
	for (i = 0; i < p->res->n && r == 0; i++) {
		w = &p->w[i];
		se = NULL;
		if ((r = hk_store_entry_get(p->st, p->req->plan->id, w->pe->id, &se)) != 0)
			break;
		w->entry_id = se->id;
		w->prev_key_id = se->key_id;
		/* A keygen row is only ever written with the entry's state: none, no row. */
		w->prev_started = se->state != NULL;
		if (se->state != NULL && strcmp(se->state, PROV_STATE_DONE) == 0 &&
		    !sk_files_missing(w)) {
			/* Done by an earlier run: reported, not repeated. */
			r = hk_prov_entry_from_store(p->st, se, w->e);
			w->e->state = HK_PROV_DONE;
			w->e->already_done = 1;
		}
		hk_store_entry_free(se);
	}
	r = hk_store_batch_end(p->st, r);
	p->store_s += mono() - t0;
	p->store_n++;
	if (r != 0)
		return hk_error_take(&p->res->err, r);
	for (i = 0; i < p->res->n; i++) {
		w = &p->w[i];
		if (w->e->already_done) {
			p->res->nalready++;
			emit(w, HK_PROV_EV_ENTRY, HK_PROV_STEP_DONE, NULL, NULL, NULL, NULL);
			continue;
		}
		if (!opened) {
			hk_err_clear();
			if ((r = hk_tokens_open(p->req->module, &p->ts)) != 0)
				return hk_error_take(&p->res->err, r);
			opened = 1;
		}
		if (w->pe->cloud == NULL)
			w->sess = NULL;		/* a security key: no cloud */
		else if ((w->sess = sess_for(p, w->pe->cloud)) == NULL) {
			hk_error_set(&e, HK_ERR_NOT_SUPPORTED, "more than %d clouds in one plan",
			    PROV_SESSIONS_MAX);
			entry_fail_early(w, &e);
			continue;
		}
		if (w->sess != NULL && w->sess->err.code != 0) {
			entry_fail_early(w, &w->sess->err);
			continue;
		}
		hk_err_clear();
		ts = p->ts;
		if (p->req->module != NULL && strncmp(w->pe->token, "fido:", 5) == 0) {
			/* The module is the PKCS#11 entries'; a security key needs none. */
			if (p->fts == NULL && (r = hk_tokens_open_scheme(w->pe->token,
			    &p->fts)) != 0) {
				hk_error_take(&e, r);
				entry_fail_early(w, &e);
				continue;
			}
			ts = p->fts;
		}
		if (hk_token_select(ts, w->pe->token, &w->tok) != 0) {
			entry_fail_early(w, hk_tokens_error(ts));
			continue;
		}
		w->ui.secret = ui_pin;
		w->ui.cancelled = ui_cancelled;
		w->ui.touch = ui_touch;
		w->ui.arg = w;
		hk_token_set_ui(w->tok, &w->ui);
		info = hk_token_get_info(w->tok);
		/* A security key with a PIN wants it for makeCredential (and its listing). */
		if (((info->flags & HK_TOKEN_F_LOGIN_REQUIRED) || (info->fido2 != NULL &&
		    (info->fido2->has_pin || w->pe->verify_required))) && p->req->pin != NULL) {
			snprintf(prompt, sizeof(prompt), "PIN for %s %s (%s): ",
			    info->fido2 != NULL ? "security key" : "token",
			    info->fido2 != NULL ? info->uri : info->label, w->pe->id);
			hk_err_clear();
			if ((r = p->req->pin(p->req->arg, w->pe, prompt, &w->pin)) != 0) {
				hk_error_take(&e, r);
				entry_fail_early(w, &e);
				continue;
			}
		}
		w->runnable = 1;
		if (w->sess != NULL)
			w->sess->users++;
	}
	return 0;
}

/* ---- after the engines stop: attach (calling thread, the same sessions) ---- */

static void
attach_phase(struct prov *p)
{
	struct hk_cloud_op_result *res = NULL;
	struct hk_cloud_summary sum;
	struct hk_error e;
	struct wctx *w;
	char step[512];
	size_t i, n = 0;
	int r;

	for (i = 0; i < p->res->n; i++) {
		w = &p->w[i];
		if (!w->attach_pending)
			continue;
		snprintf(step, sizeof(step), "attach %s %s %s", w->pe->cloud, w->pe->regions[0],
		    w->pe->name);
		hk_error_clear(&e);
		if (step_begin(w, HK_PROV_STEP_ATTACH, step, w->pe->regions[0], w->pe->attach[0])
		    != 0) {
			entry_fail(w, w->e->error.code);
			continue;
		}
		memset(&sum, 0, sizeof(sum));
		hk_err_clear();
		if (hk_ui_cancelled(p->req->ui))
			hk_error_set(&e, HK_ERR_CANCELLED, "cancelled before attach");
		else if ((r = hk_cloud_attach(w->sess->c, w->pe->regions[0], w->pe->name,
		    w->pe->attach, w->pe->nattach, 0, &res, &n, &sum)) != 0)
			hk_error_take(&e, r);
		else if (sum.nfailed > 0)
			hk_error_copy(&e, sum.first);
		else
			w->e->nattached = n;
		hk_cloud_op_results_free(res, n);
		res = NULL;
		n = 0;
		step_end(w, HK_PROV_STEP_ATTACH, step, w->pe->regions[0], &e, NULL);
		if (e.code != 0) {
			hk_error_copy(&w->e->error, &e);
			entry_fail(w, e.code);
		} else
			entry_final(w, HK_PROV_DONE);
	}
}

/* ---- the run ---- */

static void
prov_free(struct prov *p)
{
	size_t i;

	for (i = 0; p->w != NULL && i < p->res->n; i++) {
		hk_import_free(p->w[i].imp);
		hk_token_key_free(p->w[i].k);
		hk_token_free(p->w[i].tok);
		hk_secret_free(p->w[i].pin);
		free(p->w[i].import_ids);
		pend_clear(&p->w[i]);
		free(p->w[i].pend);
		pthread_cond_destroy(&p->w[i].cond);
	}
	free(p->w);
	for (i = 0; i < p->nsess; i++)
		hk_cloud_free(p->sess[i].c);
	hk_tokens_free(p->ts);
	hk_tokens_free(p->fts);
	hk_store_close(p->st);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->wlock);
	pthread_cond_destroy(&p->wcond);
	pthread_cond_destroy(&p->dcond);
}

static const char *
outcome_word(int r)
{
	switch (r) {
	case 0:
		return "ok";
	case HK_ERR_PARTIAL:
		return "partial";
	case HK_ERR_INTERRUPTED:
		return "interrupted";
	default:
		return "failed";
	}
}

int
hk_prov_run(const struct hk_prov_req *req, struct hk_prov_result **resp)
{
	struct prov p;
	struct hk_prov_result *res;
	const struct hk_error *first = NULL;
	char where[256], host[128];
	pthread_t *th = NULL;
	size_t i, nth, nstarted = 0, nrun = 0;
	double t0 = mono();
	int r;

	*resp = NULL;
	if ((r = hk_prov_result_new(req->plan, &res)) != 0)
		return r;
	*resp = res;
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.res = res;
	pthread_mutex_init(&p.lock, NULL);
	pthread_mutex_init(&p.wlock, NULL);
	pthread_cond_init(&p.wcond, NULL);
	pthread_cond_init(&p.dcond, NULL);
	p.nremaining = res->n;
	if ((p.w = calloc(res->n, sizeof(*p.w))) == NULL) {
		r = hk_error_set(&res->err, HK_ERR_ALLOC, "out of memory");
		goto out;
	}
	for (i = 0; i < res->n; i++) {
		p.w[i].p = &p;
		p.w[i].index = i;
		p.w[i].pe = &req->plan->entries[i];
		p.w[i].e = &res->entries[i];
		pthread_cond_init(&p.w[i].cond, NULL);
	}
	hk_err_clear();
	STORE(&p.store_s, &p.store_n, r, hk_store_open(req->inventory, HK_STORE_CREATE, &p.st));
	if (r != 0) {
		hk_error_take(&res->err, r);
		goto out;
	}
	/* Without the writer thread each flush commits by itself (slower, still correct). */
	if (pthread_create(&p.writer, NULL, writer_main, &p) == 0)
		p.writer_started = 1;
	if (req->station == NULL && gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	STORE(&p.store_s, &p.store_n, r, hk_store_run_begin(p.st, req->plan->id,
	    req->station != NULL ? req->station : host, &p.run_id));
	if (r != 0) {
		hk_error_take(&res->err, r);
		goto out;
	}
	if ((r = prepare(&p)) != 0)
		goto out;
	for (i = 0; i < res->n; i++)
		if (p.w[i].runnable) {
			nrun++;
			if (p.w[i].sess != NULL) {
				p.w[i].held = 1;
				hk_cloud_hold(p.w[i].sess->c);
			}
		}
	/* Engines first: a worker's key goes out the moment it exists. */
	for (i = 0; i < p.nsess; i++) {
		if (p.sess[i].c == NULL || p.sess[i].users == 0)
			continue;
		if (pthread_create(&p.sess[i].th, NULL, sess_main, &p.sess[i]) == 0)
			p.sess[i].started = 1;
		else
			p.sess[i].ended = 1;
	}
	nth = req->workers > 0 && req->workers < nrun ? req->workers : nrun;
	if (nth > 0 && (th = calloc(nth, sizeof(*th))) == NULL) {
		r = hk_error_set(&res->err, HK_ERR_ALLOC, "out of memory");
		nth = 0;
	}
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker_main, &p) == 0)
			nstarted++;
		else
			break;
	if (nstarted == 0 && nrun > 0)
		worker_main(&p);	/* no thread at all: do it here, one by one */
	for (i = 0; i < nstarted; i++)
		pthread_join(th[i], NULL);
	free(th);
	for (i = 0; i < p.nsess; i++)
		if (p.sess[i].started)
			pthread_join(p.sess[i].th, NULL);
	attach_phase(&p);
	/* Whatever a worker never reached (a failed thread start) still counts. */
	for (i = 0; i < res->n; i++)
		if (res->entries[i].state == HK_PROV_PENDING && p.w[i].runnable) {
			sess_release(&p.w[i]);
			hk_error_set(&res->entries[i].error, HK_ERR_CANCELLED, "not started");
			entry_final(&p.w[i], HK_PROV_CANCELLED);
		}
	r = 0;
 out:
	if (p.writer_started) {
		pthread_mutex_lock(&p.wlock);
		p.writer_stop = 1;
		pthread_cond_signal(&p.wcond);
		pthread_mutex_unlock(&p.wlock);
		pthread_join(p.writer, NULL);
		p.writer_started = 0;
	}
	res->ndone = res->nfailed = res->ncancelled = 0;
	for (i = 0; i < res->n; i++) {
		struct hk_prov_entry *e = &res->entries[i];

		if (e->state == HK_PROV_DONE)
			res->ndone++;
		else if (e->state == HK_PROV_FAILED || (r != 0 && e->state == HK_PROV_PENDING)) {
			if (res->nfailed++ == 0 && e->error.code != 0) {
				first = &e->error;
				snprintf(where, sizeof(where), "%s", e->plan->id);
			}
		} else
			res->ncancelled++;
	}
	if (r == 0) {
		if (first == NULL && res->nfailed > 0)
			res->nfailed = 0;	/* cannot happen: a failure has its error */
		r = hk_op_batch_outcome(res->n, res->nfailed, res->ncancelled, first,
		    first != NULL ? where : NULL, &res->err);
	}
	if (p.st != NULL && p.run_id != 0) {
		int rr;

		STORE(&p.store_s, &p.store_n, rr, hk_store_run_end(p.st, p.run_id,
		    outcome_word(r)));
		(void)rr;
	}
	res->store_seconds = p.store_s;
	res->store_calls = p.store_n;
	for (i = 0, nrun = 0; p.w != NULL && i < res->n; i++) {
		res->store_seconds += p.w[i].store_s;
		res->store_calls += p.w[i].store_n;
		if (res->entries[i].seconds > 0) {
			res->store_share += res->entries[i].store_seconds / res->entries[i].seconds;
			nrun++;
		}
	}
	if (nrun > 0)
		res->store_share /= (double)nrun;
	res->store_busy_seconds = p.store_s + p.writer_s;
	for (i = 0; p.w != NULL && i < res->n; i++)
		res->store_busy_seconds += p.w[i].read_s;
	prov_free(&p);
	res->seconds = mono() - t0;
	if (res->seconds > 0)
		res->store_wall_share = res->store_busy_seconds / res->seconds;
	return r;
}
