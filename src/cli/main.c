/* hwkey: git-style dispatcher over the subcommand table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_ssh.h"
#include "cloud.h"
#include "err.h"
#include "key.h"
#include "token.h"

/* Sorted by name; "hwkey --help" lists them in this order. */
static const struct hk_cmd *const commands[] = {
	&hk_cmd_agent,
	&hk_cmd_audit,
	&hk_cmd_cloud,
	&hk_cmd_convert,
	&hk_cmd_doctor,
	&hk_cmd_export,
	&hk_cmd_fingerprint,
	&hk_cmd_import,
	&hk_cmd_inventory,
	&hk_cmd_key,
	&hk_cmd_keygen,
	&hk_cmd_keys,
	&hk_cmd_login,
	&hk_cmd_pin,
	&hk_cmd_provision,
	&hk_cmd_ssh_config,
	&hk_cmd_token,
	&hk_cmd_tokens,
	&hk_cmd_windows_password,
	NULL,
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: hwkey [--version] [--help] [--completion bash|zsh] COMMAND [ARGS]\n\n"
	    "SSH keys whose private half lives on hardware: generate them on\n"
	    "PKCS#11 tokens, export and fingerprint them exactly as ssh-keygen does,\n"
	    "and import them into cloud key-pair services.\n\nCommands:\n");
	for (i = 0; commands[i] != NULL; i++)
		fprintf(fp, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(fp, "\nSee 'hwkey help COMMAND' and man hwkey-COMMAND.\n");
}

static const struct hk_cmd *
lookup(const struct hk_cmd *const *table, const char *name)
{
	size_t i;

	for (i = 0; table[i] != NULL; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

/* For the man page test: every command (and verb) with each of its options. */
static void
list_options(const struct hk_cmd *cmd, const char *page)
{
	const struct hk_opt *o;
	size_t i;

	if (strcmp(cmd->summary, "(not built yet)") == 0)
		return;
	if (cmd->verbs != NULL) {
		for (i = 0; cmd->verbs[i] != NULL; i++)
			list_options(cmd->verbs[i], page);
		return;
	}
	printf("%s\t%s\t\n", page, cmd->name);
	for (o = cmd->opts; o != NULL && o->name != NULL; o++)
		printf("%s\t%s\t--%s\n", page, cmd->name, o->name);
}

int
main(int argc, char **argv)
{
	const struct hk_cmd *cmd, *verb;
	const char *base;
	size_t i;

	/* ssh runs hwkey as its SSH_ASKPASS (hwkey login, hwkey agent add). */
	base = argc > 0 && argv[0] != NULL ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 && argv[0] != NULL ? argv[0] : "";
	if (strcmp(base, HK_CLI_ASKPASS_NAME) == 0)
		return hk_cli_askpass_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return HK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return HK_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		char buf[256];

		printf("hwkey %s\n", HK_VERSION);
		printf("token backends: %s\n", hk_tokens_backends(buf, sizeof(buf)));
		printf("cloud providers: %s\n", hk_cloud_provider_names(buf, sizeof(buf)));
		printf("http: %s\n", hk_cloud_transport_version());
		printf("crypto: %s\n", hk_key_crypto_version());
		return HK_EXIT_OK;
	}
	if (strncmp(argv[1], "--completion", 12) == 0) {
		const char *shell = argv[1][12] == '=' ? argv[1] + 13 : argc > 2 ? argv[2] : "";

		return hk_cli_completion(commands, shell, stdout) == 0 ? HK_EXIT_OK :
		    HK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--list-options") == 0) {
		for (i = 0; commands[i] != NULL; i++)
			list_options(commands[i], commands[i]->name);
		return HK_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return HK_EXIT_OK;
		}
		if ((cmd = lookup(commands, argv[2])) == NULL) {
			fprintf(stderr, "hwkey: no such command '%s'\n", argv[2]);
			return HK_EXIT_USAGE;
		}
		if (argc > 3 && cmd->verbs != NULL) {
			if ((verb = lookup(cmd->verbs, argv[3])) == NULL) {
				fprintf(stderr, "hwkey: no such verb '%s %s'\n", argv[2], argv[3]);
				return HK_EXIT_USAGE;
			}
			cmd = verb;
		}
		hk_cli_usage(cmd, stdout);
		return HK_EXIT_OK;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "hwkey: unknown option %s\nTry 'hwkey --help'.\n", argv[1]);
		return HK_EXIT_USAGE;
	}
	if ((cmd = lookup(commands, argv[1])) == NULL) {
		const char *names[sizeof(commands) / sizeof(commands[0])], *near;

		for (i = 0; commands[i] != NULL; i++)
			names[i] = commands[i]->name;
		if ((near = hk_cli_suggest(argv[1], names, i)) != NULL)
			fprintf(stderr, "hwkey: '%s' is not a command; did you mean '%s'? "
			    "See 'hwkey --help'.\n", argv[1], near);
		else
			fprintf(stderr, "hwkey: '%s' is not a command. See 'hwkey --help'.\n",
			    argv[1]);
		return HK_EXIT_USAGE;
	}
	return hk_cli_run(cmd, argc - 1, argv + 1);
}
