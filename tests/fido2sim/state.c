/* hwkey-fido2sim: the state file (master key, PIN hash and retries, signature
 * counter, discoverable credentials). Text, one record a line, strings in hex;
 * written atomically (tmp + fsync + rename) after every change. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sim.h"

#define STATE_MAGIC "hwkey-fido2sim-state 1"

void
sim_rk_free(struct sim_rk *rk)
{
	free(rk->rp_id);
	free(rk->rp_name);
	free(rk->user_name);
	free(rk->user_display);
	memset(rk, 0, sizeof(*rk));
}

void
sim_state_clear(struct sim_state *st)
{
	for (size_t i = 0; i < st->n_rk; i++)
		sim_rk_free(&st->rk[i]);
	OPENSSL_cleanse(st, sizeof(*st));
}

static void
put_hex(FILE *f, const uint8_t *p, size_t n)
{
	if (n == 0) {
		fputs(" -", f);
		return;
	}
	fputc(' ', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void
put_str(FILE *f, const char *s)
{
	put_hex(f, (const uint8_t *)(s ? s : ""), s ? strlen(s) : 0);
}

/* Decodes hex (or "-" for empty) into p; returns the length or -1. */
static long
get_hex(const char *h, uint8_t *p, size_t cap)
{
	size_t n = strlen(h);

	if (strcmp(h, "-") == 0)
		return 0;
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		p[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

static char *
get_str(const char *h)
{
	uint8_t buf[512];
	long n = get_hex(h, buf, sizeof(buf) - 1);
	char *s;

	if (n < 0 || memchr(buf, 0, (size_t)n) != NULL || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(s, buf, (size_t)n);
	s[n] = '\0';
	return s;
}

static int
parse_rk(struct sim_state *st, char *line)
{
	char *f[10], *save = NULL, *t;
	struct sim_rk *rk;
	long n;
	int i = 0;

	for (t = strtok_r(line, " \n", &save); t && i < 10; t = strtok_r(NULL, " \n", &save))
		f[i++] = t;
	if (i != 10 || st->n_rk >= SIM_MAX_RK)
		return -1;
	rk = &st->rk[st->n_rk];
	memset(rk, 0, sizeof(*rk));
	if ((n = get_hex(f[1], rk->id, sizeof(rk->id))) <= 0)
		return -1;
	rk->id_len = (size_t)n;
	rk->alg = atoi(f[2]);
	rk->prot = atoi(f[3]);
	rk->created = strtoull(f[4], NULL, 10);
	if ((n = get_hex(f[7], rk->user_id, sizeof(rk->user_id))) < 0)
		return -1;
	rk->user_id_len = (size_t)n;
	rk->rp_id = get_str(f[5]);
	rk->rp_name = get_str(f[6]);
	rk->user_name = get_str(f[8]);
	rk->user_display = get_str(f[9]);
	st->n_rk++;
	if (!rk->rp_id || !rk->rp_name || !rk->user_name || !rk->user_display)
		return -1;
	return 0;
}

static int
state_parse(struct sim_state *st, FILE *f)
{
	char line[4096];
	bool magic = false, master = false;

	while (fgets(line, sizeof(line), f) != NULL) {
		char hex[128];
		unsigned long v;

		line[strcspn(line, "\n")] = '\0';
		if (!magic) {
			if (strcmp(line, STATE_MAGIC) != 0)
				return -1;
			magic = true;
		} else if (sscanf(line, "master %127s", hex) == 1) {
			if (get_hex(hex, st->master, 32) != 32)
				return -1;
			master = true;
		} else if (strcmp(line, "pin none") == 0) {
			st->pin_set = false;
		} else if (sscanf(line, "pin %127s %lu", hex, &v) == 2) {
			if (get_hex(hex, st->pin_hash, 16) != 16)
				return -1;
			st->pin_set = true;
			st->pin_len = v;
		} else if (sscanf(line, "retries %lu", &v) == 1) {
			st->pin_retries = (int)v;
		} else if (sscanf(line, "counter %lu", &v) == 1) {
			st->counter = (uint32_t)v;
		} else if (sscanf(line, "serial %lu", &v) == 1) {
			st->next_serial = v;
		} else if (strncmp(line, "rk ", 3) == 0) {
			if (parse_rk(st, line) != 0)
				return -1;
		} else if (line[0] != '\0') {
			return -1;
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	return magic && master ? 0 : -1;
}

int
sim_state_save(const struct sim *s)
{
	const struct sim_state *st = &s->st;
	char tmp[4096];
	FILE *f;
	int fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", s->opt.state_path) >= (int)sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	fprintf(f, "%s\nmaster", STATE_MAGIC);
	put_hex(f, st->master, 32);
	if (st->pin_set) {
		fputs("\npin", f);
		put_hex(f, st->pin_hash, 16);
		fprintf(f, " %zu", st->pin_len);
	} else {
		fputs("\npin none", f);
	}
	fprintf(f, "\nretries %d\ncounter %u\nserial %llu\n", st->pin_retries,
	    (unsigned)st->counter, (unsigned long long)st->next_serial);
	for (size_t i = 0; i < st->n_rk; i++) {
		const struct sim_rk *rk = &st->rk[i];
		fputs("rk", f);
		put_hex(f, rk->id, rk->id_len);
		fprintf(f, " %d %d %llu", rk->alg, rk->prot, (unsigned long long)rk->created);
		put_str(f, rk->rp_id);
		put_str(f, rk->rp_name);
		put_hex(f, rk->user_id, rk->user_id_len);
		put_str(f, rk->user_name);
		put_str(f, rk->user_display);
		fputc('\n', f);
	}
	if (fflush(f) == 0 && fsync(fd) == 0)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, s->opt.state_path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
sim_state_load(struct sim *s, bool *created)
{
	struct sim_state *st = &s->st;
	FILE *f;

	*created = false;
	memset(st, 0, sizeof(*st));
	if ((f = fopen(s->opt.state_path, "re")) != NULL) {
		int rc = state_parse(st, f);
		fclose(f);
		if (rc != 0)
			sim_state_clear(st);
		return rc;
	}
	if (errno != ENOENT)
		return -1;
	/* A new device: fresh master key, the preset PIN if any. */
	if (sim_random(st->master, sizeof(st->master)) != 0)
		return -1;
	st->pin_retries = SIM_PIN_RETRIES;
	st->next_serial = 1;
	if (s->opt.preset_pin_len > 0) {
		uint8_t h[32];
		sim_sha256(s->opt.preset_pin, s->opt.preset_pin_len, h);
		memcpy(st->pin_hash, h, 16);
		OPENSSL_cleanse(h, sizeof(h));
		st->pin_set = true;
		st->pin_len = s->opt.preset_pin_len;
	}
	*created = true;
	return sim_state_save(s);
}
