/* Unit tests for hk_secret sources (env:, file:, fd:) and for the CLI's
 * secret entry (source once, askpass, no-terminal refusal). */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "cli_secret.h"
#include "secret.h"

static char tmpdir[] = "/tmp/hk-test-secret.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* A tty-less, display-less default for every test. */
	unsetenv("SSH_ASKPASS");
	unsetenv("SSH_ASKPASS_REQUIRE");
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *data, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);	/* umask must not decide */
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void
test_new_and_free(void **state)
{
	struct hk_secret *s = NULL;

	(void)state;
	assert_int_equal(hk_secret_new("ab\0c", 4, &s), 0);
	assert_int_equal(hk_secret_len(s), 4);
	assert_memory_equal(hk_secret_str(s), "ab\0c\0", 5);
	hk_secret_free(s);
	hk_secret_free(NULL);
	assert_int_equal(hk_secret_new("", 0, &s), 0);
	assert_string_equal(hk_secret_str(s), "");
	hk_secret_free(s);
}

/* The environment's own copy is wiped, not just unlinked from environ. */
static void
test_env_wiped(void **state)
{
	static char entry[] = "HK_TEST_WIPE=918273645";
	struct hk_secret *s = NULL;
	size_t i;

	(void)state;
	assert_int_equal(putenv(entry), 0);
	assert_int_equal(hk_secret_from_source("env:HK_TEST_WIPE", &s), 0);
	assert_string_equal(hk_secret_str(s), "918273645");
	assert_null(getenv("HK_TEST_WIPE"));
	for (i = strlen("HK_TEST_WIPE="); i < sizeof(entry) - 1; i++)
		assert_int_equal(entry[i], 0);
	hk_secret_free(s);
}

/* Holding a secret makes the process undumpable, with no core file. */
static void
test_protect_process(void **state)
{
	struct hk_secret *s = NULL;
	struct rlimit rl;

	(void)state;
	assert_int_equal(hk_secret_new("1234", 4, &s), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	hk_secret_free(s);
}

static void
test_env(void **state)
{
	struct hk_secret *s = NULL;

	(void)state;
	setenv("HK_TEST_PIN", "246810\r\n", 1);
	assert_int_equal(hk_secret_from_source("env:HK_TEST_PIN", &s), 0);
	assert_string_equal(hk_secret_str(s), "246810");
	assert_int_equal(hk_secret_len(s), 6);
	/* Removed so that children (askpass, ssh) do not inherit it. */
	assert_null(getenv("HK_TEST_PIN"));
	hk_secret_free(s);

	s = (struct hk_secret *)1;
	assert_int_equal(hk_secret_from_source("env:HK_TEST_PIN", &s),
	    HK_ERR_SECRET_SOURCE);
	assert_null(s);
	assert_non_null(strstr(hk_err_detail(), "HK_TEST_PIN"));

	setenv("HK_TEST_PIN", "with space\n", 1);
	assert_int_equal(hk_secret_from_source("env:HK_TEST_PIN", &s), 0);
	assert_string_equal(hk_secret_str(s), "with space");
	hk_secret_free(s);
}

static void
test_file_modes(void **state)
{
	struct hk_secret *s = NULL;
	char path[256], src[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/pin", tmpdir);
	snprintf(src, sizeof(src), "file:%s", path);

	write_file(path, "135790\n", 0644);
	assert_int_equal(hk_secret_from_source(src, &s), HK_ERR_SECRET_UNSAFE);
	assert_null(s);
	assert_non_null(strstr(hk_err_detail(), "0644"));
	assert_null(strstr(hk_err_detail(), "135790"));

	write_file(path, "135790\n", 0640);
	assert_int_equal(hk_secret_from_source(src, &s), HK_ERR_SECRET_UNSAFE);

	write_file(path, "135790\n", 0600);
	assert_int_equal(hk_secret_from_source(src, &s), 0);
	assert_string_equal(hk_secret_str(s), "135790");
	hk_secret_free(s);

	write_file(path, "135790\r\n", 0400);
	assert_int_equal(hk_secret_from_source(src, &s), 0);
	assert_string_equal(hk_secret_str(s), "135790");
	assert_int_equal(hk_secret_len(s), 6);
	hk_secret_free(s);

	/* No newline at all, and only the first line of several. */
	write_file(path, "abc", 0600);
	assert_int_equal(hk_secret_from_source(src, &s), 0);
	assert_string_equal(hk_secret_str(s), "abc");
	hk_secret_free(s);
	write_file(path, "first\nsecond\n", 0600);
	assert_int_equal(hk_secret_from_source(src, &s), 0);
	assert_string_equal(hk_secret_str(s), "first");
	hk_secret_free(s);
}

static void
test_file_bad(void **state)
{
	struct hk_secret *s = NULL;
	char src[300];

	(void)state;
	snprintf(src, sizeof(src), "file:%s/missing", tmpdir);
	assert_int_equal(hk_secret_from_source(src, &s), HK_ERR_SECRET_SOURCE);
	assert_null(s);
	snprintf(src, sizeof(src), "file:%s", tmpdir);	/* a directory */
	assert_int_equal(hk_secret_from_source(src, &s), HK_ERR_SECRET_SOURCE);
	assert_null(s);
}

static void
test_file_too_long(void **state)
{
	struct hk_secret *s = NULL;
	char path[256], src[300], *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	snprintf(src, sizeof(src), "file:%s", path);
	big = malloc(10000);
	assert_non_null(big);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	write_file(path, big, 0600);
	free(big);
	assert_int_equal(hk_secret_from_source(src, &s), HK_ERR_SECRET_SOURCE);
	assert_null(s);
}

static void
test_fd(void **state)
{
	struct hk_secret *s = NULL;
	char src[32];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "8642\r\nrest", 10), 10);
	close(p[1]);
	snprintf(src, sizeof(src), "fd:%d", p[0]);
	assert_int_equal(hk_secret_from_source(src, &s), 0);
	assert_string_equal(hk_secret_str(s), "8642");
	hk_secret_free(s);
	close(p[0]);

	/* EOF without a newline. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "99", 2), 2);
	close(p[1]);
	snprintf(src, sizeof(src), "fd:%d", p[0]);
	assert_int_equal(hk_secret_from_source(src, &s), 0);
	assert_string_equal(hk_secret_str(s), "99");
	hk_secret_free(s);
	close(p[0]);
}

static void
test_bad_sources(void **state)
{
	static const char *bad[] = { "fd:", "fd:abc", "fd:-1", "fd:3x",
	    "fd:99999999999999999999", "fd:1000", "123456", "", "pin:123456",
	    "ENV:X", "env", NULL };
	struct hk_secret *s;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		s = (struct hk_secret *)1;
		assert_int_equal(hk_secret_from_source(bad[i], &s),
		    HK_ERR_SECRET_SOURCE);
		assert_null(s);
	}
	/* A mistyped "--pin 123456" must not echo the PIN back. */
	hk_secret_from_source("123456", &s);
	assert_null(strstr(hk_err_detail(), "123456"));
}

