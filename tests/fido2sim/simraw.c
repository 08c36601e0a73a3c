/* simprobe, raw half: CTAPHID packets made by hand (no libfido2) to check
 * the simulator's framing, error replies, keepalives, busy and cancel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simprobe.h"

/* ---- raw CTAPHID framing checks (no libfido2) ---- */

static int raw_fd = -1;

static void
raw_send(uint32_t cid, int init, uint8_t cmd_or_seq, uint16_t bcnt, const void *data,
	size_t len)
{
	unsigned char p[PKT];

	memset(p, 0, sizeof(p));
	p[0] = (unsigned char)(cid >> 24);
	p[1] = (unsigned char)(cid >> 16);
	p[2] = (unsigned char)(cid >> 8);
	p[3] = (unsigned char)cid;
	if (init) {
		p[4] = 0x80 | cmd_or_seq;
		p[5] = (unsigned char)(bcnt >> 8);
		p[6] = (unsigned char)bcnt;
		if (len)
			memcpy(p + 7, data, len > 57 ? 57 : len);
	} else {
		p[4] = cmd_or_seq;
		if (len)
			memcpy(p + 5, data, len > 59 ? 59 : len);
	}
	write_full(raw_fd, p, PKT);
}

/* Next non-keepalive packet: prints "name=CID CMD BCNT DATA0" */
static int
raw_recv(const char *name, unsigned char p[PKT])
{
	do {
		if (read_full(raw_fd, p, PKT, 5000) != PKT) {
			printf("%s=none\n", name);
			return -1;
		}
	} while (p[4] == 0xbb);
	printf("%s=cmd:%02x bcnt:%u data0:%02x\n", name, p[4], p[5] << 8 | p[6], p[7]);
	return 0;
}

int
cmd_raw(const char *path)
{
	unsigned char p[PKT], nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, big[200];
	uint32_t cid;

	if ((raw_fd = sock_connect(path)) < 0)
		return 3;
	raw_send(0xffffffff, 1, 0x06, 8, nonce, 8);
	if (raw_recv("init", p) != 0)
		return 3;
	printf("init.nonce_echo=%d\n", memcmp(p + 7, nonce, 8) == 0);
	printf("init.caps=0x%02x\n", p[7 + 16]);
	cid = (uint32_t)p[15] << 24 | (uint32_t)p[16] << 16 | (uint32_t)p[17] << 8 | p[18];
	printf("init.cid_new=%d\n", cid != 0 && cid != 0xffffffff);
	/* PING across three packets comes back whole */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)i;
	raw_send(cid, 1, 0x01, sizeof(big), big, 57);
	raw_send(cid, 0, 0, 0, big + 57, 59);
	raw_send(cid, 0, 1, 0, big + 116, 59);
	raw_send(cid, 0, 2, 0, big + 175, 25);
	if (raw_recv("ping", p) == 0) {
		unsigned char back[200];
		size_t got = 57;
		memcpy(back, p + 7, 57);
		for (int s = 0; got < sizeof(back) && read_full(raw_fd, p, PKT, 5000) == PKT; s++) {
			size_t n = sizeof(back) - got < 59 ? sizeof(back) - got : 59;
			memcpy(back + got, p + 5, n);
			got += n;
		}
		printf("ping.echo=%d\n", got == sizeof(back) && memcmp(back, big, sizeof(big)) == 0);
	}
	raw_send(cid + 1 == 0xffffffff ? 7 : cid + 1, 1, 0x01, 1, big, 1);	/* unknown channel */
	raw_recv("badcid", p);
	raw_send(0xffffffff, 1, 0x10, 1, "\x04", 1);	/* CBOR on broadcast */
	raw_recv("broadcast_cbor", p);
	raw_send(cid, 1, 0x33, 0, NULL, 0);		/* no such command */
	raw_recv("badcmd", p);
	raw_send(cid, 1, 0x03, 1, big, 1);		/* CTAPHID_MSG: NMSG */
	raw_recv("msg", p);
	raw_send(cid, 1, 0x01, 8000, big, 57);		/* longer than CTAPHID allows */
	raw_recv("badlen", p);
	raw_send(cid, 1, 0x01, 100, big, 57);		/* then seq 1 instead of 0 */
	raw_send(cid, 0, 1, 0, big + 57, 43);
	raw_recv("badseq", p);
	raw_send(cid, 1, 0x06, 4, nonce, 4);		/* INIT with a short nonce */
	raw_recv("badinit", p);
	raw_send(cid, 1, 0x10, 3, "\x01\xa1\x01", 3);	/* truncated CBOR map */
	raw_recv("cbor_truncated", p);
	raw_send(cid, 1, 0x10, 2, "\x01\x80", 2);	/* an array, not a map */
	raw_recv("cbor_notmap", p);
	raw_send(cid, 1, 0x10, 2, "\x01\xa0", 2);	/* makeCredential without params */
	raw_recv("cbor_empty", p);
	raw_send(cid, 1, 0x10, 1, "\x55", 1);		/* no such CTAP2 command */
	raw_recv("cbor_badcmd", p);
	raw_send(cid, 1, 0x10, 0, NULL, 0);		/* CBOR with no command byte */
	raw_recv("cbor_nothing", p);
	raw_send(cid, 1, 0x10, 1, "\x04", 1);		/* GetInfo still works */
	raw_recv("getinfo", p);
	close(raw_fd);
	return 0;
}

