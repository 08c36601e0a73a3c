/* Temporary directories for unit tests (hk_tmpdir.h). */
#include <errno.h>	/* program_invocation_short_name (_GNU_SOURCE) */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "hk_tmpdir.h"

char hk_test_tmpdir[PATH_MAX];

int
hk_test_tmpdir_setup(void **state)
{
	(void)state;
	if (snprintf(hk_test_tmpdir, sizeof(hk_test_tmpdir), "/tmp/hk-test-%s.XXXXXX",
	    program_invocation_short_name) >= (int)sizeof(hk_test_tmpdir))
		return -1;
	return mkdtemp(hk_test_tmpdir) == NULL ? -1 : 0;
}

int
hk_test_tmpdir_teardown(void **state)
{
	(void)state;
	return hk_test_rm_rf(hk_test_tmpdir);
}

void
hk_test_tmpdir_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", hk_test_tmpdir, name);
}

int
hk_test_rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) >= (int)sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}
