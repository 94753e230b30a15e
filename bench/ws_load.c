/*
 * ws_load: a WebSocket load generator for the front-door benchmarks.
 *
 * One thread, one libevent loop, non-blocking sockets, hand-written client
 * framing (RFC 6455: every client frame masked with a fresh key; server
 * frames must be unmasked).  The handshake's Sec-WebSocket-Accept is
 * checked with SHA-1 and base64 from OpenSSL's libcrypto.  Loopback only:
 * the host must be a numeric 127.0.0.0/8 or ::1 address.
 *
 * Modes:
 *
 *   rate     -c N connections, each keeping -k messages in flight, for -w
 *            seconds of warm-up and -d seconds of measurement (or until
 *            -n replies were measured); msg/s and latency percentiles.
 *            -j: the JSON protocol (/ws): wait for SessionEstablished,
 *            then send Ping to -a (default coordinator:main) and expect a
 *            Pong with the matching replyTo.  Otherwise -s byte text
 *            messages (default 64) that must come back unchanged.
 *
 *   connect  -c N connections with at most -f handshakes in flight
 *            (optionally -g ms between connection starts).  A connection
 *            counts as usable only after its first round trip (an echo,
 *            or with -j a Ping/Pong).  Connections are held, idle; at each
 *            count of -H (a comma list, e.g. 1000,5000) and at N it
 *            prints a "held" line and waits for a line on stdin (-W) or
 *            -i seconds; then it sends one more message on every held
 *            connection and counts those that answer ("verified").
 *
 * Every run is bounded: -T seconds in all (default 300), -t seconds per
 * handshake (default 10).  It stops by itself and prints one JSON object
 * per line on stdout: "held" lines, then one "result" line.  Diagnostics
 * go to stderr.  Exit status 0 when nothing failed, 1 otherwise, 2 on
 * usage errors.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define IN_MIN		4096
#define HEAD_MAX	8192
#define MAX_SAMPLES	(50u * 1000 * 1000)
#define MAX_CONNS	100000
#define MAX_INFLIGHT	1024
#define MAX_HOLDS	16

enum cstate {
	C_IDLE,			/* not started */
	C_CONNECTING,		/* connect(2) in progress */
	C_HANDSHAKE,		/* request sent, reading the 101 */
	C_ESTABLISH,		/* -j: waiting for SessionEstablished */
	C_PROBE,		/* connect mode: first round trip */
	C_OPEN,			/* usable */
	C_DEAD,			/* failed or closed */
};

struct conn {
	int		 fd;
	int		 idx;
	enum cstate	 state;
	struct event	*rev, *wev, *tev;
	char		 key[32];		/* Sec-WebSocket-Key */
	char		 accept[32];		/* expected accept value */
	uint8_t		*in;
	size_t		 inlen, incap;
	uint8_t		*out;
	size_t		 outlen, outoff, outcap;
	uint8_t		*frag;			/* a fragmented message */
	size_t		 fraglen;
	int		 fragop;
	uint64_t	 sent, recvd;		/* data messages */
	uint32_t	 inflight;
	double		*sendt;			/* ring of k send times */
	double		 t0, t_hs, t_first;	/* start, 101, usable */
	int		 verified;
	int		 verifying;
};

static struct {
	/* options */
	const char	*mode;
	char		 host[64];
	int		 port;
	const char	*path;
	int		 nconns;
	int		 inflight;
	double		 warm_s, dur_s;
	uint64_t	 nmsgs;
	size_t		 size;
	int		 json;
	const char	*target;
	int		 hs_inflight;
	double		 gap_ms;
	int		 holds[MAX_HOLDS];
	int		 nholds;
	int		 wait_stdin;
	double		 idle_s;
	double		 total_s;
	double		 hs_timeout_s;
	const char	*label;

	/* state */
	struct event_base	*base;
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	struct conn		*c;
	int			 started;	/* connections started */
	int			 pending;	/* handshakes in flight */
	int			 usable;
	int			 failed;
	int			 closed_early;	/* usable, then closed */
	int			 hold_at;	/* next stop: started up to */
	int			 hold_i;
	int			 holding;
	int			 phase;		/* see enum below */
	double			 t_start;	/* first connect */
	double			 t_last_usable;
	double			 t_seg_start;	/* this segment's first start */
	double			 seg_busy;	/* connecting time, holds excluded */
	double			 t_meas0, t_meas1;
	uint64_t		 measured;	/* replies in the window */
	uint64_t		 total_replies;
	uint64_t		 errors;	/* bad replies */
	uint64_t		 rng;
	double			*lat;		/* µs */
	size_t			 nlat, caplat;
	double			*tfe;		/* µs: connect to usable */
	double			*ths;		/* µs: connect to 101 */
	size_t			 ntfe, captfe, nths, capths;
	uint64_t		 outstanding;	/* messages in flight */
	int			 gap_ok;
	int			 verify_left;
	int			 verified;
	int			 timed_out;
	int			 exit_code;
	struct event		*gap_ev, *phase_ev, *stdin_ev, *deadline_ev;
	char			 msg[65536 + 256];	/* template */
} G;

