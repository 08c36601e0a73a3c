/* The key model and OpenSSL public keys, inside the core only: OpenSSL types
 * stay out of the public headers. */
#ifndef HK_KEY_EVP_H
#define HK_KEY_EVP_H

#include <openssl/evp.h>

#include "key.h"

/* From an OpenSSL public key (RSA, DSA, EC P-256/384/521, Ed25519). */
int hk_key_from_evp(const EVP_PKEY *pkey, struct hk_key **keyp);
/* To an OpenSSL public key; sk keys give their plain EC/Ed25519 key. */
int hk_key_to_evp(const struct hk_key *key, EVP_PKEY **pkeyp);

#endif /* HK_KEY_EVP_H */