static void
test_cli_source_once(void **state)
{
	struct hk_cli_secret cs = { .source = "env:HK_TEST_PIN2" };
	struct hk_secret *s = NULL;

	(void)state;
	setenv("HK_TEST_PIN2", "111222", 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "User PIN", &s), 0);
	assert_string_equal(hk_secret_str(s), "111222");
	assert_int_equal(cs.used, 1);
	hk_secret_free(s);
	/* A second ask is refused even though the variable is set again. */
	setenv("HK_TEST_PIN2", "111222", 1);
	s = (struct hk_secret *)1;
	assert_int_equal(hk_cli_secret_ask(&cs, "User PIN", &s),
	    HK_ERR_SECRET_SOURCE);
	assert_null(s);
	assert_null(strstr(hk_err_detail(), "111222"));
	unsetenv("HK_TEST_PIN2");

	/* A source wins over askpass. */
	cs.source = "fd:1000";
	cs.used = 0;
	setenv("SSH_ASKPASS", "/bin/false", 1);
	setenv("SSH_ASKPASS_REQUIRE", "force", 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "User PIN", &s),
	    HK_ERR_SECRET_SOURCE);
	unsetenv("SSH_ASKPASS");
	unsetenv("SSH_ASKPASS_REQUIRE");
}

/* An askpass script: records its argv[1], prints body (a printf format). */
static void
make_askpass(const char *name, const char *body, int status, char *path,
    size_t size)
{
	char script[1024];

	snprintf(path, size, "%s/%s", tmpdir, name);
	snprintf(script, sizeof(script), "#!/bin/sh\nprintf '%%s' \"$1\" > '%s/prompt'\n"
	    "printf '%s'\nexit %d\n", tmpdir, body, status);
	write_file(path, script, 0700);
}

