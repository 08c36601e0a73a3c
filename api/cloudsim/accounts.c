/* hwkey-cloudsim accounts file ("aliyun AK SECRET", "huawei AK SK [region=project,..]")
 * and the fixed region tables of both vendors. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "sim.h"

/* Real region ids; endpoints as DescribeRegions reports them (cloud-apis.md 2). */
static const struct sim_region aliyun_regions[] = {
	{ "cn-qingdao", "China (Qingdao)", "ecs.cn-qingdao.aliyuncs.com" },
	{ "cn-beijing", "China (Beijing)", "ecs.cn-beijing.aliyuncs.com" },
	{ "cn-zhangjiakou", "China (Zhangjiakou)", "ecs.cn-zhangjiakou.aliyuncs.com" },
	{ "cn-huhehaote", "China (Hohhot)", "ecs.cn-huhehaote.aliyuncs.com" },
	{ "cn-wulanchabu", "China (Ulanqab)", "ecs.cn-wulanchabu.aliyuncs.com" },
	{ "cn-hangzhou", "China (Hangzhou)", "ecs.aliyuncs.com" },
	{ "cn-shanghai", "China (Shanghai)", "ecs.cn-shanghai.aliyuncs.com" },
	{ "cn-nanjing", "China (Nanjing - Local Region)", "ecs.cn-nanjing.aliyuncs.com" },
	{ "cn-fuzhou", "China (Fuzhou - Local Region)", "ecs.cn-fuzhou.aliyuncs.com" },
	{ "cn-shenzhen", "China (Shenzhen)", "ecs.cn-shenzhen.aliyuncs.com" },
	{ "cn-heyuan", "China (Heyuan)", "ecs.cn-heyuan.aliyuncs.com" },
	{ "cn-guangzhou", "China (Guangzhou)", "ecs.cn-guangzhou.aliyuncs.com" },
	{ "cn-chengdu", "China (Chengdu)", "ecs.cn-chengdu.aliyuncs.com" },
	{ "cn-hongkong", "China (Hong Kong)", "ecs.cn-hongkong.aliyuncs.com" },
	{ "ap-northeast-1", "Japan (Tokyo)", "ecs.ap-northeast-1.aliyuncs.com" },
	{ "ap-northeast-2", "South Korea (Seoul)", "ecs.ap-northeast-2.aliyuncs.com" },
	{ "ap-southeast-1", "Singapore", "ecs.ap-southeast-1.aliyuncs.com" },
	{ "ap-southeast-3", "Malaysia (Kuala Lumpur)", "ecs.ap-southeast-3.aliyuncs.com" },
	{ "ap-southeast-5", "Indonesia (Jakarta)", "ecs.ap-southeast-5.aliyuncs.com" },
	{ "ap-southeast-6", "Philippines (Manila)", "ecs.ap-southeast-6.aliyuncs.com" },
	{ "ap-southeast-7", "Thailand (Bangkok)", "ecs.ap-southeast-7.aliyuncs.com" },
	{ "us-east-1", "US (Virginia)", "ecs.us-east-1.aliyuncs.com" },
	{ "us-west-1", "US (Silicon Valley)", "ecs.us-west-1.aliyuncs.com" },
	{ "eu-west-1", "UK (London)", "ecs.eu-west-1.aliyuncs.com" },
	{ "eu-central-1", "Germany (Frankfurt)", "ecs.eu-central-1.aliyuncs.com" },
	{ "me-east-1", "UAE (Dubai)", "ecs.me-east-1.aliyuncs.com" },
	{ "me-central-1", "Saudi Arabia (Riyadh)", "ecs.me-central-1.aliyuncs.com" },
};

