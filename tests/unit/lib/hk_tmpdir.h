/* A throwaway directory for unit tests that work on real files: made by the
 * cmocka group setup, removed with all it holds by the group teardown. */
#ifndef HK_TEST_TMPDIR_H
#define HK_TEST_TMPDIR_H

#include <stddef.h>

/* The directory ("/tmp/hk-test-PROGRAM.XXXXXX", filled in by the setup). */
extern char hk_test_tmpdir[];
/* cmocka group setup and teardown; 0 or -1. */
int hk_test_tmpdir_setup(void **state);
int hk_test_tmpdir_teardown(void **state);
/* buf = "hk_test_tmpdir/name". */
void hk_test_tmpdir_path(char *buf, size_t size, const char *name);
/* rm -rf dir; 0 or -1. */
int hk_test_rm_rf(const char *dir);

#endif /* HK_TEST_TMPDIR_H */
