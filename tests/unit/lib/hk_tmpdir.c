/* Temporary directories for unit tests (hk_tmpdir.h). */
#include <stdio.h>
#include <stdlib.h>

#include "hk_tmpdir.h"

int
hk_test_tmpdir_make(char *dir)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

int
hk_test_tmpdir_remove(const char *dir)
{
	char cmd[256];

	if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) >= (int)sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

void
hk_test_tmpdir_path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}
