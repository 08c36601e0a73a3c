/* hwkey key: placeholder until its issue lands; replaced by the real command. */
#include "cli.h"
#include "err.h"

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return hk_cli_usage_error(cmd, "not built yet");
}

const struct hk_cmd hk_cmd_key = {
	.name = "key",
	.summary = "(not built yet)",
	.run = run,
};
