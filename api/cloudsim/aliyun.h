/* hwkey-cloudsim Alibaba ECS dialect: the request context shared by the
 * envelope/authentication code (aliyun.c) and the actions (aliyun_ops.c). */
#ifndef HK_SIM_ALIYUN_H
#define HK_SIM_ALIYUN_H

#include "sim.h"

#define ALI_VERSION "2014-05-26"

struct ali_ctx {
	struct sim *sim;
	struct sim_req *req;
	struct sim_resp *resp;
	struct hk_param *bodyp;		/* form body parameters (owned) */
	size_t nbodyp;
	struct hk_param *p;		/* query + body, borrowed strings */
	size_t n;
	const struct sim_account *acct;
	const char *action;
	int xml;
};

const char *ali_param(const struct ali_ctx *c, const char *name);
/* Set the error envelope; returns -1 so handlers can "return ali_error(...)". */
int ali_error(struct ali_ctx *c, unsigned int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int ali_missing(struct ali_ctx *c, const char *name);
/* Success: obj gets RequestId; takes the reference. */
int ali_ok(struct ali_ctx *c, json_t *obj);
/* RegionId present and known, else the error is set and NULL returned. */
const char *ali_region(struct ali_ctx *c);

int ali_import_keypair(struct ali_ctx *c);
int ali_describe_keypairs(struct ali_ctx *c);
int ali_delete_keypairs(struct ali_ctx *c);
int ali_attach_keypair(struct ali_ctx *c, int attach);
int ali_describe_regions(struct ali_ctx *c);
int ali_describe_instances(struct ali_ctx *c);

#endif /* HK_SIM_ALIYUN_H */
