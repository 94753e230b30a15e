/*
 * bench_link: the link's overhead against NATS itself, in one run.
 *
 *	bench_link -r RUN_DIR -a NATS_URL_A -b NATS_URL_B [-n N]
 *
 * link	 Ping to coordinator:main, one at a time, by a process of a host
 *	 without the coordinator: RUN_DIR's link.sock, that host's link,
 *	 NATS, the coordinator host's link, the coordinator, and back
 * raw	 a libnats request/reply between a requester on server B and a
 *	 responder on server A (the two hosts' servers), with libnats'
 *	 defaults and with "send as soon as possible" (the link's setting)
 *
 * The link's Pings and the send-asap requests take turns, one each, so
 * that both see the same machine: on two shared cores the raw round trip
 * alone moves by a third from one minute to the next.  The defaults, a
 * millisecond slower, run after them as a reference.
 *
 * Prints p50 and p99 of each in microseconds, and link / raw.
 */

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#include "bench_util.h"
#include "envelope.h"
#include "frame.h"
#include "msg.h"

static double
pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1))];
}

/* Pack one envelope to fd as a frame. */
static void
send_env(int fd, const char *to, enum msg_type type, const char *id)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_pack_header(&pk, to, "bench:link", type, id, NULL, 0);
	msgpack_pack_map(&pk, 0);
	if (frame_write_fd(fd, sb.data, sb.size) == -1)
		err(1, "write");
	msgpack_sbuffer_destroy(&sb);
}

/* Read frames until the reply to id. */
static void
await_reply(int fd, const char *id)
{
	msgpack_unpacked	 u;
	struct envelope		 env;
	enum err_code		 code;
	char			*body, why[256];
	size_t			 len;

	for (;;) {
		if (frame_read_fd(fd, 1 << 20, 10000, &body, &len) == -1)
			errx(1, "no reply to %s", id);
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, body, len, NULL) !=
		    MSGPACK_UNPACK_SUCCESS || env_decode(&u.data, &env, &code,
		    why, sizeof(why)) == -1)
			errx(1, "a reply that is not an envelope");
		free(body);
		msgpack_unpacked_destroy(&u);
		if (strcmp(env.reply_to, id) != 0)
			continue;
		if (env.type != MSG_PONG)
			errx(1, "%s answered with %s", id, msg_name(env.type));
		return;
	}
}

static int
link_open(const char *run)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/link.sock", run);
	if ((fd = frame_connect(path)) == -1)
		err(1, "%s", path);
	send_env(fd, "link:main", MSG_HELLO, "hello");
	return fd;
}

/* One Ping to coordinator:main through the link: its time in us. */
static double
link_ping(int fd, int i)
{
	char		 id[32];
	uint64_t	 t0;

	snprintf(id, sizeof(id), "p%d", i);
	t0 = now_ns();
	send_env(fd, COORDINATOR_ADDRESS, MSG_PING, id);
	await_reply(fd, id);
	return (double)(now_ns() - t0) / 1e3;
}

static void
respond(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *arg)
{
	(void)sub;
	(void)arg;
	natsConnection_Publish(nc, natsMsg_GetReply(m), natsMsg_GetData(m),
	    natsMsg_GetDataLength(m));
	natsMsg_Destroy(m);
}

static natsConnection *
connect_to(const char *url, int asap)
{
	natsConnection	*nc;
	natsOptions	*o;

	if (natsOptions_Create(&o) != NATS_OK ||
	    natsOptions_SetURL(o, url) != NATS_OK ||
	    natsOptions_SetSendAsap(o, asap) != NATS_OK ||
	    natsConnection_Connect(&nc, o) != NATS_OK)
		errx(1, "NATS %s: %s", url, nats_GetLastError(NULL));
	natsOptions_Destroy(o);
	return nc;
}

struct raw {
	natsConnection		*ra, *rb;
	natsSubscription	*sub;
};

/* A responder on server a, a requester on server b. */
static void
raw_open(struct raw *r, const char *a, const char *b, int asap)
{
	natsMsg		*reply;
	int		 i;

	r->ra = connect_to(a, asap);
	r->rb = connect_to(b, asap);
	if (natsConnection_Subscribe(&r->sub, r->ra, "bench.rr", respond,
	    NULL) != NATS_OK || natsConnection_Flush(r->ra) != NATS_OK)
		errx(1, "subscribe");
	/* The interest crosses the route: wait until a request gets through. */
	for (i = 0; i < 100; i++) {
		if (natsConnection_RequestString(&reply, r->rb, "bench.rr",
		    "x", 100) == NATS_OK) {
			natsMsg_Destroy(reply);
			break;
		}
	}
}

/* One request/reply: its time in us. */
static double
raw_ping(struct raw *r)
{
	natsMsg		*reply;
	uint64_t	 t0;

	t0 = now_ns();
	if (natsConnection_Request(&reply, r->rb, "bench.rr", "ping", 4,
	    10000) != NATS_OK)
		errx(1, "request: %s", nats_GetLastError(NULL));
	natsMsg_Destroy(reply);
	return (double)(now_ns() - t0) / 1e3;
}

static void
raw_close(struct raw *r)
{
	natsSubscription_Destroy(r->sub);
	natsConnection_Destroy(r->ra);
	natsConnection_Destroy(r->rb);
}

static void
report(const char *what, double *t, int n, double *p50)
{
	int	 w = n / 10;		/* without the warm-up */

	*p50 = pct(t + w, n - w, 0.5);
	printf("%-34s p50 %7.1f us  p99 %7.1f us\n", what, *p50,
	    pct(t + w, n - w, 0.99));
}

int
main(int argc, char *argv[])
{
	const char	*run = NULL, *a = NULL, *b = NULL;
	struct raw	 r;
	double		*t, *u, link, raw, asap;
	int		 ch, fd, i, n = 5000;

	while ((ch = getopt(argc, argv, "r:a:b:n:")) != -1) {
		switch (ch) {
		case 'r': run = optarg; break;
		case 'a': a = optarg; break;
		case 'b': b = optarg; break;
		case 'n': n = atoi(optarg); break;
		default:
			goto usage;
		}
	}
	if (run == NULL || a == NULL || b == NULL || n < 10)
		goto usage;
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL ||
	    (u = calloc((size_t)n, sizeof(*u))) == NULL)
		err(1, "calloc");
	fd = link_open(run);
	raw_open(&r, a, b, 1);
	for (i = 0; i < n; i++) {
		t[i] = link_ping(fd, i);
		u[i] = raw_ping(&r);
	}
	raw_close(&r);
	close(fd);
	report("link: Ping coordinator:main", t, n, &link);
	report("raw libnats request, send asap", u, n, &asap);
	raw_open(&r, a, b, 0);
	for (i = 0; i < n; i++)
		t[i] = raw_ping(&r);
	raw_close(&r);
	report("raw libnats request, defaults", t, n, &raw);
	printf("link / raw (defaults) at p50: %.2fx\n", link / raw);
	printf("link / raw (send asap) at p50: %.2fx\n", link / asap);
	free(t);
	free(u);
	nats_Close();
	return 0;
usage:
	fprintf(stderr, "usage: bench_link -r RUN_DIR -a NATS_URL_A "
	    "-b NATS_URL_B [-n N]\n");
	return 100;
}