static const struct sim_region huawei_regions[] = {
	{ "cn-north-1", "CN North-Beijing1", "kms.cn-north-1.myhuaweicloud.com" },
	{ "cn-north-4", "CN North-Beijing4", "kms.cn-north-4.myhuaweicloud.com" },
	{ "cn-north-9", "CN North-Ulanqab1", "kms.cn-north-9.myhuaweicloud.com" },
	{ "cn-east-2", "CN East-Shanghai2", "kms.cn-east-2.myhuaweicloud.com" },
	{ "cn-east-3", "CN East-Shanghai1", "kms.cn-east-3.myhuaweicloud.com" },
	{ "cn-south-1", "CN South-Guangzhou", "kms.cn-south-1.myhuaweicloud.com" },
	{ "cn-southwest-2", "CN Southwest-Guiyang1", "kms.cn-southwest-2.myhuaweicloud.com" },
	{ "ap-southeast-1", "CN-Hong Kong", "kms.ap-southeast-1.myhuaweicloud.com" },
	{ "ap-southeast-2", "AP-Bangkok", "kms.ap-southeast-2.myhuaweicloud.com" },
	{ "ap-southeast-3", "AP-Singapore", "kms.ap-southeast-3.myhuaweicloud.com" },
	{ "ap-southeast-4", "AP-Jakarta", "kms.ap-southeast-4.myhuaweicloud.com" },
	{ "af-south-1", "AF-Johannesburg", "kms.af-south-1.myhuaweicloud.com" },
	{ "la-north-2", "LA-Mexico City2", "kms.la-north-2.myhuaweicloud.com" },
	{ "la-south-2", "LA-Santiago", "kms.la-south-2.myhuaweicloud.com" },
	{ "sa-brazil-1", "LA-Sao Paulo1", "kms.sa-brazil-1.myhuaweicloud.com" },
	{ "tr-west-1", "TR-Istanbul", "kms.tr-west-1.myhuaweicloud.com" },
	{ "me-east-1", "ME-Riyadh", "kms.me-east-1.myhuaweicloud.com" },
	{ "eu-west-101", "EU-Dublin", "kms.eu-west-101.myhuaweicloud.com" },
};

const struct sim_region *
sim_regions(enum sim_provider provider, size_t *np)
{
	if (provider == SIM_ALIYUN) {
		*np = sizeof(aliyun_regions) / sizeof(aliyun_regions[0]);
		return aliyun_regions;
	}
	*np = sizeof(huawei_regions) / sizeof(huawei_regions[0]);
	return huawei_regions;
}

int
sim_region_valid(enum sim_provider provider, const char *region)
{
	const struct sim_region *r;
	size_t i, n;

	if (region == NULL)
		return 0;
	r = sim_regions(provider, &n);
	for (i = 0; i < n; i++)
		if (strcmp(r[i].id, region) == 0)
			return 1;
	return 0;
}

static void
account_clear(struct sim_account *a)
{
	size_t i;

	free(a->ak);
	if (a->secret != NULL)
		hk_freezero(a->secret, strlen(a->secret));
	for (i = 0; i < a->nprojects; i++) {
		free(a->projects[i].region);
		free(a->projects[i].id);
	}
	free(a->projects);
	memset(a, 0, sizeof(*a));
}

void
sim_accounts_free(struct sim_accounts *acc)
{
	size_t i;

	if (acc == NULL)
		return;
	for (i = 0; i < acc->n; i++)
		account_clear(&acc->a[i]);
	free(acc->a);
	acc->a = NULL;
	acc->n = 0;
}

static int
project_add(struct sim_account *a, const char *region, const char *id)
{
	struct sim_project *np;

	np = realloc(a->projects, (a->nprojects + 1) * sizeof(*np));
	if (np == NULL)
		return HK_ERR_ALLOC;
	a->projects = np;
	np[a->nprojects].region = strdup(region);
	np[a->nprojects].id = strdup(id);
	a->nprojects++;
	if (np[a->nprojects - 1].region == NULL || np[a->nprojects - 1].id == NULL)
		return HK_ERR_ALLOC;
	return 0;
}

/* Without an explicit map every region gets a stable id: MD5("AK:region") in hex. */
static int
projects_default(struct sim_account *a)
{
	const struct sim_region *reg;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, j;
	char in[256], hex[33];
	size_t i, n;
	int r;

	reg = sim_regions(SIM_HUAWEI, &n);
	for (i = 0; i < n; i++) {
		snprintf(in, sizeof(in), "%s:%s", a->ak, reg[i].id);
		if (EVP_Digest(in, strlen(in), md, &mdlen, EVP_md5(), NULL) != 1)
			return HK_ERR_CRYPTO;
		for (j = 0; j < 16; j++)
			snprintf(hex + 2 * j, 3, "%02x", md[j]);
		if ((r = project_add(a, reg[i].id, hex)) != 0)
			return r;
	}
	return 0;
}

