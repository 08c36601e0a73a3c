/* Internal interface between the key-file dispatcher (keyfile.c: finds each
 * entry and its format) and the per-format codecs (fmt_*.c). */
#ifndef HK_FMT_H
#define HK_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "key.h"

/*
 * Parsers take one complete entry: for OpenSSH one line (without its newline);
 * for the block formats every line from the BEGIN/header line through the END
 * line (RFC 4716 "---- END SSH2 PUBLIC KEY ----", PEM "-----END ...-----", PPK
 * its "Private-MAC:" line or the end of the data). Lines may end in "\r\n".
 * On success *keyp holds the key, with its comment when the format carries
 * one. On failure they return an HK_ERR_* and set the detail with hk_errf()
 * (the dispatcher prefixes file:line).
 */
int hk_fmt_openssh_parse(const char *line, size_t len, struct hk_key **keyp,
    char **optionsp);
int hk_fmt_rfc4716_parse(const char *block, size_t len, struct hk_key **keyp);
/* "PUBLIC KEY" (SPKI), "RSA PUBLIC KEY" (PKCS#1), "CERTIFICATE" (X.509). */
int hk_fmt_pem_parse(const char *block, size_t len, enum hk_fmt *fmtp,
    struct hk_key **keyp);
int hk_fmt_ppk_parse(const char *block, size_t len, struct hk_key **keyp);

/* Writers append the text, ending in '\n', to out. */
int hk_fmt_openssh_write(const struct hk_key *key, struct hk_buf *out);
int hk_fmt_rfc4716_write(const struct hk_key *key, struct hk_buf *out);
/* fmt is HK_FMT_PEM (SubjectPublicKeyInfo) or HK_FMT_PKCS1 (RSA only). */
int hk_fmt_pem_write(const struct hk_key *key, enum hk_fmt fmt, struct hk_buf *out);

/*
 * The key-handle file of an sk key (skfile.h) with a given checkint, so
 * tests can compare it with a known vector; hk_sk_file_write draws it.
 */
int hk_fmt_sk_write(const struct hk_key *key, uint8_t flags, const uint8_t *kh,
    size_t khlen, const char *comment, uint32_t checkint, struct hk_buf *out);

#endif /* HK_FMT_H */
