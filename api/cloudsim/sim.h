/* hwkey-cloudsim internals: the server context shared by the HTTP front end,
 * the state store and the two vendor dialects (Alibaba ECS RPC, Huawei KPS). */
#ifndef HK_SIM_H
#define HK_SIM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "sign.h"

#define SIM_SKEW_MAX	(15 * 60)	/* timestamps and nonces: 15 minutes */
#define SIM_BODY_MAX	(1024 * 1024)
#define SIM_QUOTA	500		/* Alibaba key pairs per region */
/* Connection limits: threads and descriptors, and no client starves the rest. */
#define SIM_MAX_CONNS		512
#define SIM_MAX_CONNS_CLIENT	128
#define SIM_REQUEST_TIMEOUT	30
#define SIM_IDLE_TIMEOUT	30

enum sim_provider {
	SIM_ALIYUN = 0,
	SIM_HUAWEI,
};

struct sim_project {
	char *region;
	char *id;
};

struct sim_account {
	enum sim_provider provider;
	char *ak;
	char *secret;			/* wiped when freed */
	struct sim_project *projects;	/* Huawei only */
	size_t nprojects;
};

struct sim_accounts {
	struct sim_account *a;
	size_t n;
};

struct sim_region {
	const char *id;
	const char *local_name;
	const char *endpoint;
};

/* accounts.c: the accounts file and the region tables. */
int sim_accounts_load(const char *path, struct sim_accounts *acc);
void sim_accounts_free(struct sim_accounts *acc);
const struct sim_account *sim_account_find(const struct sim_accounts *acc,
    enum sim_provider provider, const char *ak);
/* Region of a Huawei project of this account, or NULL. */
const char *sim_project_region(const struct sim_account *a, const char *project_id);
const struct sim_region *sim_regions(enum sim_provider provider, size_t *np);
int sim_region_valid(enum sim_provider provider, const char *region);

/* db.c: state in SQLite; a pool of connections shared by the request threads. */
struct sim_db;
struct sim_keypair {
	char *name;
	char *public_key;
	char *fingerprint;
	char *tags;		/* JSON array text [{"TagKey":..,"TagValue":..}] */
	int64_t created;
	int64_t id;		/* the row's number: Huawei's numeric keypair id */
};
struct sim_instance {
	char *id;
	char *keypair;		/* "" when none */
	int windows;
};
int sim_db_open(const char *path, struct sim_db **dbp);
void sim_db_close(struct sim_db *db);
/* Idempotent: the simulated instances of an account in every region. */
int sim_db_seed_instances(struct sim_db *db, const struct sim_accounts *acc);
/* 0, or HK_ERR_EXISTS when (account, nonce) was already used within 15 min. */
int sim_db_nonce_use(struct sim_db *db, const char *ak, const char *nonce, int64_t now);
/* 0, HK_ERR_EXISTS (name taken) or HK_ERR_CLOUD_QUOTA (quota > 0 reached); atomic. */
int sim_db_keypair_add(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, const struct sim_keypair *kp, int quota);
/* All pairs of a region sorted by name. */
int sim_db_keypair_list(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, struct sim_keypair **kpp, size_t *np);
/* HK_ERR_NOT_FOUND when absent. */
int sim_db_keypair_get(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, const char *name, struct sim_keypair *kp);
/*
 * Delete names atomically: HK_ERR_EXISTS (and nothing deleted) if one is
 * attached to an instance, *attachedp names it. Absent names are ignored;
 * *deletedp counts the rows removed.
 */
int sim_db_keypair_delete(struct sim_db *db, enum sim_provider p, const char *account,
    const char *region, const char *const *names, size_t n, size_t *deletedp,
    char **attachedp);
void sim_keypair_clear(struct sim_keypair *kp);
void sim_keypairs_free(struct sim_keypair *kp, size_t n);
int sim_db_instance_list(struct sim_db *db, const char *account, const char *region,
    struct sim_instance **ip, size_t *np);
/*
 * Set (keypair non-NULL) or clear (keypair NULL: only when it holds expect)
 * the key pair of one instance. HK_ERR_NOT_FOUND: no such instance;
 * HK_ERR_NOT_SUPPORTED: Windows; HK_ERR_VERIFY: detach of another pair.
 */
int sim_db_instance_set(struct sim_db *db, const char *account, const char *region,
    const char *instance, const char *keypair, const char *expect);
void sim_instances_free(struct sim_instance *in, size_t n);
/*
 * Huawei ECS: a new instance (HK_ERR_EXISTS when the id is taken) and, for a
 * Windows one made with a key pair, its encrypted password (base64), atomically.
 */
