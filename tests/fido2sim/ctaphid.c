/* hwkey-fido2sim: CTAPHID over a Unix stream socket. Each connection is one
 * "HID device open"; every read and write is one raw 64-byte packet (no report
 * id). Reassembles messages, allocates channels, answers INIT/PING/WINK/CBOR/
 * CANCEL, sends KEEPALIVE while waiting for a touch, and CTAPHID errors. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ctaphid.h"

#define PKT		64
#define INIT_DATA	57
#define CONT_DATA	59
#define CID_BROADCAST	0xffffffffu
#define CMD_PING	0x01
#define CMD_MSG		0x03
#define CMD_INIT	0x06
#define CMD_WINK	0x08
#define CMD_CBOR	0x10
#define CMD_CANCEL	0x11
#define CMD_KEEPALIVE	0x3b
#define CMD_ERROR	0x3f
#define CAP_WINK	0x01
#define CAP_CBOR	0x04
#define CAP_NMSG	0x08
#define KEEPALIVE_UPNEEDED 2
#define CONT_TIMEOUT_MS	500
#define DENY_AFTER_MS	300

extern volatile sig_atomic_t sim_stop;

static uint32_t
get_cid(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_cid(uint8_t *p, uint32_t cid)
{
	p[0] = (uint8_t)(cid >> 24);
	p[1] = (uint8_t)(cid >> 16);
	p[2] = (uint8_t)(cid >> 8);
	p[3] = (uint8_t)cid;
}

long
sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* 1: a packet, 0: timeout (ms >= 0), -1: closed or error. */
static int
read_packet(struct sim_conn *c, uint8_t pkt[PKT], int ms)
{
	size_t got = 0;

	while (got < PKT) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int r = poll(&pfd, 1, got ? CONT_TIMEOUT_MS : ms);
		ssize_t n;

		if (r < 0 && errno == EINTR) {
			if (sim_stop)
				return -1;
			continue;
		}
		if (r < 0)
			return -1;
		if (r == 0) {
			if (got)
				return -1;	/* half a packet: the stream is broken */
			return 0;
		}
		n = read(c->fd, pkt + got, PKT - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 1;
}

static void
write_packet(struct sim_conn *c, const uint8_t pkt[PKT])
{
	size_t off = 0;

	while (!c->dead && off < PKT) {
		ssize_t n = send(c->fd, pkt + off, PKT - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->dead = true;
			return;
		}
		off += (size_t)n;
	}
}

static void
send_msg(struct sim_conn *c, uint32_t cid, uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t pkt[PKT];
	size_t off = 0, n;
	uint8_t seq = 0;

	memset(pkt, 0, sizeof(pkt));
	put_cid(pkt, cid);
	pkt[4] = 0x80 | cmd;
	pkt[5] = (uint8_t)(len >> 8);
	pkt[6] = (uint8_t)len;
	n = len < INIT_DATA ? len : INIT_DATA;
	if (n)
		memcpy(pkt + 7, data, n);
	write_packet(c, pkt);
	off = n;
	while (off < len) {
		memset(pkt, 0, sizeof(pkt));
		put_cid(pkt, cid);
		pkt[4] = seq++;
		n = len - off < CONT_DATA ? len - off : CONT_DATA;
		memcpy(pkt + 5, data + off, n);
		write_packet(c, pkt);
		off += n;
	}
}

static void
send_error(struct sim_conn *c, uint32_t cid, uint8_t code)
{
	send_msg(c, cid, CMD_ERROR, &code, 1);
}

static bool
cid_known(const struct sim_conn *c, uint32_t cid)
{
	for (size_t i = 0; i < c->n_cids; i++)
		if (c->cids[i] == cid)
			return true;
	return false;
}

static void
do_init(struct sim_conn *c, uint32_t cid, const uint8_t *nonce)
{
	uint8_t r[17];
	uint32_t ncid = cid;

	if (cid == CID_BROADCAST) {
		do {
			if (sim_random((uint8_t *)&ncid, sizeof(ncid)) != 0) {
				send_error(c, cid, CTAP1_ERR_OTHER);
				return;
			}
		} while (ncid == 0 || ncid == CID_BROADCAST || cid_known(c, ncid));
		if (c->n_cids == sizeof(c->cids) / sizeof(c->cids[0]))
			memmove(c->cids, c->cids + 1, sizeof(c->cids) - sizeof(c->cids[0]));
		else
			c->n_cids++;
		c->cids[c->n_cids - 1] = ncid;
	}
	memcpy(r, nonce, 8);
	put_cid(r + 8, ncid);
	r[12] = 2;		/* CTAPHID protocol version */
	r[13] = 1;		/* device version major.minor.build */
	r[14] = 0;
	r[15] = 0;
	r[16] = CAP_WINK | CAP_CBOR | CAP_NMSG;
	send_msg(c, cid, CMD_INIT, r, sizeof(r));
}

int
sim_conn_user_presence(struct sim_conn *c)
{
	const struct sim_options *o = &c->sim->opt;
	long start = sim_now_ms(), wait, left;
	int result;
	uint8_t ka = KEEPALIVE_UPNEEDED, pkt[PKT];

	switch (o->touch) {
	case SIM_TOUCH_DENY:
		wait = DENY_AFTER_MS;
		result = CTAP2_ERR_OPERATION_DENIED;
		break;
	case SIM_TOUCH_TIMEOUT:
		wait = o->touch_timeout_ms;
		result = CTAP2_ERR_USER_ACTION_TIMEOUT;
		break;
	default:
		wait = o->touch_delay_ms;
		result = CTAP2_OK;
		break;
	}
	while ((left = start + wait - sim_now_ms()) > 0) {
		int r;

		send_msg(c, c->cur_cid, CMD_KEEPALIVE, &ka, 1);
		if (c->dead || sim_stop)
			return CTAP2_ERR_KEEPALIVE_CANCEL;
		r = read_packet(c, pkt, left < 100 ? (int)left : 100);
		if (r < 0) {
			c->dead = true;
			return CTAP2_ERR_KEEPALIVE_CANCEL;
		}
		if (r == 0 || !(pkt[4] & 0x80))
			continue;
		if (get_cid(pkt) == c->cur_cid && (pkt[4] & 0x7f) == CMD_CANCEL)
			return CTAP2_ERR_KEEPALIVE_CANCEL;
		/* Anything else while busy: the channel (or device) is busy. */
		send_error(c, get_cid(pkt), CTAP1_ERR_CHANNEL_BUSY);
	}
	return result;
}

/* Reads one message starting with the init packet in pkt. Returns the
 * payload length, or -1 after an error reply has been sent (or the peer left). */
static long
assemble(struct sim_conn *c, const uint8_t first[PKT], uint8_t *msg)
{
	uint32_t cid = get_cid(first);
	size_t len = (size_t)first[5] << 8 | first[6], got;
	uint8_t pkt[PKT], seq = 0;

	if (len > SIM_MAX_MSG) {
		send_error(c, cid, CTAP1_ERR_INVALID_LENGTH);
		return -1;
	}
	got = len < INIT_DATA ? len : INIT_DATA;
	memcpy(msg, first + 7, got);
	while (got < len) {
		int r = read_packet(c, pkt, CONT_TIMEOUT_MS);
		size_t n;

		if (r < 0) {
			c->dead = true;
			return -1;
		}
		if (r == 0) {
			send_error(c, cid, CTAP1_ERR_TIMEOUT);
			return -1;
		}
		if (get_cid(pkt) != cid) {
			if (pkt[4] & 0x80)
				send_error(c, get_cid(pkt), CTAP1_ERR_CHANNEL_BUSY);
			continue;
		}
		if ((pkt[4] & 0x80) || pkt[4] != seq) {
			send_error(c, cid, CTAP1_ERR_INVALID_SEQ);
			return -1;
		}
		seq++;
		n = len - got < CONT_DATA ? len - got : CONT_DATA;
		memcpy(msg + got, pkt + 5, n);
		got += n;
	}
	return (long)len;
}

int
sim_conn_serve_one(struct sim_conn *c)
{
	static uint8_t msg[SIM_MAX_MSG], reply[SIM_MAX_MSG];
	uint8_t pkt[PKT], cmd;
	uint32_t cid;
	long len;
	int r;

	if ((r = read_packet(c, pkt, 0)) <= 0)
		return r < 0 ? -1 : 0;
	if (!(pkt[4] & 0x80))
		return 0;	/* a stray continuation packet: ignored */
	cid = get_cid(pkt);
	cmd = pkt[4] & 0x7f;
	if ((len = assemble(c, pkt, msg)) < 0)
		return c->dead ? -1 : 0;
	if (cid == 0) {
		send_error(c, cid, CTAP1_ERR_INVALID_CHANNEL);
	} else if (cmd == CMD_INIT) {
		if (len != 8)
			send_error(c, cid, CTAP1_ERR_INVALID_LENGTH);
		else if (cid != CID_BROADCAST && !cid_known(c, cid))
			send_error(c, cid, CTAP1_ERR_INVALID_CHANNEL);
		else
			do_init(c, cid, msg);
	} else if (cid == CID_BROADCAST || !cid_known(c, cid)) {
		send_error(c, cid, CTAP1_ERR_INVALID_CHANNEL);
	} else if (cmd == CMD_PING) {
		send_msg(c, cid, CMD_PING, msg, (size_t)len);
	} else if (cmd == CMD_WINK) {
		send_msg(c, cid, CMD_WINK, NULL, 0);
	} else if (cmd == CMD_CANCEL) {
		/* nothing pending: no reply, as the spec says */
	} else if (cmd == CMD_CBOR) {
		size_t n;

		if (len < 1) {
			send_error(c, cid, CTAP1_ERR_INVALID_LENGTH);
			return 0;
		}
		c->cur_cid = cid;
		c->sim->sess = c->sess;
		n = sim_ctap2(c->sim, c, msg, (size_t)len, reply, sizeof(reply));
		c->sess = c->sim->sess;
		OPENSSL_cleanse(&c->sim->sess, sizeof(c->sim->sess));
		send_msg(c, cid, CMD_CBOR, reply, n);
	} else {
		/* CTAPHID_MSG included: NMSG, this device speaks CTAP2 only */
		send_error(c, cid, CTAP1_ERR_INVALID_COMMAND);
	}
	return c->dead ? -1 : 0;
}
