/* Unit tests for output files: written atomically where they point, and
 * nothing but the file itself replaced (links, devices, FIFOs, stdout). */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "hk_tmpdir.h"
#include "file.h"

static void
assert_content(const char *path, const char *want)
{
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(hk_file_read(path, 1 << 20, &data, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
}

/* No temporary file is left behind in the directory. */
static void
assert_no_tmp(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q '\\.tmp\\.'", hk_test_tmpdir);
	assert_int_not_equal(system(cmd), 0);
}

static void
test_regular_and_absent(void **state)
{
	char p[PATH_MAX];
	struct stat st;

	(void)state;
	hk_test_tmpdir_path(p, sizeof(p), "new.pub");
	assert_int_equal(hk_file_write_atomic(p, "one\n", 4, 0600), 0);
	assert_content(p, "one\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hk_file_write_atomic(p, "two\n", 4, 0644), 0);
	assert_content(p, "two\n");
	assert_no_tmp();
}

static void
test_symlink_kept(void **state)
{
	char target[PATH_MAX], link[PATH_MAX], rel[PATH_MAX], got[PATH_MAX];
	struct stat st;
	ssize_t n;

	(void)state;
	hk_test_tmpdir_path(target, sizeof(target), "dotfiles-id.pub");
	hk_test_tmpdir_path(link, sizeof(link), "id.pub");
	assert_int_equal(hk_file_write_atomic(target, "old\n", 4, 0644), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(hk_file_write_atomic(link, "new\n", 4, 0644), 0);
	/* The link is still a link, to the same place, and its target is new. */
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	n = readlink(link, got, sizeof(got) - 1);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, target);
	assert_content(target, "new\n");

	/* A relative, dangling link: the file it names is created beside it. */
	hk_test_tmpdir_path(rel, sizeof(rel), "rel.pub");
	assert_int_equal(symlink("made-through-link.pub", rel), 0);
	assert_int_equal(hk_file_write_atomic(rel, "made\n", 5, 0644), 0);
	assert_int_equal(lstat(rel, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	hk_test_tmpdir_path(target, sizeof(target), "made-through-link.pub");
	assert_content(target, "made\n");

	/* A loop of links is refused, not followed forever. */
	hk_test_tmpdir_path(link, sizeof(link), "loop-a");
	hk_test_tmpdir_path(target, sizeof(target), "loop-b");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(symlink(link, target), 0);
	assert_int_equal(hk_file_write_atomic(link, "x", 1, 0644), HK_ERR_IO);
	assert_no_tmp();
}

static void
test_devices_written_in_place(void **state)
{
	char p[PATH_MAX];
	struct stat st;

	(void)state;
	/*
	 * A character device of our own (the null device's numbers) where we
	 * may make one, so a regression replaces a test file, not the
	 * machine's /dev/null; without root, /dev/null itself (it cannot be
	 * replaced then).
	 */
	hk_test_tmpdir_path(p, sizeof(p), "null");
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) != 0)
		snprintf(p, sizeof(p), "/dev/null");
	assert_int_equal(hk_file_write_atomic(p, "x\n", 2, 0644), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
}

static void
test_fifo(void **state)
{
	char p[PATH_MAX], buf[64];
	struct stat st;
	struct pollfd pfd;
	pid_t pid;
	ssize_t n;
	int fd, status, tries;

	(void)state;
	hk_test_tmpdir_path(p, sizeof(p), "pipe");
	assert_int_equal(mkfifo(p, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_exit(hk_file_write_atomic(p, "through the fifo\n", 17, 0644) == 0 ? 0 : 1);
	}
	/* Non-blocking: if the FIFO were replaced, no writer would ever come. */
	fd = open(p, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	pfd.fd = fd;
	pfd.events = POLLIN;
	n = 0;
	for (tries = 0; tries < 100 && n <= 0; tries++) {
		if (poll(&pfd, 1, 50) > 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			break;
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "through the fifo\n", 17);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

/*
 * In a child with a private /dev where we can make one (root: a mount
 * namespace with a tmpfs on /dev holding only the stdout link), so a
 * regression that renames over /dev/stdout breaks a throwaway link, not the
 * machine's. Writes "-" and /dev/stdout into a pipe.
 */
static int
stdout_child(int wfd)
{
	int isolated = 0;

	if (unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") == 0 &&
	    symlink("/proc/self/fd/1", "/dev/stdout") == 0)
		isolated = 1;
	if (dup2(wfd, STDOUT_FILENO) != STDOUT_FILENO)
		return 2;
	if (hk_file_write_atomic("-", "a", 1, 0644) != 0)
		return 3;
	if (isolated && hk_file_write_atomic("/dev/stdout", "b", 1, 0644) != 0)
		return 4;
	return isolated ? 0 : 10;	/* 10: only "-" was checked */
}

static void
test_stdout(void **state)
{
	int fds[2], status;
	char buf[64];
	ssize_t n, got;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		_exit(stdout_child(fds[1]));
	}
	close(fds[1]);
	for (n = 0, got = 1; got > 0 && (size_t)n < sizeof(buf); n += got)
		if ((got = read(fds[0], buf + n, sizeof(buf) - (size_t)n)) <= 0)
			break;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 10) {
		assert_int_equal(n, 1);
		assert_memory_equal(buf, "a", 1);
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "ab", 2);
}

static void
test_directory_refused(void **state)
{
	char p[PATH_MAX];
	struct stat st;

	(void)state;
	hk_test_tmpdir_path(p, sizeof(p), "adir");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(hk_file_write_atomic(p, "x", 1, 0644), HK_ERR_IO);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Missing directory: an error naming the path, nothing created. */
	hk_test_tmpdir_path(p, sizeof(p), "nonexistent/dir/x.pub");
	assert_int_equal(hk_file_write_atomic(p, "x", 1, 0644), HK_ERR_IO);
	assert_no_tmp();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_and_absent),
		cmocka_unit_test(test_symlink_kept),
		cmocka_unit_test(test_devices_written_in_place),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_directory_refused),
	};

	return cmocka_run_group_tests(tests, hk_test_tmpdir_setup,
	    hk_test_tmpdir_teardown);
}