enum {
	P_SETUP,		/* connecting */
	P_WARM,			/* traffic, not measured */
	P_MEASURE,		/* traffic, measured */
	P_DRAIN,		/* no new sends; waiting for replies */
	P_HOLD,			/* connect mode: holding */
	P_VERIFY,		/* connect mode: one more round trip each */
	P_DONE,
};

static void	conn_fail(struct conn *, const char *);
static void	conn_fail_errno(struct conn *, const char *);
static void	start_more(void);
static void	finish(void);
static void	send_data(struct conn *);

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
rnd(void)
{
	/* xorshift64*: masks and keys need no more than this. */
	G.rng ^= G.rng >> 12;
	G.rng ^= G.rng << 25;
	G.rng ^= G.rng >> 27;
	return G.rng * 2685821657736338717ULL;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ws_load -m rate|connect [-p port] [-h 127.0.0.1] "
	    "[-P path]\n"
	    "    [-c conns] [-k inflight] [-w warm_s] [-d dur_s] [-n msgs] "
	    "[-s size]\n"
	    "    [-j [-a to]] [-f hs_inflight] [-g gap_ms] [-H n,n,...] "
	    "[-W] [-i idle_s]\n"
	    "    [-T total_s] [-t hs_timeout_s] [-l label]\n");
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fprintf(stderr, "ws_load: out of memory\n");
		exit(1);
	}
	return p;
}

static void
add_sample(double **arr, size_t *n, size_t *cap, double v)
{
	if (*n >= MAX_SAMPLES)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 65536;
		*arr = xrealloc(*arr, *cap * sizeof(double));
	}
	(*arr)[(*n)++] = v;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double
pct(const double *v, size_t n, double p)
{
	size_t	 i;

	if (n == 0)
		return NAN;
	i = (size_t)ceil(p / 100.0 * (double)n);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static void
print_dist(const char *name, double *v, size_t n)
{
	double	 sum = 0;
	size_t	 i;

	qsort(v, n, sizeof(double), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf(",\"%s_n\":%zu", name, n);
	if (n == 0)
		return;
	printf(",\"%s_p50_us\":%.1f,\"%s_p90_us\":%.1f,\"%s_p99_us\":%.1f,"
	    "\"%s_p999_us\":%.1f,\"%s_max_us\":%.1f,\"%s_mean_us\":%.1f",
	    name, pct(v, n, 50), name, pct(v, n, 90), name, pct(v, n, 99),
	    name, pct(v, n, 99.9), name, v[n - 1], name, sum / (double)n);
}

/* ---- output ---- */

static void
want_write(struct conn *c)
{
	if (!event_pending(c->wev, EV_WRITE, NULL))
		event_add(c->wev, NULL);
}

static void
flush_out(struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				want_write(c);
				return;
			}
			conn_fail_errno(c, "send");
			return;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
}

static void
out_reserve(struct conn *c, size_t n)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n > c->outcap) {
		c->outcap = (c->outlen + n) * 2;
		c->out = xrealloc(c->out, c->outcap);
	}
}