static uint32_t
raw_init(const char *name)
{
	unsigned char p[PKT], nonce[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };

	raw_send(0xffffffff, 1, 0x06, 8, nonce, 8);
	if (raw_recv(name, p) != 0)
		return 0;
	return (uint32_t)p[15] << 24 | (uint32_t)p[16] << 16 | (uint32_t)p[17] << 8 | p[18];
}

/* During a touch wait (Reset, sim in --touch timeout): keepalives come, another
 * channel is told the device is busy, CTAPHID_CANCEL ends the wait. */
int
cmd_raw_touch(const char *path)
{
	unsigned char p[PKT];
	uint32_t c1, c2;

	if ((raw_fd = sock_connect(path)) < 0)
		return 3;
	if ((c1 = raw_init("init1")) == 0 || (c2 = raw_init("init2")) == 0)
		return 3;
	printf("two_channels=%d\n", c1 != c2);
	raw_send(c1, 1, 0x10, 1, "\x07", 1);	/* authenticatorReset: needs a touch */
	if (read_full(raw_fd, p, PKT, 5000) != PKT)
		return 3;
	printf("first=cmd:%02x bcnt:%u data0:%02x same_cid=%d\n", p[4], p[5] << 8 | p[6], p[7],
	    memcmp(p, (unsigned char[]){ c1 >> 24, c1 >> 16, c1 >> 8, c1 }, 4) == 0);
	raw_send(c2, 1, 0x01, 1, "x", 1);		/* PING on the other channel */
	raw_recv("other", p);
	printf("other.cid2=%d\n", memcmp(p, (unsigned char[]){ c2 >> 24, c2 >> 16, c2 >> 8, c2 }, 4) == 0);
	raw_send(c1, 1, 0x11, 0, NULL, 0);		/* CTAPHID_CANCEL */
	raw_recv("cancelled", p);
	close(raw_fd);
	return 0;
}


/* Reads one whole reply message (skipping keepalives); its command byte, or
 * -1 when none came. */
