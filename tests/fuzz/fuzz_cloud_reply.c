/* Fuzz target: the Alibaba ECS and Huawei KPS response parsers (a cloud
 * endpoint, or anything posing as one, is untrusted input). Byte 0 picks the
 * provider and operation, byte 1 the HTTP status class, the rest is the body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 204, 400, 403, 404, 409, 429, 500, 503 };
	struct hk_cloud_reply reply;
	char *body;
	size_t i;
	long status;

	if (size < 2)
		return 0;
	status = statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
	/* Bodies arrive NUL-terminated from the HTTP layer. */
	if ((body = malloc(size - 2 + 1)) == NULL)
		return 0;
	memcpy(body, data + 2, size - 2);
	body[size - 2] = '\0';
	if (data[0] & 0x80)
		hk_cloud_huawei_parse(data[0] & 0x7f, status, body, size - 2, &reply);
	else
		hk_cloud_aliyun_parse(data[0], status, body, size - 2, &reply);
	/* Whatever was parsed is well formed: strings are strings, counts hold. */
	for (i = 0; i < reply.npairs; i++)
		if (reply.pairs[i].name != NULL && strlen(reply.pairs[i].name) > size)
			__builtin_trap();
	for (i = 0; i < reply.nregions; i++)
		if (reply.regions[i] == NULL)
			__builtin_trap();
	hk_cloud_reply_clear(&reply);
	free(body);
	return 0;
}