/* Append one masked frame; the caller flushes. */
static void
put_frame(struct conn *c, int opcode, const void *data, size_t len)
{
	uint8_t		*p, mask[4];
	const uint8_t	*d = data;
	uint64_t	 r = rnd();
	size_t		 i;

	out_reserve(c, len + 14);
	p = c->out + c->outlen;
	*p++ = (uint8_t)(0x80 | opcode);
	if (len < 126)
		*p++ = (uint8_t)(0x80 | len);
	else if (len < 65536) {
		*p++ = 0x80 | 126;
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
	} else {
		*p++ = 0x80 | 127;
		for (i = 0; i < 8; i++)
			*p++ = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(mask, &r, 4);
	memcpy(p, mask, 4);
	p += 4;
	for (i = 0; i < len; i++)
		p[i] = d[i] ^ mask[i & 3];
	p += len;
	c->outlen = (size_t)(p - c->out);
}

/* ---- messages ---- */

/* The n-th data message of connection c: into buf, its length. */
static size_t
make_msg(struct conn *c, uint64_t n, char *buf)
{
	int	 k;

	if (G.json)
		return (size_t)snprintf(buf, 512, "{\"to\":\"%s\","
		    "\"from\":\"client:b\",\"type\":\"Ping\",\"id\":\"%d-%llu\","
		    "\"timestamp\":0,\"payload\":{}}", G.target, c->idx,
		    (unsigned long long)n);
	memcpy(buf, G.msg, G.size);
	k = snprintf(buf, 40, "%08d %016llu", c->idx, (unsigned long long)n);
	buf[k] = ' ';
	return G.size;
}

static void
send_data(struct conn *c)
{
	char	 buf[sizeof(G.msg)];
	size_t	 len;

	len = make_msg(c, c->sent, buf);
	if (c->sendt != NULL)
		c->sendt[c->sent % (uint64_t)G.inflight] = now_s();
	put_frame(c, 1, buf, len);
	c->sent++;
	c->inflight++;
	G.outstanding++;
}

/* Is this reply the answer to message n of c?  For JSON, the Pong. */
static int
reply_ok(struct conn *c, uint64_t n, const uint8_t *data, size_t len)
{
	char	 want[64];
	size_t	 wl;

	if (G.json) {
		wl = (size_t)snprintf(want, sizeof(want),
		    "\"replyTo\":\"%d-%llu\"", c->idx, (unsigned long long)n);
		return memmem(data, len, "\"type\":\"Pong\"", 13) != NULL &&
		    memmem(data, len, want, wl) != NULL;
	}
	if (len != G.size)
		return 0;
	wl = (size_t)snprintf(want, sizeof(want), "%08d %016llu", c->idx,
	    (unsigned long long)n);
	return memcmp(data, want, wl) == 0;
}

static void
conn_usable(struct conn *c)
{
	double	 t = now_s();

	c->state = C_OPEN;
	c->t_first = t;
	G.pending--;
	G.usable++;
	G.t_last_usable = t;
	evtimer_del(c->tev);
	add_sample(&G.tfe, &G.ntfe, &G.captfe, (t - c->t0) * 1e6);
	add_sample(&G.ths, &G.nths, &G.capths, (c->t_hs - c->t0) * 1e6);
}

/* A whole data message from the server. */
static void
on_message(struct conn *c, int opcode, const uint8_t *data, size_t len)
{
	double	 t;
	uint64_t n;

	(void)opcode;
	if (c->state == C_ESTABLISH) {
		if (memmem(data, len, "\"SessionEstablished\"", 20) == NULL) {
			conn_fail(c, "first message is not SessionEstablished");
			return;
		}
		if (strcmp(G.mode, "connect") == 0) {
			c->state = C_PROBE;
			send_data(c);
			flush_out(c);
		} else {
			conn_usable(c);
		}
		start_more();
		return;
	}
	if (G.json && memmem(data, len, "\"type\":\"Pong\"", 13) == NULL) {
		/* A push or an Error: an Error counts against us. */
		if (memmem(data, len, "\"type\":\"Error\"", 14) != NULL) {
			G.errors++;
			if (G.errors <= 3)
				fprintf(stderr, "ws_load: %.*s\n", (int)len,
				    (const char *)data);
			if (c->inflight > 0) {
				c->inflight--;
				c->recvd++;
				G.outstanding--;
			}
		}
		return;
	}
	n = c->recvd;
	if (c->inflight == 0 || !reply_ok(c, n, data, len)) {
		G.errors++;
		if (G.errors <= 3)
			fprintf(stderr, "ws_load: conn %d: unexpected reply "
			    "%llu (%zu bytes): %.*s\n", c->idx,
			    (unsigned long long)n, len,
			    (int)(len > 80 ? 80 : len), (const char *)data);
		conn_fail(c, "unexpected reply");
		return;
	}
	c->recvd++;
	c->inflight--;
	G.outstanding--;
	G.total_replies++;
	t = now_s();
	if (c->state == C_PROBE) {
		conn_usable(c);
		start_more();
		return;
	}
	if (c->verifying) {
		c->verifying = 0;
		c->verified = 1;
		G.verified++;
		if (--G.verify_left == 0)
			finish();
		return;
	}
	if (G.phase == P_MEASURE && c->sendt != NULL) {
		add_sample(&G.lat, &G.nlat, &G.caplat,
		    (t - c->sendt[n % (uint64_t)G.inflight]) * 1e6);
		G.measured++;
		if (G.nmsgs > 0 && G.measured >= G.nmsgs) {
			G.t_meas1 = t;
			G.phase = P_DRAIN;
			event_active(G.phase_ev, EV_TIMEOUT, 0);
		}
	}
	if (G.phase == P_WARM || G.phase == P_MEASURE) {
		send_data(c);
		flush_out(c);
	} else if (G.phase == P_DRAIN && G.outstanding == 0)
		finish();
}

/* Parse every whole frame in c->in. */
static void
parse_frames(struct conn *c)
{
	size_t	 off = 0, hl, i;
	uint64_t len;
	uint8_t	*p;
	int	 fin, op;

	while (c->state != C_DEAD && c->inlen - off >= 2) {
		p = c->in + off;
		fin = p[0] & 0x80;
		op = p[0] & 0x0f;
		if (p[0] & 0x70) {
			conn_fail(c, "reserved bits set by the server");
			return;
		}
		if (p[1] & 0x80) {
			conn_fail(c, "masked frame from the server");
			return;
		}
		len = p[1] & 0x7f;
		hl = 2;
		if (len == 126) {
			if (c->inlen - off < 4)
				break;
			len = (uint64_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (len == 127) {
			if (c->inlen - off < 10)
				break;
			len = 0;
			for (i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
			hl = 10;
		}
		if (len > 64u * 1024 * 1024) {
			conn_fail(c, "frame too large");
			return;
		}
		if (c->inlen - off < hl + len) {
			/* Wait for the rest; make room for it. */
			if (hl + len > c->incap) {
				c->incap = hl + len;
				if (off > 0) {
					memmove(c->in, c->in + off,
					    c->inlen - off);
					c->inlen -= off;
					off = 0;
				}
				c->in = xrealloc(c->in, c->incap);
			}
			break;
		}
		p += hl;
		off += hl + len;
		switch (op) {
		case 0x9:	/* ping: pong with the same payload */
			put_frame(c, 0xA, p, len);
			flush_out(c);
			break;
		case 0xA:
			break;
		case 0x8:
			if (G.phase != P_DONE)
				conn_fail(c, "closed by the server");
			return;
		case 0x0:
			c->frag = xrealloc(c->frag, c->fraglen + len);
			memcpy(c->frag + c->fraglen, p, len);
			c->fraglen += len;
			if (fin) {
				on_message(c, c->fragop, c->frag, c->fraglen);
				c->fraglen = 0;
			}
			break;
		case 0x1:
		case 0x2:
			if (!fin) {
				c->fragop = op;
				c->frag = xrealloc(c->frag, len ? len : 1);
				memcpy(c->frag, p, len);
				c->fraglen = len;
			} else
				on_message(c, op, p, len);
			break;
		default:
			conn_fail(c, "unknown opcode");
			return;
		}
	}
	if (c->state == C_DEAD)
		return;
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

/* The 101 response; returns bytes used, 0 for more, -1 on failure. */
static ssize_t
parse_head(struct conn *c)
{
	uint8_t	*end;
	char	*line, *next, *v;
	size_t	 hlen;
	int	 ok_accept = 0;

	end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	if (end == NULL)
		return c->inlen > HEAD_MAX ? -1 : 0;
	hlen = (size_t)(end - c->in) + 4;
	end[2] = '\0';
	line = (char *)c->in;
	if (strncmp(line, "HTTP/1.1 101", 12) != 0) {
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		fprintf(stderr, "ws_load: conn %d: %s\n", c->idx, line);
		return -1;
	}
	for (line = strstr(line, "\r\n"); line != NULL && line[2] != '\0';
	    line = next) {
		line += 2;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		if (strncasecmp(line, "Sec-WebSocket-Accept:", 21) == 0) {
			v = line + 21;
			while (*v == ' ' || *v == '\t')
				v++;
			ok_accept = strcmp(v, c->accept) == 0;
		}
		if (next == NULL)
			break;
	}
	if (!ok_accept) {
		fprintf(stderr, "ws_load: conn %d: bad or missing "
		    "Sec-WebSocket-Accept\n", c->idx);
		return -1;
	}
	return (ssize_t)hlen;
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n, used;
	size_t		 room;
	int		 loops = 0;

	(void)what;
	for (;;) {
		if (c->incap - c->inlen < 1024) {
			c->incap = c->incap * 2;
			c->in = xrealloc(c->in, c->incap);
		}
		room = c->incap - c->inlen;
		n = recv(fd, c->in + c->inlen, room, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (n == 0)
				conn_fail(c, "EOF from the server");
			else
				conn_fail_errno(c, "recv");
			return;
		}
		c->inlen += (size_t)n;
		if (c->state == C_HANDSHAKE) {
			if ((used = parse_head(c)) == -1) {
				conn_fail(c, "handshake refused");
				return;
			}
			if (used == 0)
				continue;
			memmove(c->in, c->in + used, c->inlen - (size_t)used);
			c->inlen -= (size_t)used;
			c->t_hs = now_s();
			if (G.json)
				c->state = C_ESTABLISH;
			else if (strcmp(G.mode, "connect") == 0) {
				c->state = C_PROBE;
				send_data(c);
				flush_out(c);
			} else {
				conn_usable(c);
				start_more();
			}
		}
		if (c->state == C_DEAD)
			return;
		parse_frames(c);
		/* A short read emptied the socket, most likely. */
		if (c->state == C_DEAD || (size_t)n < room || ++loops > 4)
			return;
	}
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	char		 req[512];
	int		 err = 0, len;
	socklen_t	 sl = sizeof(err);

	(void)what;
	if (c->state == C_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			errno = err;
			conn_fail_errno(c, "connect");
			return;
		}
		len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
		    "Host: %s:%d\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n", G.path, G.host,
		    G.port, c->key);
		c->state = C_HANDSHAKE;
		out_reserve(c, (size_t)len);
		memcpy(c->out + c->outlen, req, (size_t)len);
		c->outlen += (size_t)len;
	}
	flush_out(c);
}

static void
hs_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_fail(arg, "handshake timeout");
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1) {
		event_free(c->rev);
		event_free(c->wev);
		if (c->tev != NULL)
			event_free(c->tev);
		close(c->fd);
		c->fd = -1;
	}
	free(c->in);
	free(c->out);
	free(c->frag);
	free(c->sendt);
	c->in = c->out = c->frag = NULL;
	c->sendt = NULL;
	c->inlen = c->outlen = c->outoff = c->incap = c->outcap = 0;
}

static void
conn_fail(struct conn *c, const char *why)
{
	int	 was = c->state;

	if (c->state == C_DEAD || G.phase == P_DONE)
		return;
	if (G.failed + G.closed_early < 5)
		fprintf(stderr, "ws_load: %s: conn %d: %s\n", G.label, c->idx,
		    why);
	c->state = C_DEAD;
	G.outstanding -= c->inflight;
	c->inflight = 0;
	if (was == C_OPEN) {
		G.closed_early++;
		G.usable--;
		if (c->verifying && --G.verify_left == 0)
			finish();
	} else {
		G.failed++;
		G.pending--;
	}
	conn_close(c);
	if (G.phase == P_SETUP)
		start_more();
	else if (G.phase == P_DRAIN && G.outstanding == 0)
		finish();
}

static void
conn_fail_errno(struct conn *c, const char *what)
{
	char	 why[128];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	conn_fail(c, why);
}

/* Base64 of SHA-1 of key + GUID. */
static void
accept_of(const char *key, char *out)
{
	unsigned char	 md[SHA_DIGEST_LENGTH];
	char		 buf[128];

	snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	SHA1((const unsigned char *)buf, strlen(buf), md);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

static int
conn_start(struct conn *c)
{
	unsigned char	 raw[16];
	uint64_t	 r;
	int		 one = 1;

	c->fd = socket(G.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	c->t0 = now_s();
	if (c->fd == -1) {
		fprintf(stderr, "ws_load: socket: %s\n", strerror(errno));
		c->state = C_DEAD;
		G.failed++;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = rnd();
	memcpy(raw, &r, 8);
	r = rnd();
	memcpy(raw + 8, &r, 8);
	EVP_EncodeBlock((unsigned char *)c->key, raw, 16);
	accept_of(c->key, c->accept);
	c->incap = IN_MIN;
	c->in = xrealloc(NULL, c->incap);
	if (G.inflight > 0 && strcmp(G.mode, "rate") == 0)
		c->sendt = xrealloc(NULL, sizeof(double) * (size_t)G.inflight);
	c->rev = event_new(G.base, c->fd, EV_READ | EV_PERSIST, read_cb, c);
	c->wev = event_new(G.base, c->fd, EV_WRITE, write_cb, c);
	c->tev = evtimer_new(G.base, hs_timeout_cb, c);
	event_add(c->rev, NULL);
	event_add(c->tev, &(struct timeval){ (time_t)G.hs_timeout_s,
	    (suseconds_t)((G.hs_timeout_s - (double)(time_t)G.hs_timeout_s) *
	    1e6) });
	c->state = C_CONNECTING;
	G.pending++;
	if (connect(c->fd, (struct sockaddr *)&G.sa, G.salen) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail_errno(c, "connect");
		return -1;
	}
	event_add(c->wev, NULL);
	return 0;
}

static void
hold_reached(void)
{
	double	 t = now_s();

	G.seg_busy += G.t_last_usable - G.t_seg_start;
	G.holding = 1;
	G.phase = P_HOLD;
	printf("{\"event\":\"held\",\"label\":\"%s\",\"held\":%d,"
	    "\"failed\":%d,\"closed\":%d,\"t_s\":%.3f}\n", G.label, G.usable,
	    G.failed, G.closed_early, t - G.t_start);
	fflush(stdout);
	if (G.wait_stdin)
		event_add(G.stdin_ev, &(struct timeval){ (time_t)G.idle_s, 0 });
	else
		event_add(G.phase_ev, &(struct timeval){ (time_t)G.idle_s,
		    (suseconds_t)((G.idle_s - (double)(time_t)G.idle_s) * 1e6)
		    });
}

static void
gap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	G.gap_ok = 1;
	start_more();
}

/* Start connections while the bounds allow. */
static void
start_more(void)
{
	int	 limit = G.hold_at;

	if (G.phase != P_SETUP)
		return;
	while (G.started < limit && G.pending < G.hs_inflight) {
		if (G.gap_ms > 0) {
			/* One at a time, -g ms after the last one is done. */
			if (G.pending > 0)
				return;
			if (G.started > 0 && !G.gap_ok) {
				if (!evtimer_pending(G.gap_ev, NULL))
					event_add(G.gap_ev, &(struct timeval){
					    0, (suseconds_t)(G.gap_ms * 1000)
					    });
				return;
			}
			G.gap_ok = 0;
		}
		if (G.t_seg_start == 0)
			G.t_seg_start = now_s();
		if (G.t_start == 0)
			G.t_start = G.t_seg_start;
		G.c[G.started].idx = G.started;
		G.started++;
		conn_start(&G.c[G.started - 1]);
		if (G.phase != P_SETUP)
			return;
	}
	if (G.pending > 0 || G.started < limit)
		return;
	if (strcmp(G.mode, "connect") == 0) {
		hold_reached();
		return;
	}
	/* rate mode: everyone is connected; the traffic starts. */
	G.phase = P_WARM;
	event_active(G.phase_ev, EV_TIMEOUT, 0);
}

static void
begin_verify(void)
{
	int	 i;

	G.phase = P_VERIFY;
	G.verify_left = 0;
	for (i = 0; i < G.started; i++)
		if (G.c[i].state == C_OPEN)
			G.verify_left++;
	if (G.verify_left == 0) {
		finish();
		return;
	}
	/* Bounded: whoever has not answered in 30 s is not verified. */
	event_add(G.phase_ev, &(struct timeval){ 30, 0 });
	for (i = 0; i < G.started; i++) {
		struct conn	*c = &G.c[i];

		if (c->state != C_OPEN)
			continue;
		c->verifying = 1;
		send_data(c);
		flush_out(c);
	}
}

/* After a hold: on to the next count, or verify. */
static void
hold_done(void)
{
	G.holding = 0;
	if (G.hold_i < G.nholds) {
		G.hold_at = G.holds[G.hold_i++];
		if (G.hold_at > G.nconns)
			G.hold_at = G.nconns;
		G.phase = P_SETUP;
		G.t_seg_start = 0;
		start_more();
		return;
	}
	begin_verify();
}

static void
stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	char	 buf[256];

	(void)arg;
	if (what & EV_READ)
		(void)read(fd, buf, sizeof(buf));
	hold_done();
}

/* Phase changes in rate mode, and a hold's end in connect mode. */
static void
phase_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 i;

	(void)fd;
	(void)what;
	(void)arg;
	switch (G.phase) {
	case P_HOLD:
		hold_done();
		return;
	case P_VERIFY:
		fprintf(stderr, "ws_load: %s: %d connections did not answer "
		    "the verification within 30 s\n", G.label, G.verify_left);
		finish();
		return;
	case P_WARM:
		if (G.t_meas0 == 0 && G.warm_s > 0) {
			for (i = 0; i < G.started; i++) {
				struct conn	*c = &G.c[i];
				int		 k;

				if (c->state != C_OPEN)
					continue;
				for (k = 0; k < G.inflight; k++)
					send_data(c);
				flush_out(c);
			}
			G.t_meas0 = -1;		/* warm-up started */
			event_add(G.phase_ev, &(struct timeval){
			    (time_t)G.warm_s, (suseconds_t)((G.warm_s -
			    (double)(time_t)G.warm_s) * 1e6) });
			return;
		}
		G.phase = P_MEASURE;
		G.t_meas0 = now_s();
		if (G.warm_s <= 0)
			for (i = 0; i < G.started; i++) {
				struct conn	*c = &G.c[i];
				int		 k;

				if (c->state != C_OPEN)
					continue;
				for (k = 0; k < G.inflight; k++)
					send_data(c);
				flush_out(c);
			}
		event_add(G.phase_ev, &(struct timeval){ (time_t)G.dur_s,
		    (suseconds_t)((G.dur_s - (double)(time_t)G.dur_s) * 1e6)
		    });
		return;
	case P_MEASURE:
		G.t_meas1 = now_s();
		G.phase = P_DRAIN;
		/* FALLTHROUGH */
	case P_DRAIN:
		if (G.outstanding == 0)
			finish();
		else
			/* Bounded: replies still out after 10 s are lost. */
			event_add(G.phase_ev, &(struct timeval){ 10, 0 });
		return;
	default:
		return;
	}
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fprintf(stderr, "ws_load: time limit (%g s) reached\n", G.total_s);
	G.timed_out = 1;
	if (G.phase == P_MEASURE)
		G.t_meas1 = now_s();
	finish();
}

static void
finish(void)
{
	struct rusage	 ru;
	double		 t = now_s(), win;
	int		 i;

	if (G.phase == P_DONE)
		return;
	if (G.phase == P_SETUP && G.usable > 0 && G.t_seg_start > 0)
		G.seg_busy += G.t_last_usable - G.t_seg_start;
	if (G.phase == P_DRAIN && G.outstanding > 0) {
		fprintf(stderr, "ws_load: %s: %llu replies never came\n",
		    G.label, (unsigned long long)G.outstanding);
		G.errors += G.outstanding;
	}
	G.phase = P_DONE;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"event\":\"result\",\"label\":\"%s\",\"mode\":\"%s\","
	    "\"path\":\"%s\",\"json\":%s,\"conns\":%d,\"started\":%d,"
	    "\"usable\":%d,\"failed\":%d,\"closed\":%d,\"errors\":%llu",
	    G.label, G.mode, G.path, G.json ? "true" : "false", G.nconns,
	    G.started, G.usable, G.failed, G.closed_early,
	    (unsigned long long)G.errors);
	if (strcmp(G.mode, "rate") == 0) {
		win = G.t_meas1 > G.t_meas0 && G.t_meas0 > 0 ?
		    G.t_meas1 - G.t_meas0 : 0;
		printf(",\"inflight\":%d,\"size\":%zu,\"window_s\":%.3f,"
		    "\"msgs\":%llu,\"msg_per_s\":%.0f", G.inflight,
		    G.json ? 0 : G.size, win,
		    (unsigned long long)G.measured,
		    win > 0 ? (double)G.measured / win : 0);
		print_dist("rtt", G.lat, G.nlat);
	} else {
		printf(",\"connect_s\":%.3f,\"usable_per_s\":%.1f,"
		    "\"verified\":%d", G.seg_busy,
		    G.seg_busy > 0 ? (double)(G.usable + G.closed_early) /
		    G.seg_busy : 0, G.verified);
		print_dist("first_echo", G.tfe, G.ntfe);
		print_dist("handshake", G.ths, G.nths);
	}
	printf(",\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"elapsed_s\":%.3f,"
	    "\"timed_out\":%s}\n",
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    t - (G.t_start ? G.t_start : t), G.timed_out ? "true" : "false");
	fflush(stdout);
	G.exit_code = G.failed || G.closed_early || G.errors || G.timed_out ||
	    G.usable < G.nconns ||
	    (strcmp(G.mode, "connect") == 0 && G.verified != G.usable);
	/* Close politely: a close frame, then the socket. */
	for (i = 0; i < G.started; i++) {
		struct conn	*c = &G.c[i];

		if (c->fd == -1)
			continue;
		if (c->state == C_OPEN || c->state == C_PROBE) {
			put_frame(c, 0x8, "\x03\xe8", 2);
			(void)send(c->fd, c->out + c->outoff,
			    c->outlen - c->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		c->state = C_DEAD;
		conn_close(c);
	}
	event_base_loopbreak(G.base);
}

static int
parse_host(const char *h)
{
	struct sockaddr_in	*s4 = (void *)&G.sa;
	struct sockaddr_in6	*s6 = (void *)&G.sa;

	memset(&G.sa, 0, sizeof(G.sa));
	if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)G.port);
		G.salen = sizeof(*s4);
		snprintf(G.host, sizeof(G.host), "%s", h);
		return 0;
	}
	if (inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)G.port);
		G.salen = sizeof(*s6);
		snprintf(G.host, sizeof(G.host), "[%s]", h);
		return 0;
	}
	return -1;
}

