/* Whole-file reading with a size limit, and atomic writes (temp + rename) so a
 * failure never leaves a half-written output file. */
#ifndef HK_FILE_H
#define HK_FILE_H

#include <sys/types.h>
#include <stddef.h>

#define HK_FILE_MAX (256 * 1024 * 1024)

/* path "-" reads standard input. *datap is NUL-terminated (not counted in *lenp). */
int hk_file_read(const char *path, size_t max, char **datap, size_t *lenp);
/* Write to path.tmp.XXXXXX, fsync, then rename over path. */
int hk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif /* HK_FILE_H */
