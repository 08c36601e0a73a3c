/* A throwaway SoftHSM2 store for unit tests: a temporary directory with its
 * own SOFTHSM2_CONF, optionally one initialized token (PIN 1234, SO 5678). */
#ifndef HK_TEST_SOFTHSM_H
#define HK_TEST_SOFTHSM_H

#define HK_TEST_SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"

/*
 * dir: a mkdtemp template, filled in. label NULL: no token. 0 or -1 (the
 * reason on stderr).
 */
int hk_test_softhsm_setup(char *dir, const char *label);
/* Remove the directory; 0 or -1. */
int hk_test_softhsm_teardown(const char *dir);

#endif /* HK_TEST_SOFTHSM_H */
