/* SIGINT/SIGTERM for the cloud commands: the first one asks the library to
 * stop (nothing new is sent, calls in flight settle, the results are printed,
 * exit 16); the second one ends the process at once by the signal (130/143). */
#ifndef HK_CLI_INTERRUPT_H
#define HK_CLI_INTERRUPT_H

#include "ui.h"

/* Install the handlers (idempotent); ui gets the cancelled() member. */
void hk_cli_interrupt_install(struct hk_ui *ui);
/* Non-zero once a SIGINT or SIGTERM arrived. */
int hk_cli_interrupted(void);

#endif /* HK_CLI_INTERRUPT_H */
