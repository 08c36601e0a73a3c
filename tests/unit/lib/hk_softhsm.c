/* A throwaway SoftHSM2 store for unit tests (see hk_softhsm.h). */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hk_softhsm.h"
#include "hk_tmpdir.h"

int
hk_test_softhsm_setup(char *dir, const char *label)
{
	char path[512], cmd[700];
	FILE *f;

	if (access(HK_TEST_SOFTHSM_MODULE, R_OK) != 0) {
		fprintf(stderr, "%s missing (scripts/deps.sh installs softhsm2)\n",
		    HK_TEST_SOFTHSM_MODULE);
		return -1;
	}
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tokens", dir);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
	    "log.level = ERROR\nslots.removable = false\n", dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	if (label == NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label '%s' "
	    "--pin 1234 --so-pin 5678 >/dev/null", label);
	return system(cmd) == 0 ? 0 : -1;
}

int
hk_test_softhsm_teardown(const char *dir)
{
	return hk_test_rm_rf(dir);
}