static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char *argv[])
{
	const char	*host = "127.0.0.1";
	char		*s, *e;
	struct rlimit	 rl;
	int		 ch;
	size_t		 i;

	G.mode = "rate";
	G.path = "/echo";
	G.nconns = 1;
	G.inflight = 1;
	G.warm_s = 1;
	G.dur_s = 5;
	G.size = 64;
	G.target = "coordinator:main";
	G.hs_inflight = 64;
	G.total_s = 300;
	G.hs_timeout_s = 10;
	G.idle_s = 0;
	G.label = "";
	while ((ch = getopt(argc, argv, "a:c:d:f:g:h:H:i:jk:l:m:n:p:P:s:t:T:w:W"))
	    != -1) {
		switch (ch) {
		case 'a': G.target = optarg; break;
		case 'c': G.nconns = atoi(optarg); break;
		case 'd': G.dur_s = atof(optarg); break;
		case 'f': G.hs_inflight = atoi(optarg); break;
		case 'g': G.gap_ms = atof(optarg); break;
		case 'h': host = optarg; break;
		case 'H':
			for (s = optarg; *s != '\0' && G.nholds < MAX_HOLDS;
			    s = *e ? e + 1 : e) {
				G.holds[G.nholds++] = (int)strtol(s, &e, 10);
				if (e == s)
					usage();
			}
			break;
		case 'i': G.idle_s = atof(optarg); break;
		case 'j': G.json = 1; break;
		case 'k': G.inflight = atoi(optarg); break;
		case 'l': G.label = optarg; break;
		case 'm': G.mode = optarg; break;
		case 'n': G.nmsgs = strtoull(optarg, NULL, 10); break;
		case 'p': G.port = atoi(optarg); break;
		case 'P': G.path = optarg; break;
		case 's': G.size = (size_t)atol(optarg); break;
		case 't': G.hs_timeout_s = atof(optarg); break;
		case 'T': G.total_s = atof(optarg); break;
		case 'w': G.warm_s = atof(optarg); break;
		case 'W': G.wait_stdin = 1; break;
		default: usage();
		}
	}
	if ((strcmp(G.mode, "rate") != 0 && strcmp(G.mode, "connect") != 0) ||
	    G.port <= 0 || G.port > 65535 || G.nconns < 1 ||
	    G.nconns > MAX_CONNS || G.inflight < 1 ||
	    G.inflight > MAX_INFLIGHT || G.hs_inflight < 1 || G.size < 40 ||
	    G.size > 65536 || G.total_s <= 0 || G.dur_s <= 0)
		usage();
	if (parse_host(host) == -1) {
		fprintf(stderr, "ws_load: %s is not a numeric loopback "
		    "address\n", host);
		return 2;
	}
	if (G.wait_stdin && G.idle_s <= 0)
		G.idle_s = 600;
	raise_nofile();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)G.nconns + 16) {
		fprintf(stderr, "ws_load: %d connections need more than the "
		    "%llu descriptors allowed\n", G.nconns,
		    (unsigned long long)rl.rlim_cur);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	G.rng = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL ^
	    (uint64_t)(now_s() * 1e9);
	if (G.rng == 0)
		G.rng = 1;
	for (i = 0; i < sizeof(G.msg); i++)
		G.msg[i] = (char)('a' + i % 26);
	G.c = calloc((size_t)G.nconns, sizeof(struct conn));
	if (G.c == NULL)
		return 1;
	for (i = 0; i < (size_t)G.nconns; i++)
		G.c[i].fd = -1;
	if ((G.base = event_base_new()) == NULL)
		return 1;
	G.gap_ev = evtimer_new(G.base, gap_cb, NULL);
	G.phase_ev = evtimer_new(G.base, phase_cb, NULL);
	G.stdin_ev = event_new(G.base, 0, EV_READ, stdin_cb, NULL);
	G.deadline_ev = evtimer_new(G.base, deadline_cb, NULL);
	event_add(G.deadline_ev, &(struct timeval){ (time_t)G.total_s, 0 });
	/* Connect mode stops at each -H count first; rate mode at N. */
	qsort(G.holds, (size_t)G.nholds, sizeof(int), cmp_int);
	G.hold_at = G.nholds > 0 && strcmp(G.mode, "connect") == 0 ?
	    G.holds[G.hold_i++] : G.nconns;
	if (G.hold_at > G.nconns)
		G.hold_at = G.nconns;
	if (strcmp(G.mode, "connect") == 0 && G.hold_at < G.nconns &&
	    (G.nholds == 0 || G.holds[G.nholds - 1] < G.nconns))
		G.holds[G.nholds++] = G.nconns;
	G.phase = P_SETUP;
	start_more();
	event_base_dispatch(G.base);
	if (G.phase != P_DONE)
		finish();
	return G.exit_code;
}