static int
raw_reply(uint32_t cid)
{
	unsigned char p[PKT], cmd;
	size_t len, got;

	do {
		if (read_full(raw_fd, p, PKT, 5000) != PKT)
			return -1;
	} while (p[4] == 0xbb);
	if (((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) != cid)
		return -1;
	cmd = p[4];
	len = (size_t)p[5] << 8 | p[6];
	for (got = len < 57 ? len : 57; got < len; got += 59)
		if (read_full(raw_fd, p, PKT, 5000) != PKT)
			return -1;
	return cmd == 0x90 || cmd == 0xbf ? 0 : -1;
}

/* A whole message over as many packets as it needs. */
static void
raw_send_msg(uint32_t cid, uint8_t cmd, const unsigned char *data, size_t len)
{
	size_t off = len < 57 ? len : 57;
	uint8_t seq = 0;

	raw_send(cid, 1, cmd, (uint16_t)len, data, off);
	while (off < len) {
		size_t n = len - off < 59 ? len - off : 59;
		raw_send(cid, 0, seq++, 0, data + off, n);
		off += n;
	}
}

/* Request templates (CTAP2 command byte + canonical CBOR), mutated below. */
static const unsigned char t_assert[] = {
	0x02, 0xa2, 0x01, 0x64, 's', 's', 'h', ':', 0x02, 0x58, 0x20,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char t_make[] = {
	0x01, 0xa4, 0x01, 0x58, 0x20,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x02, 0xa1, 0x62, 'i', 'd', 0x64, 's', 's', 'h', ':',
	0x03, 0xa1, 0x62, 'i', 'd', 0x41, 0x01,
	0x04, 0x81, 0xa2, 0x63, 'a', 'l', 'g', 0x26, 0x64, 't', 'y', 'p', 'e',
	0x6a, 'p', 'u', 'b', 'l', 'i', 'c', '-', 'k', 'e', 'y',
};
static const unsigned char t_pin[] = {	/* getPinToken, protocol 1 */
	0x06, 0xa4, 0x01, 0x01, 0x02, 0x05, 0x03,
	0xa5, 0x01, 0x02, 0x03, 0x38, 0x18, 0x20, 0x01, 0x21, 0x58, 0x20,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	0x22, 0x58, 0x20,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	0x06, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char t_credman[] = {	/* enumerateCredentialsBegin */
	0x41, 0xa4, 0x01, 0x04, 0x02, 0xa1, 0x01, 0x58, 0x20,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x03, 0x02, 0x04, 0x58, 0x20,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* N mutated CBOR requests (templates for each command, bytes overwritten at
 * random with a fixed seed, some truncated): every one must get exactly one
 * reply, and the device must still answer GetInfo afterwards. */
int
cmd_raw_garbage(const char *path, int n)
{
	static const struct { const unsigned char *p; size_t n; } tmpl[] = {
		{ t_assert, sizeof(t_assert) }, { t_make, sizeof(t_make) },
		{ t_pin, sizeof(t_pin) }, { t_credman, sizeof(t_credman) },
	};
	static const unsigned char cmds[] = { 0x01, 0x02, 0x04, 0x06, 0x07, 0x08, 0x0a, 0x41 };
	unsigned char msg[256], p[PKT];
	unsigned seed = 1;
	uint32_t cid;
	int replies = 0;

	if ((raw_fd = sock_connect(path)) < 0 || (cid = raw_init("init")) == 0)
		return 3;
	for (int i = 0; i < n; i++) {
		int t = rand_r(&seed) % 4;
		size_t len = tmpl[t].n;

		memcpy(msg, tmpl[t].p, len);
		if (rand_r(&seed) % 8 == 0)
			msg[0] = cmds[rand_r(&seed) % sizeof(cmds)];
		for (int k = rand_r(&seed) % 4; k > 0; k--)
			msg[1 + (size_t)rand_r(&seed) % (len - 1)] = (unsigned char)rand_r(&seed);
		if (rand_r(&seed) % 4 == 0)
			len = 1 + (size_t)rand_r(&seed) % len;	/* truncated */
		raw_send_msg(cid, 0x10, msg, len);
		if (raw_reply(cid) == 0)
			replies++;
		else if (getenv("SIMPROBE_DEBUG"))
			fprintf(stderr, "no reply to request %d (cmd 0x%02x, %zu bytes)\n", i, msg[0], len);
	}
	printf("garbage.replies=%d\n", replies);
	raw_send(cid, 1, 0x10, 1, "\x04", 1);
	raw_recv("getinfo", p);
	close(raw_fd);
	return 0;
}
