/* storefill: put rows into an inventory through the store API, as the
 * provisioning engine will, so the inventory and audit tests have real
 * rows in a real SQLite file before the engine exists. Prints the id made.
 *
 *   storefill INV token BACKEND SERIAL [field=value...]   model, manufacturer,
 *                                        firmware, label, uri, aaguid, person
 *   storefill INV key TOKEN_ID REF PUBFILE [field=value...]   label, person,
 *                                        proof (verified|unverified|none), detail,
 *                                        attestation=FILE, format
 *   storefill INV import KEY_ID CLOUD REGION NAME STATUS [cloud_fp=F] [account=A]
 *   storefill INV journal PLAN ENTRY STEP begin|end [OUTCOME [DETAIL]]
 *                                        (STOREFILL_KEY=ID: the entry holds key ID)
 *   storefill INV fill N                 N journal rows of 4 KiB (disk-full tests)
 *
 * Errors print the store's message and exit with hwkey's exit status for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "file.h"
#include "key.h"
#include "store.h"

static const char *
field(int argc, char **argv, int from, const char *name)
{
	size_t n = strlen(name);

	for (int i = from; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static int
die(int r)
{
	fprintf(stderr, "storefill: %s\n", hk_err_detail()[0] != '\0' ? hk_err_detail() :
	    hk_strerror(r));
	return hk_err_exit(r);
}

int
main(int argc, char **argv)
{
	struct hk_store *st = NULL;
	int64_t id = 0;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: storefill INVENTORY token|key|import|journal|fill ...\n");
		return 2;
	}
	if ((r = hk_store_open(argv[1], HK_STORE_CREATE, &st)) != 0)
		return die(r);
	if (strcmp(argv[2], "token") == 0 && argc >= 5) {
		struct hk_store_token t = { .backend = argv[3], .serial = argv[4],
		    .model = field(argc, argv, 5, "model"),
		    .manufacturer = field(argc, argv, 5, "manufacturer"),
		    .firmware = field(argc, argv, 5, "firmware"),
		    .label = field(argc, argv, 5, "label"), .uri = field(argc, argv, 5, "uri"),
		    .aaguid = field(argc, argv, 5, "aaguid"),
		    .person = field(argc, argv, 5, "person") };

		r = hk_store_token_upsert(st, &t, &id);
	} else if (strcmp(argv[2], "key") == 0 && argc >= 6) {
		const char *proof = field(argc, argv, 6, "proof"), *att = field(argc, argv, 6,
		    "attestation");
		struct hk_store_key k = { .token_id = strtoll(argv[3], NULL, 10), .ref = argv[4],
		    .label = field(argc, argv, 6, "label"),
		    .person = field(argc, argv, 6, "person"),
		    .proof_detail = field(argc, argv, 6, "detail"),
		    .attestation_format = field(argc, argv, 6, "format") };
		char *data = NULL, *adata = NULL;
		size_t len = 0, alen = 0;

		if (proof != NULL && strcmp(proof, "none") != 0) {
			k.proof_kind = "pkcs11-flags";
			k.proof_verified = strcmp(proof, "verified") == 0;
		}
		if ((r = hk_file_read(argv[5], HK_FILE_MAX, &data, &len)) == 0 &&
		    (r = hk_key_parse(data, len, &k.key)) == 0 &&
		    (att == NULL || (r = hk_file_read(att, HK_FILE_MAX, &adata, &alen)) == 0)) {
			k.attestation = (const uint8_t *)adata;
			k.attestation_len = alen;
			r = hk_store_key_put(st, &k, &id);
		}
		hk_key_free(k.key);
		free(data);
		free(adata);
	} else if (strcmp(argv[2], "import") == 0 && argc >= 8) {
		struct hk_store_import imp = { .key_id = strtoll(argv[3], NULL, 10),
		    .provider = argv[4], .region = argv[5], .name = argv[6],
		    .cloud_fp = field(argc, argv, 8, "cloud_fp"),
		    .account = field(argc, argv, 8, "account") };

		if ((r = hk_store_import_status_from_name(argv[7], &imp.status)) == 0)
			r = hk_store_import_put(st, &imp, &id);
	} else if (strcmp(argv[2], "journal") == 0 && argc >= 7) {
		struct hk_store_entry *e = NULL;

		const char *key = getenv("STOREFILL_KEY");

		if ((r = hk_store_entry_get(st, argv[3], argv[4], &e)) == 0 && key != NULL)
			r = hk_store_entry_update(st, e->id, 0, strtoll(key, NULL, 10), NULL);
		if (r == 0) {
			id = e->id;
			r = hk_store_journal(st, e->id, 0, argv[5], strcmp(argv[6], "end") == 0 ?
			    HK_STORE_END : HK_STORE_BEGIN, argc > 7 ? argv[7] : NULL, 0,
			    argc > 8 ? argv[8] : NULL);
		}
		hk_store_entry_free(e);
	} else if (strcmp(argv[2], "fill") == 0 && argc >= 4) {
		struct hk_store_entry *e = NULL;
		char big[4096];
		long n = strtol(argv[3], NULL, 10);

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		if ((r = hk_store_entry_get(st, "", "fill", &e)) == 0)
			for (id = 0; id < n && r == 0; id++)
				if ((r = hk_store_journal(st, e->id, 0, "fill", HK_STORE_END, "ok", 0,
				    big)) != 0)
					break;
		printf("%lld\n", (long long)id);
		hk_store_entry_free(e);
	} else {
		fprintf(stderr, "storefill: bad arguments\n");
		hk_store_close(st);
		return 2;
	}
	if (r != 0) {
		r = die(r);
		hk_store_close(st);
		return r;
	}
	if (strcmp(argv[2], "fill") != 0)
		printf("%lld\n", (long long)id);
	hk_store_close(st);
	return 0;
}
