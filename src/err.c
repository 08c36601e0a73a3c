/* hwkey error table: text, names and exit classes, and the per-thread detail. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

struct hk_err_info {
	int code;
	int exit;
	const char *name;
	const char *msg;
};

static const struct hk_err_info hk_errs[] = {
#define HK_ERR_ROW(name, value, exit, msg) { value, exit, #name, msg },
	HK_ERR_TABLE(HK_ERR_ROW)
#undef HK_ERR_ROW
};

static _Thread_local char hk_detail[1024];
static _Thread_local int hk_detail_code;

static const struct hk_err_info *
hk_err_lookup(int err)
{
	size_t i;

	for (i = 0; i < sizeof(hk_errs) / sizeof(hk_errs[0]); i++)
		if (hk_errs[i].code == err)
			return &hk_errs[i];
	return NULL;
}

const char *
hk_strerror(int err)
{
	const struct hk_err_info *e;

	if (err == HK_OK)
		return "success";
	if ((e = hk_err_lookup(err)) == NULL)
		return "unknown error";
	return e->msg;
}

const char *
hk_err_name(int err)
{
	const struct hk_err_info *e;

	if (err == HK_OK)
		return "HK_OK";
	if ((e = hk_err_lookup(err)) == NULL)
		return "HK_ERR_UNKNOWN";
	return e->name;
}

int
hk_err_exit(int err)
{
	const struct hk_err_info *e;

	if (err == HK_OK)
		return HK_EXIT_OK;
	if ((e = hk_err_lookup(err)) == NULL)
		return HK_EXIT_FAILURE;
	return e->exit;
}

int
hk_verrf(int err, const char *fmt, va_list ap)
{
	vsnprintf(hk_detail, sizeof(hk_detail), fmt, ap);
	hk_detail_code = err;
	return err;
}

int
hk_errf(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hk_verrf(err, fmt, ap);
	va_end(ap);
	return err;
}

const char *
hk_err_detail(void)
{
	return hk_detail;
}

void
hk_err_clear(void)
{
	hk_detail[0] = '\0';
	hk_detail_code = 0;
}

void
hk_error_clear(struct hk_error *e)
{
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

int
hk_error_set(struct hk_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	hk_error_clear(e);
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return code;
}

int
hk_error_take(struct hk_error *e, int code)
{
	hk_error_clear(e);
	if (code == 0)
		return 0;
	e->code = code;
	if (hk_detail_code == code && hk_detail[0] != '\0')
		snprintf(e->message, sizeof(e->message), "%s", hk_detail);
	hk_err_clear();
	return code;
}

int
hk_error_copy(struct hk_error *dst, const struct hk_error *src)
{
	if (dst != src)
		memcpy(dst, src, sizeof(*dst));
	return src->code;
}

int
hk_error_raise(const struct hk_error *e)
{
	if (e->code == 0)
		return 0;
	return hk_errf(e->code, "%s", e->message);
}

const char *
hk_error_message(const struct hk_error *e)
{
	return e->message[0] != '\0' ? e->message : hk_strerror(e->code);
}
