/* NULL-tolerant calls into the front end's struct hk_ui. */
#include "err.h"
#include "ui.h"

int
hk_ui_secret(const struct hk_ui *ui, enum hk_ui_secret which, const char *prompt,
    struct hk_secret **secp)
{
	*secp = NULL;
	if ((unsigned int)which >= HK_UI_SECRET_COUNT || ui == NULL || ui->secret == NULL)
		return hk_errf(HK_ERR_PIN_REQUIRED, "%s: no way to ask for it", prompt);
	return ui->secret(ui->arg, which, prompt, secp);
}

void
hk_ui_touch(const struct hk_ui *ui, const char *prompt)
{
	if (ui != NULL && ui->touch != NULL)
		ui->touch(ui->arg, prompt);
}

void
hk_ui_progress(const struct hk_ui *ui, const char *what, const char *item,
    size_t done, size_t total)
{
	struct hk_ui_progress p = { what, item, done, total };

	if (ui != NULL && ui->progress != NULL)
		ui->progress(ui->arg, &p);
}

int
hk_ui_cancelled(const struct hk_ui *ui)
{
	return ui != NULL && ui->cancelled != NULL && ui->cancelled(ui->arg) != 0;
}