static int
projects_parse(struct sim_account *a, char *map, const char *path, size_t line)
{
	char *tok, *save = NULL, *eq;
	int r;

	for (tok = strtok_r(map, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL || eq == tok || eq[1] == '\0')
			return hk_errf(HK_ERR_FORMAT_MALFORMED,
			    "%s:%zu: expected region=project_id", path, line);
		*eq = '\0';
		if (!sim_region_valid(SIM_HUAWEI, tok))
			return hk_errf(HK_ERR_CLOUD_REGION, "%s:%zu: unknown Huawei region %s",
			    path, line, tok);
		if ((r = project_add(a, tok, eq + 1)) != 0)
			return r;
	}
	return 0;
}

int
sim_accounts_load(const char *path, struct sim_accounts *acc)
{
	struct sim_account a, *na;
	struct stat st;
	char *data = NULL, *ln, *next, *f[5], *fs;
	size_t len = 0, line = 0, nf;
	int r;

	memset(acc, 0, sizeof(*acc));
	memset(&a, 0, sizeof(a));
	if (stat(path, &st) == -1)
		return hk_errf(HK_ERR_NOT_FOUND, "%s: %s", path, strerror(errno));
	if ((st.st_mode & 077) != 0)
		return hk_errf(HK_ERR_CREDENTIALS_UNSAFE,
		    "%s: readable by group or others (chmod 600)", path);
	if ((r = hk_file_read(path, 1024 * 1024, &data, &len)) != 0)
		return r;
	for (ln = data; ln != NULL; ln = next) {
		if ((next = strchr(ln, '\n')) != NULL)
			*next++ = '\0';
		line++;
		for (nf = 0, fs = ln; nf < 5; nf++) {
			while (*fs == ' ' || *fs == '\t' || *fs == '\r')
				fs++;
			if (*fs == '\0' || *fs == '#')
				break;
			f[nf] = fs;
			while (*fs != '\0' && *fs != ' ' && *fs != '\t' && *fs != '\r')
				fs++;
			if (*fs != '\0')
				*fs++ = '\0';
		}
		if (nf == 0)
			continue;
		if (nf < 3 || nf > 4 || (strcmp(f[0], "aliyun") == 0 && nf != 3)) {
			r = hk_errf(HK_ERR_FORMAT_MALFORMED, "%s:%zu: expected "
			    "\"aliyun AK SECRET\" or \"huawei AK SK [region=project,...]\"",
			    path, line);
			goto out;
		}
		if (strcmp(f[0], "aliyun") == 0)
			a.provider = SIM_ALIYUN;
		else if (strcmp(f[0], "huawei") == 0)
			a.provider = SIM_HUAWEI;
		else {
			r = hk_errf(HK_ERR_FORMAT_MALFORMED, "%s:%zu: unknown provider %s",
			    path, line, f[0]);
			goto out;
		}
		if (sim_account_find(acc, a.provider, f[1]) != NULL) {
			r = hk_errf(HK_ERR_FORMAT_MALFORMED, "%s:%zu: duplicate key id %s",
			    path, line, f[1]);
			goto out;
		}
		if ((a.ak = strdup(f[1])) == NULL || (a.secret = strdup(f[2])) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		if (a.provider == SIM_HUAWEI) {
			r = nf == 4 ? projects_parse(&a, f[3], path, line) :
			    projects_default(&a);
			if (r != 0)
				goto out;
		}
		if ((na = realloc(acc->a, (acc->n + 1) * sizeof(*na))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		acc->a = na;
		acc->a[acc->n++] = a;
		memset(&a, 0, sizeof(a));
	}
	if (acc->n == 0) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: no accounts", path);
		goto out;
	}
	r = 0;
 out:
	account_clear(&a);
	if (r != 0)
		sim_accounts_free(acc);
	hk_freezero(data, len);
	return r;
}

const struct sim_account *
sim_account_find(const struct sim_accounts *acc, enum sim_provider provider,
    const char *ak)
{
	size_t i;

	if (ak == NULL)
		return NULL;
	for (i = 0; i < acc->n; i++)
		if (acc->a[i].provider == provider && strcmp(acc->a[i].ak, ak) == 0)
			return &acc->a[i];
	return NULL;
}

const char *
sim_project_region(const struct sim_account *a, const char *project_id)
{
	size_t i;

	for (i = 0; i < a->nprojects; i++)
		if (strcmp(a->projects[i].id, project_id) == 0)
			return a->projects[i].region;
	return NULL;
}
