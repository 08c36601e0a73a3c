/* A throwaway directory for unit tests that work on real files: made from a
 * mkdtemp template in the cmocka setup, removed with all it holds in the
 * teardown. */
#ifndef HK_TEST_TMPDIR_H
#define HK_TEST_TMPDIR_H

#include <stddef.h>

/* dir: a mkdtemp template ("/tmp/hk-test-x.XXXXXX"), filled in. 0 or -1. */
int hk_test_tmpdir_make(char *dir);
/* rm -rf dir; 0 or -1. */
int hk_test_tmpdir_remove(const char *dir);
/* buf = "dir/name". */
void hk_test_tmpdir_path(char *buf, size_t size, const char *dir, const char *name);

#endif /* HK_TEST_TMPDIR_H */