static void
read_prompt(char *buf, size_t size)
{
	char path[300];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/prompt", tmpdir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void
test_cli_askpass_force(void **state)
{
	struct hk_cli_secret cs = { 0 };
	struct hk_secret *s = NULL;
	char prog[300], prompt[256];

	(void)state;
	make_askpass("ok", "975310\\nignored\\n", 0, prog, sizeof(prog));
	setenv("SSH_ASKPASS", prog, 1);
	setenv("SSH_ASKPASS_REQUIRE", "force", 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "User PIN for token alice", &s), 0);
	assert_string_equal(hk_secret_str(s), "975310");
	hk_secret_free(s);
	read_prompt(prompt, sizeof(prompt));
	assert_string_equal(prompt, "User PIN for token alice");
	/* Asking (not a source) may be repeated. */
	assert_int_equal(hk_cli_secret_ask(&cs, "again", &s), 0);
	hk_secret_free(s);
	assert_int_equal(hk_cli_secret_ask(NULL, "no arg", &s), 0);
	hk_secret_free(s);

	make_askpass("crlf", "5555\\r\\n", 0, prog, sizeof(prog));
	setenv("SSH_ASKPASS", prog, 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "p", &s), 0);
	assert_string_equal(hk_secret_str(s), "5555");
	hk_secret_free(s);

	/* Cancel button: non-zero exit. */
	make_askpass("cancel", "", 1, prog, sizeof(prog));
	setenv("SSH_ASKPASS", prog, 1);
	s = (struct hk_secret *)1;
	assert_int_equal(hk_cli_secret_ask(&cs, "p", &s), HK_ERR_CANCELLED);
	assert_null(s);
	/* Non-zero exit even after printing something. */
	make_askpass("cancel2", "1234\\n", 2, prog, sizeof(prog));
	setenv("SSH_ASKPASS", prog, 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "p", &s), HK_ERR_CANCELLED);
	assert_null(strstr(hk_err_detail(), "1234"));
	/* An empty answer cancels too. */
	make_askpass("empty", "\\n", 0, prog, sizeof(prog));
	setenv("SSH_ASKPASS", prog, 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "p", &s), HK_ERR_CANCELLED);
	/* A program that cannot run is an error, not a cancel. */
	snprintf(prog, sizeof(prog), "%s/no-such-askpass", tmpdir);
	setenv("SSH_ASKPASS", prog, 1);
	assert_int_equal(hk_cli_secret_ask(&cs, "p", &s), HK_ERR_SECRET_SOURCE);
	assert_null(s);
	unsetenv("SSH_ASKPASS");
	unsetenv("SSH_ASKPASS_REQUIRE");
}

/*
 * Run one ask in a child that has no controlling terminal (setsid), so the
 * /dev/tty branch is skipped whatever terminal runs the tests. The child
 * exits 0 with the expected outcome, else a code telling what went wrong.
 */
static int
ask_without_tty(const char *askpass, const char *require, const char *display,
    int want, const char *want_pin, const char *want_detail)
{
	struct hk_secret *s = NULL;
	int status, r;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if (setsid() == -1)
			_exit(10);
		if (open("/dev/tty", O_RDWR | O_NOCTTY) != -1)
			_exit(11);
		if (askpass != NULL)
			setenv("SSH_ASKPASS", askpass, 1);
		if (require != NULL)
			setenv("SSH_ASKPASS_REQUIRE", require, 1);
		if (display != NULL)
			setenv("DISPLAY", display, 1);
		r = hk_cli_secret_ask(NULL, "User PIN", &s);
		if (r != want)
			_exit(12);
		if (want_pin != NULL && (s == NULL ||
		    strcmp(hk_secret_str(s), want_pin) != 0))
			_exit(13);
		if (want_pin == NULL && s != NULL)
			_exit(14);
		if (want_detail != NULL && strstr(hk_err_detail(), want_detail) == NULL)
			_exit(15);
		hk_secret_free(s);
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_cli_no_tty(void **state)
{
	char prog[300];

	(void)state;
	make_askpass("ok2", "424242\\n", 0, prog, sizeof(prog));
	/* Nothing to ask with. */
	assert_int_equal(ask_without_tty(NULL, NULL, NULL, HK_ERR_PIN_REQUIRED,
	    NULL, "--pin SRC"), 0);
	assert_int_equal(ask_without_tty(NULL, NULL, ":0", HK_ERR_PIN_REQUIRED,
	    NULL, "SSH_ASKPASS"), 0);
	/* SSH_ASKPASS without DISPLAY is not used (OpenSSH rule)... */
	assert_int_equal(ask_without_tty(prog, NULL, NULL, HK_ERR_PIN_REQUIRED,
	    NULL, NULL), 0);
	/* ...with DISPLAY it is... */
	assert_int_equal(ask_without_tty(prog, NULL, ":0", 0, "424242", NULL), 0);
	/* ...unless SSH_ASKPASS_REQUIRE=never; force needs no DISPLAY. */
	assert_int_equal(ask_without_tty(prog, "never", ":0", HK_ERR_PIN_REQUIRED,
	    NULL, NULL), 0);
	assert_int_equal(ask_without_tty(prog, "force", NULL, 0, "424242", NULL), 0);
	assert_int_equal(ask_without_tty(prog, "prefer", ":0", 0, "424242", NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_free),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_env_wiped),
		cmocka_unit_test(test_protect_process),
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_file_bad),
		cmocka_unit_test(test_file_too_long),
		cmocka_unit_test(test_fd),
		cmocka_unit_test(test_bad_sources),
		cmocka_unit_test(test_cli_source_once),
		cmocka_unit_test(test_cli_askpass_force),
		cmocka_unit_test(test_cli_no_tty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
