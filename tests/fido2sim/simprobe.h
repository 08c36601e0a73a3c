/* simprobe: what its libfido2 half and its raw-packet half share. */
#ifndef HK_SIMPROBE_H
#define HK_SIMPROBE_H

#include <stddef.h>

#define PKT 64

int sock_connect(const char *path);
int read_full(int fd, unsigned char *buf, size_t len, int ms);
int write_full(int fd, const unsigned char *buf, size_t len);
int cmd_raw(const char *path);
int cmd_raw_touch(const char *path);
int cmd_raw_garbage(const char *path, int n);

#endif
