/* hwkey-cloudsim: the HTTP(S) daemon (server.c) for main.c, with its
 * connection limits and the watchdog that enforces the request deadline. */
#ifndef HK_SIM_SERVER_H
#define HK_SIM_SERVER_H

#include <sys/socket.h>

struct sim;
struct sim_server;

/* cert/key: PEM text (NULL for plain HTTP). The port is taken from sa. */
int sim_server_start(struct sim *sim, const struct sockaddr *sa, int ipv6,
    const char *cert, const char *key, struct sim_server **sp);
unsigned int sim_server_port(const struct sim_server *s);
/* Finish in-flight requests, stop; accepts NULL. */
void sim_server_stop(struct sim_server *s);

#endif /* HK_SIM_SERVER_H */
