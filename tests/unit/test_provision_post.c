/* Unit tests for feeding the HTTP engine from other threads (hk_http_post,
 * hold, release: what the provisioning engine's token workers use): posted
 * work runs on the engine's thread, in order, while a hold keeps the engine
 * waiting; the last release lets hk_http_run return; after a cancel posted
 * work still runs, told it is cancelled. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "http.h"

#define NPOSTERS	8
#define NPOSTS		50

struct run {
	struct hk_http *h;
	pthread_t engine;		/* the thread in hk_http_run */
	pthread_mutex_t lock;
	int seen[NPOSTERS];		/* the last sequence number seen per poster */
	int in_order, on_engine, ran, cancelled_seen, timers;
	int rc;
};

struct post {
	struct run *run;
	int poster, seq;
};

static void
on_timer(void *arg, int cancelled)
{
	struct run *run = arg;

	(void)cancelled;
	run->timers++;
}

static void
on_post(void *arg, int cancelled)
{
	struct post *p = arg;
	struct run *run = p->run;

	pthread_mutex_lock(&run->lock);
	if (!pthread_equal(pthread_self(), run->engine))
		run->on_engine = 0;
	if (p->seq != run->seen[p->poster] + 1)
		run->in_order = 0;
	run->seen[p->poster] = p->seq;
	run->ran++;
	if (cancelled)
		run->cancelled_seen++;
	pthread_mutex_unlock(&run->lock);
	/* Posted work may queue more work on the engine (imports do). */
	if (p->seq == NPOSTS)
		assert_int_equal(hk_http_defer(run->h, 1, on_timer, run), 0);
	free(p);
}

static void *
engine_main(void *arg)
{
	struct run *run = arg;

	run->rc = hk_http_run(run->h);
	return NULL;
}

struct poster {
	struct run *run;
	int id;
};

static void *
poster_main(void *arg)
{
	struct poster *ps = arg;
	struct post *p;
	int i;

	for (i = 1; i <= NPOSTS; i++) {
		p = calloc(1, sizeof(*p));
		assert_non_null(p);
		p->run = ps->run;
		p->poster = ps->id;
		p->seq = i;
		assert_int_equal(hk_http_post(ps->run->h, on_post, p), 0);
		if (i % 10 == 0)
			usleep(1000);
	}
	hk_http_release(ps->run->h);
	return NULL;
}

static void
run_init(struct run *run, int hold)
{
	struct hk_http_opts o;
	int i;

	memset(run, 0, sizeof(*run));
	memset(&o, 0, sizeof(o));
	assert_int_equal(hk_http_new(&o, &run->h), 0);
	pthread_mutex_init(&run->lock, NULL);
	run->in_order = run->on_engine = 1;
	for (i = 0; i < hold; i++)
		hk_http_hold(run->h);
}

static void
test_posts_from_threads(void **state)
{
	struct poster ps[NPOSTERS];
	pthread_t th[NPOSTERS];
	struct run run;
	int i;

	(void)state;
	run_init(&run, NPOSTERS);
	assert_int_equal(pthread_create(&run.engine, NULL, engine_main, &run), 0);
	for (i = 0; i < NPOSTERS; i++) {
		ps[i].run = &run;
		ps[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, poster_main, &ps[i]), 0);
	}
	for (i = 0; i < NPOSTERS; i++)
		pthread_join(th[i], NULL);
	/* The engine returns only once every hold is released and the work is done. */
	pthread_join(run.engine, NULL);
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.ran, NPOSTERS * NPOSTS);
	assert_true(run.in_order);
	assert_true(run.on_engine);
	assert_int_equal(run.cancelled_seen, 0);
	assert_int_equal(run.timers, NPOSTERS);
	hk_http_free(run.h);
	pthread_mutex_destroy(&run.lock);
}

/* Without a hold an idle engine returns at once; with one it waits. */
static void
test_hold_keeps_it_waiting(void **state)
{
	struct run run;
	struct post *p;
	struct timespec ts = { 0, 50 * 1000000L };

	(void)state;
	run_init(&run, 0);
	run.engine = pthread_self();
	assert_int_equal(hk_http_run(run.h), 0);
	hk_http_hold(run.h);
	assert_int_equal(pthread_create(&run.engine, NULL, engine_main, &run), 0);
	nanosleep(&ts, NULL);
	/* Still running: nothing posted, the hold stands. */
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->run = &run;
	p->seq = 1;
	assert_int_equal(hk_http_post(run.h, on_post, p), 0);
	hk_http_release(run.h);
	pthread_join(run.engine, NULL);
	assert_int_equal(run.ran, 1);
	assert_true(run.on_engine);
	hk_http_free(run.h);
	pthread_mutex_destroy(&run.lock);
}

/* After a cancel, posts still run (so a worker's imports settle) and say so. */
static void
test_post_after_cancel(void **state)
{
	struct run run;
	struct post *p;

	(void)state;
	run_init(&run, 1);
	hk_http_cancel(run.h);
	assert_int_equal(pthread_create(&run.engine, NULL, engine_main, &run), 0);
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->run = &run;
	p->seq = 1;
	assert_int_equal(hk_http_post(run.h, on_post, p), 0);
	hk_http_release(run.h);
	pthread_join(run.engine, NULL);
	assert_int_equal(run.ran, 1);
	assert_int_equal(run.cancelled_seen, 1);
	hk_http_free(run.h);
	pthread_mutex_destroy(&run.lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posts_from_threads),
		cmocka_unit_test(test_hold_keeps_it_waiting),
		cmocka_unit_test(test_post_after_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