int sim_db_server_add(struct sim_db *db, const char *account, const char *region,
    const struct sim_instance *in, const char *password);
/* The instance and its encrypted password ("" when none); HK_ERR_NOT_FOUND. */
int sim_db_server_password(struct sim_db *db, const char *account, const char *region,
    const char *id, struct sim_instance *in, char **passwordp);

/* A parsed request handed to the dialects by the HTTP front end. */
struct sim_req {
	const char *method;
	const char *path;		/* raw (still encoded) path */
	const char *rawquery;		/* after '?', or "" */
	const char *body;
	size_t bodylen;
	struct hk_param *query;		/* decoded query parameters */
	size_t nquery;
	void *conn;			/* struct MHD_Connection */
	char request_id[40];
};

/* The answer: status, JSON body (or raw text), or "close without answering". */
struct sim_resp {
	unsigned int status;
	json_t *json;			/* owned */
	char *text;			/* XML or plain text, owned; used if json is NULL */
	const char *content_type;
	const char *log_what;		/* action or route for the log line */
	const char *log_code;		/* error code for the log line, or NULL */
	int request_id_header;		/* send X-Request-Id (Huawei) */
};

struct sim_opts {
	const char *accounts_path;
	const char *state_path;
	const char *listen;
	unsigned int port;
	const char *port_file;
	const char *pid_file;
	const char *tls_cert;
	const char *tls_key;
	unsigned int latency_ms;
	double throttle_rate;
	double error_rate;
	double drop_rate;
	uint64_t seed;
	int seed_set;
	int bad_fingerprint;
	int quiet;
	unsigned int quota;
	unsigned int max_conns;		/* connections at once, in all */
	unsigned int max_conns_client;	/* connections at once from one address */
	unsigned int request_timeout;	/* s to deliver a whole request */
	unsigned int idle_timeout;	/* s without traffic either way */
};

struct sim {
	struct sim_opts opts;
	struct sim_accounts accounts;
	struct sim_db *db;
	pthread_mutex_t rng_lock;
	uint64_t rng;
};

/* Header value of the current request (case-insensitive name), or NULL. */
const char *sim_header(const struct sim_req *req, const char *name);
/* Uniform draw in [0, 1) from the seeded generator (thread-safe). */
double sim_random(struct sim *sim);
/* Parse "a=1&b=2" into decoded parameters appended to *pp / *np. */
int sim_parse_params(const char *s, size_t len, int flags, struct hk_param **pp,
    size_t *np);
void sim_params_free(struct hk_param *p, size_t n);
const char *sim_param(const struct hk_param *p, size_t n, const char *name);
/* "2016-02-23T12:46:24Z" (Alibaba) and "20191115T033655Z" (Huawei). */
int sim_parse_time(const char *s, int compact, int64_t *tp);

/*
 * ecs.c: Huawei ECS Windows instance passwords. The ShowServerPassword
 * answer for a signed, routed request (account and region known), and the
 * test door POST /cloudsim/instances that creates an instance (its
 * password made and encrypted to its key pair there and then).
 */
void sim_huawei_server_password(struct sim *sim, const char *account, const char *region,
    const char *server, struct sim_req *req, struct sim_resp *resp);
void sim_admin_instances(struct sim *sim, struct sim_req *req, struct sim_resp *resp);

/* aliyun.c and huawei.c: handle one request; faults were already applied. */
void sim_aliyun_handle(struct sim *sim, struct sim_req *req, struct sim_resp *resp);
void sim_huawei_handle(struct sim *sim, struct sim_req *req, struct sim_resp *resp);
/* The vendor's answer for an injected fault: SIM_FAULT_THROTTLE, 500 or 503. */
#define SIM_FAULT_THROTTLE 429
void sim_aliyun_fault(struct sim_req *req, struct sim_resp *resp, int kind);
void sim_huawei_fault(struct sim_req *req, struct sim_resp *resp, int kind);

/* text.c: UTF-8. sim_utf8_next: the length (1-4) of the well-formed UTF-8
 * sequence at s and its code point, or 0 (overlong, surrogate, truncated...). */
size_t sim_utf8_next(const char *s, size_t len, uint32_t *cpp);
/* 1 when s is UTF-8 text: well formed, no control characters but tab. */
int sim_text_valid(const char *s, size_t len);
/* Replace, in place, each byte that is not UTF-8 text (or a tab or newline) by '?'. */
void sim_text_scrub(char *s);

/* pubkey.c: an authorized_keys line checked against a vendor's key types. */
int sim_pubkey_check(enum sim_provider p, const char *line, char **fpp,
    const char **whyp);

#endif /* HK_SIM_H */
