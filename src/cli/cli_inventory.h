/* What hwkey inventory and hwkey audit share: opening the inventory for
 * reading, a key as JSON and its person, times as text. */
#ifndef HK_CLI_INVENTORY_H
#define HK_CLI_INVENTORY_H

#include <jansson.h>

#include "cli.h"
#include "store.h"

/*
 * Open the inventory at path (NULL: the default) to read: read-write when
 * possible (an older schema is migrated), read-only on a read-only file or
 * file system.
 */
int hk_cli_inventory_open(const char *path, struct hk_store **stp);
/* A failure of a whole command: the text on stderr, with --json the error document. */
int hk_cli_inventory_fail(const struct hk_cmd *cmd, int json, int err);
/* "2026-12-01T10:33:01Z" into buf (at least 32 bytes); "" for 0. */
const char *hk_cli_inventory_time(int64_t t, char *buf, size_t size);
/* Whom the key belongs to: its own person, else its token's; NULL when unknown. */
const char *hk_cli_inventory_person(const struct hk_store_key *k,
    const struct hk_store_token *t);
/* {"sha256": ..., "md5": ..., ...}: the fingerprints the inventory keeps. */
json_t *hk_cli_inventory_fps_json(const struct hk_store_key *k);
/* One key (docs/json/common.schema.json inventory_key); imps may be NULL (no "imports"). */
json_t *hk_cli_inventory_key_json(const struct hk_store_key *k, const struct hk_store_token *t,
    struct hk_store_import *const *imps, size_t nimps);
json_t *hk_cli_inventory_import_json(const struct hk_store_import *imp);
json_t *hk_cli_inventory_token_json(const struct hk_store_token *t);
/* The token of id among toks (a listing), or NULL. */
const struct hk_store_token *hk_cli_inventory_token_of(struct hk_store_token *const *toks,
    size_t n, int64_t id);

#endif /* HK_CLI_INVENTORY_H */
