/* CK_RV -> HK_ERR_* translation, without the PKCS#11 headers so that tests
 * and other code can use it with plain numbers (CK_RV is an unsigned long). */
#ifndef HK_PKCS11_ERR_H
#define HK_PKCS11_ERR_H

/* The HK_ERR_* class of a CK_RV (0 for CKR_OK). */
int hk_p11_rv_err(unsigned long rv);
/* "CKR_PIN_INCORRECT", or "CKR_0x000001a0" style for unknown values (static buffer per thread). */
const char *hk_p11_rv_name(unsigned long rv);
/* hk_errf(hk_p11_rv_err(rv), "<what>: <CKR name>"); what names token and call. */
int hk_p11_err(unsigned long rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* HK_PKCS11_ERR_H */
