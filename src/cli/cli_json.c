/* The one --json error object (docs/hwkey-json.7, docs/json/common.schema.json). */
#include <stdio.h>

#include "cli.h"

json_t *
hk_cli_error_json(const struct hk_error *e)
{
	json_t *o;

	if ((o = json_pack("{s:s,s:s,s:i}", "code", hk_err_name(e->code), "message",
	    hk_error_message(e), "exit", hk_err_exit(e->code))) == NULL)
		return NULL;
	/* Where, when known: only the fields that apply. */
	if (e->file[0] != '\0')
		json_object_set_new(o, "file", json_string(e->file));
	if (e->line != 0)
		json_object_set_new(o, "line", json_integer((json_int_t)e->line));
	if (e->token[0] != '\0')
		json_object_set_new(o, "token", json_string(e->token));
	if (e->region[0] != '\0')
		json_object_set_new(o, "region", json_string(e->region));
	if (e->provider_code[0] != '\0')
		json_object_set_new(o, "provider_code", json_string(e->provider_code));
	if (e->request_id[0] != '\0')
		json_object_set_new(o, "request_id", json_string(e->request_id));
	if (e->http_status != 0)
		json_object_set_new(o, "http_status", json_integer(e->http_status));
	return o;
}

void
hk_cli_print_error_json(const struct hk_error *e)
{
	json_t *err = hk_cli_error_json(e);

	/* After the text on stderr, so a terminal shows them in order. */
	fflush(stderr);
	if (err != NULL)
		hk_cli_print_json(json_pack("{s:o}", "error", err));
}

int
hk_cli_fail_json(const struct hk_cmd *cmd, const struct hk_error *e)
{
	/* The human text still goes to stderr; stdout carries the document. */
	(void)hk_cli_fail_error(cmd, e);
	hk_cli_print_error_json(e);
	return hk_err_exit(e->code);
}
