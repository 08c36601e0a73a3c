/* The signal half of cancelling a cloud command: the handler only sets a
 * flag (async-signal-safe); the HTTP engine polls it through hk_ui.cancelled
 * and stops sending. A second signal is the user insisting: default action. */
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "cli_interrupt.h"

/*
 * Read by every thread that polls for a cancel (hwkey provision's token
 * workers and HTTP engines), written by the handler: a lock-free atomic,
 * which C11 allows in a signal handler, where sig_atomic_t would race.
 */
static atomic_int interrupted;
static int installed;

static void
on_signal(int sig)
{
	struct sigaction dfl;

	if (atomic_exchange(&interrupted, 1) == 0)
		return;
	/* Second one: die by it now, as an uncaught signal would (128 + sig). */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(sig, &dfl, NULL);
	(void)raise(sig);
}

static int
ui_cancelled(void *arg)
{
	(void)arg;
	return atomic_load(&interrupted) != 0;
}

void
hk_cli_interrupt_install(struct hk_ui *ui)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	if (ui != NULL)
		ui->cancelled = ui_cancelled;
	if (installed)
		return;
	installed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a confirmation prompt's read returns, as a refusal. */
	sa.sa_flags = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* Ignored when we started (a background job of a script): keep it so. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		(void)sigaction(sigs[i], &sa, NULL);
	}
}

int
hk_cli_interrupted(void)
{
	return atomic_load(&interrupted) != 0;
}
