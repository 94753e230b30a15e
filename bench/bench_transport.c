/*
 * bench_transport: messages between two processes, through common/ (frame,
 * msgpack envelope, peer and actor runtime) and, in the same run, through a
 * raw baseline: a socketpair, a 4-byte length prefix and the same envelope
 * packed and unpacked with msgpack-c directly, blocking I/O, no libevent.
 *
 * Three measurements, each raw and runtime, with both processes on one CPU
 * and on two:
 *
 *	streaming	the sender sends N ProcessTask messages; the receiver
 *			counts them and acknowledges the last; msgs/s from the
 *			first send to that acknowledgement.  Raw: writev of 64
 *			frames, or one write per frame.  Runtime: 64 messages
 *			per loop turn (the output gate sends them in one write),
 *			or one per turn.
 *	round trip	one Ping outstanding, answered with Pong (by the
 *			runtime's own Ping handler on the runtime side); p50 and
 *			p99 of the round trip in microseconds.
 *
 * The runtime sender keeps at most WINDOW messages unacknowledged (the
 * receiver acknowledges every ACK_EVERY), so that its queue stays under
 * the peer's limits, as any real producer must; one acknowledgement per
 * 1024 messages costs nothing measurable.
 *
 * Every scenario runs -r times (default 3), interleaved, and the table
 * shows the median.  Fixed counts; it stops by itself.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <msgpack.h>

#include "actor.h"
#include "bench_util.h"
#include "config.h"
#include "frame.h"
#include "log.h"
#include "xmalloc.h"

#define BATCH		64		/* frames per writev / per turn */
#define WINDOW		16384		/* runtime: unacknowledged messages */
#define ACK_EVERY	1024		/* runtime: receiver acks this often */
#define WARMUP		1000		/* round trips not counted */
#define MAX_REPS	9
#define RBUF_SIZE	(256 * 1024)	/* raw reader buffer */

#define TO_ADDR		"worker:bench"
#define FROM_ADDR	"coordinator:bench"
#define KIND32		"0123456789abcdef0123456789abcdef"	/* 32 bytes */

enum scenario {
	RAW_STREAM64,		/* raw, writev of 64 frames */
	RT_STREAM64,		/* runtime, 64 messages per turn */
	RAW_STREAM1,		/* raw, one write per frame */
	RT_STREAM1,		/* runtime, one message per turn */
	RAW_RTT,		/* raw round trip */
	RT_RTT,			/* runtime round trip */
	NSCENARIOS
};

struct result {
	double	 rate;		/* streaming: messages per second */
	double	 p50, p99;	/* round trip: microseconds */
	int	 ok;
};

static struct {
	long		 nstream;	/* messages per streaming run */
	long		 nrtt;		/* round trips per run */
	int		 reps;
	int		 scenario_only;	/* -s: one scenario, -1: all */
	int		 cpus_only;	/* -c: 1 or 2 CPUs, 0: both */
	char		 run_dir[64];		/* a short mkdtemp name */
	char		 sock_path[96];
} opt = { 1000000, 20000, 3, -1, 0, "", "" };

static void
pin_cpu(int cpu)
{
	cpu_set_t	 set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		fatal("sched_setaffinity %d", cpu);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50 and p99 of n round trips in nanoseconds, into r in microseconds. */
static void
percentiles(uint64_t *v, long n, struct result *r)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	r->p50 = (double)v[n / 2] / 1000.0;
	r->p99 = (double)v[(n * 99) / 100] / 1000.0;
	r->ok = 1;
}

static void
pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t	 n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/* The payload every message carries: {taskId, kind (32 bytes), input}. */
static void
pack_payload(msgpack_packer *pk, uint64_t seq)
{
	char	 id[32];

	snprintf(id, sizeof(id), "t%llu", (unsigned long long)seq);
	msgpack_pack_map(pk, 3);
	pack_cstr(pk, "taskId");
	pack_cstr(pk, id);
	pack_cstr(pk, "kind");
	pack_cstr(pk, KIND32);
	pack_cstr(pk, "input");
	msgpack_pack_uint64(pk, seq);
}

/* ---- raw baseline: socketpair, length prefix, msgpack-c, blocking ---- */

struct raw_msg {
	char		 type[32];
	char		 to[ADDR_MAX + 1];
	char		 from[ADDR_MAX + 1];
	char		 id[ID_MAX + 1];
	char		 reply_to[ID_MAX + 1];
	int64_t		 timestamp;
	msgpack_object	 payload;
	uint64_t	 seq;		/* payload.input, or count */
};

struct rbuf {
	char		*data;
	size_t		 off, len;	/* unread bytes: data[off..len) */
};

static uint64_t	 raw_idseq;

/*
 * Pack one frame at the end of sb: the length prefix, then the envelope as
 * env_pack_header() lays it out, with an id and a wall-clock timestamp.
 */
static void
raw_pack(msgpack_sbuffer *sb, msgpack_packer *pk, const char *to,
    const char *from, const char *type, const char *reply_to, uint64_t seq)
{
	struct timespec	 ts;
	size_t		 start = sb->size;
	char		 id[48];

	msgpack_sbuffer_write(sb, "\0\0\0\0", FRAME_HDR);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, sizeof(id), "%llx-%llx", 0x5eed1234abcdULL,
	    (unsigned long long)++raw_idseq);
	msgpack_pack_map(pk, reply_to != NULL ? 7 : 6);
	pack_cstr(pk, "to");
	pack_cstr(pk, to);
	pack_cstr(pk, "from");
	pack_cstr(pk, from);
	pack_cstr(pk, "type");
	pack_cstr(pk, type);
	pack_cstr(pk, "id");
	pack_cstr(pk, id);
	pack_cstr(pk, "timestamp");
	msgpack_pack_int64(pk, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
	if (reply_to != NULL) {
		pack_cstr(pk, "replyTo");
		pack_cstr(pk, reply_to);
	}
	pack_cstr(pk, "payload");
	pack_payload(pk, seq);
	frame_put_len(sb->data + start, (uint32_t)(sb->size - start -
	    FRAME_HDR));
}

static int
raw_str(const msgpack_object *v, char *buf, size_t size)
{
	if (v->type != MSGPACK_OBJECT_STR || v->via.str.size >= size)
		return -1;
	memcpy(buf, v->via.str.ptr, v->via.str.size);
	buf[v->via.str.size] = '\0';
	return 0;
}

static int
key_is(const msgpack_object *k, const char *s)
{
	size_t	 n = strlen(s);

	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	    memcmp(k->via.str.ptr, s, n) == 0;
}

/* Unpack one frame body into m: every envelope field, and payload.input. */
static int
raw_decode(const char *body, size_t len, msgpack_zone *z, struct raw_msg *m)
{
	msgpack_object		 obj;
	const msgpack_object_kv	*kv;
	size_t			 off = 0;
	uint32_t		 i;
	int			 bad = 0;

	if (msgpack_unpack(body, len, &off, z, &obj) !=
	    MSGPACK_UNPACK_SUCCESS || off != len ||
	    obj.type != MSGPACK_OBJECT_MAP)
		return -1;
	m->reply_to[0] = '\0';
	m->seq = 0;
	for (i = 0; i < obj.via.map.size; i++) {
		kv = &obj.via.map.ptr[i];
		if (key_is(&kv->key, "to"))
			bad |= raw_str(&kv->val, m->to, sizeof(m->to));
		else if (key_is(&kv->key, "from"))
			bad |= raw_str(&kv->val, m->from, sizeof(m->from));
		else if (key_is(&kv->key, "type"))
			bad |= raw_str(&kv->val, m->type, sizeof(m->type));
		else if (key_is(&kv->key, "id"))
			bad |= raw_str(&kv->val, m->id, sizeof(m->id));
		else if (key_is(&kv->key, "replyTo"))
			bad |= raw_str(&kv->val, m->reply_to,
			    sizeof(m->reply_to));
		else if (key_is(&kv->key, "timestamp"))
			m->timestamp = kv->val.via.i64;
		else if (key_is(&kv->key, "payload"))
			m->payload = kv->val;
	}
	if (bad || m->payload.type != MSGPACK_OBJECT_MAP)
		return -1;
	for (i = 0; i < m->payload.via.map.size; i++) {
		kv = &m->payload.via.map.ptr[i];
		if (key_is(&kv->key, "input") &&
		    kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			m->seq = kv->val.via.u64;
	}
	return 0;
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("write");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* writev every iovec, resuming after short writes. */
static void
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = writev(fd, iov, n)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("writev");
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
}

/*
 * The next whole frame in b, reading from fd as needed; the body stays
 * valid until the next call.  -1 at end of file.
 */
static int
raw_next(int fd, struct rbuf *b, const char **body, size_t *len)
{
	size_t	 n;
	ssize_t	 r;

	for (;;) {
		if (b->len - b->off >= FRAME_HDR) {
			n = frame_get_len(b->data + b->off);
			if (n == 0 || n > RBUF_SIZE / 2)
				fatalx("raw: bad frame length %zu", n);
			if (b->len - b->off >= FRAME_HDR + n) {
				*body = b->data + b->off + FRAME_HDR;
				*len = n;
				b->off += FRAME_HDR + n;
				return 0;
			}
		}
		if (b->off > 0) {
			memmove(b->data, b->data + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		if ((r = read(fd, b->data + b->len, RBUF_SIZE - b->len)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			fatal("read");
		}
		if (r == 0)
			return -1;
		b->len += (size_t)r;
	}
}

/* Receiver: count ProcessTask, answer Ping; ack the nth message. */
static void
raw_receiver(int fd, long n)
{
	struct rbuf	 b = { xmalloc(RBUF_SIZE), 0, 0 };
	struct raw_msg	 m;
	msgpack_zone	 z;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	const char	*body;
	size_t		 len;
	long		 count = 0;

	msgpack_zone_init(&z, 8192);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	while (raw_next(fd, &b, &body, &len) == 0) {
		if (raw_decode(body, len, &z, &m) == -1)
			fatalx("raw receiver: bad envelope");
		if (strcmp(m.type, "Ping") == 0) {
			sb.size = 0;
			raw_pack(&sb, &pk, m.from, m.to, "Pong", m.id, m.seq);
			write_all(fd, sb.data, sb.size);
		} else if (++count == n) {
			sb.size = 0;
			raw_pack(&sb, &pk, m.from, m.to, "TaskAccepted", m.id,
			    (uint64_t)count);
			write_all(fd, sb.data, sb.size);
		}
		msgpack_zone_clear(&z);
	}
	_exit(0);
}

/* Sender, streaming: n frames in writev batches of batch. */
static void
raw_stream(int fd, long n, int batch, struct result *r)
{
	struct rbuf	 b = { xmalloc(RBUF_SIZE), 0, 0 };
	struct iovec	 iov[BATCH];
	size_t		 off[BATCH + 1];
	struct raw_msg	 m;
	msgpack_zone	 z;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	const char	*body;
	size_t		 len;
	uint64_t	 t0, t1;
	long		 sent = 0;
	int		 i, k;

	msgpack_zone_init(&z, 8192);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	t0 = now_ns();
	while (sent < n) {
		k = n - sent < batch ? (int)(n - sent) : batch;
		sb.size = 0;
		for (i = 0; i < k; i++) {
			off[i] = sb.size;
			raw_pack(&sb, &pk, TO_ADDR, FROM_ADDR, "ProcessTask",
			    NULL, (uint64_t)sent + (uint64_t)i);
		}
		off[k] = sb.size;
		for (i = 0; i < k; i++) {
			iov[i].iov_base = sb.data + off[i];
			iov[i].iov_len = off[i + 1] - off[i];
		}
		if (k == 1)
			write_all(fd, iov[0].iov_base, iov[0].iov_len);
		else
			writev_all(fd, iov, k);
		sent += k;
	}
	if (raw_next(fd, &b, &body, &len) == -1 ||
	    raw_decode(body, len, &z, &m) == -1 || m.seq != (uint64_t)n)
		fatalx("raw sender: no acknowledgement");
	t1 = now_ns();
	r->rate = (double)n / ((double)(t1 - t0) / 1e9);
	r->ok = 1;
}

/* Sender, round trips: one Ping outstanding. */
static void
raw_rtt(int fd, long n, struct result *r)
{
	struct rbuf	 b = { xmalloc(RBUF_SIZE), 0, 0 };
	struct raw_msg	 m;
	msgpack_zone	 z;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	const char	*body;
	size_t		 len;
	uint64_t	*rtt = xcalloc((size_t)n, sizeof(*rtt)), t0;
	long		 i;

	msgpack_zone_init(&z, 8192);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (i = -WARMUP; i < n; i++) {
		t0 = now_ns();
		sb.size = 0;
		raw_pack(&sb, &pk, TO_ADDR, FROM_ADDR, "Ping", NULL,
		    (uint64_t)(i + WARMUP));
		write_all(fd, sb.data, sb.size);
		if (raw_next(fd, &b, &body, &len) == -1 ||
		    raw_decode(body, len, &z, &m) == -1 ||
		    strcmp(m.type, "Pong") != 0)
			fatalx("raw sender: no Pong");
		msgpack_zone_clear(&z);
		if (i >= 0)
			rtt[i] = now_ns() - t0;
	}
	percentiles(rtt, n, r);
}

/* ---- the runtime: a worker:bench receiver, a coordinator:bench sender ---- */

static struct {
	int		 scenario;
	long		 n;		/* messages or round trips */
	int		 batch;		/* streaming: messages per turn */
	long		 count;		/* receiver: messages seen */
	long		 sent, acked;	/* sender */
	long		 warm;		/* sender: warm-up round trips left */
	long		 rtts;		/* sender: round trips measured */
	uint64_t	*rtt;
	uint64_t	 t0;
	struct event	*pump;
	struct result	*res;
} rb;

static const struct timeval	 zero_tv = { 0, 0 };

/* Pump on the next turn, after this one's frames have left. */
static void
pump_later(void)
{
	if (!evtimer_pending(rb.pump, NULL))
		evtimer_add(rb.pump, &zero_tv);
}

static void
send_ping(void)
{
	msgpack_packer	*pk;

	rb.t0 = now_ns();
	pk = actor_begin(FROM_ADDR, TO_ADDR, MSG_PING, NULL);
	pack_payload(pk, (uint64_t)rb.rtts);
	actor_end();
}

/* Send up to one turn's worth of messages inside the window. */
static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	msgpack_packer	*pk;
	long		 k;

	(void)fd;
	(void)what;
	(void)arg;
	for (k = 0; k < rb.batch && rb.sent < rb.n &&
	    rb.sent - rb.acked < WINDOW; k++) {
		pk = actor_begin(FROM_ADDR, TO_ADDR, MSG_PROCESS_TASK, NULL);
		pack_payload(pk, (uint64_t)rb.sent++);
		actor_end();
	}
	if (rb.sent < rb.n && rb.sent - rb.acked < WINDOW)
		pump_later();
}

static void
sender_receive(struct actor *self, const struct envelope *env)
{
	uint64_t	 count = 0;

	(void)self;
	if (env->type == MSG_PONG) {
		if (rb.warm > 0) {
			/* Warm-up: the first Pong also means connected. */
			rb.warm--;
		} else if (rb.scenario == RT_RTT)
			rb.rtt[rb.rtts++] = now_ns() - rb.t0;
		if (rb.scenario != RT_RTT && rb.warm == 0) {
			rb.t0 = now_ns();
			pump_later();
			return;
		}
		if (rb.rtts == rb.n) {
			percentiles(rb.rtt, rb.n, rb.res);
			event_base_loopbreak(rt_base());
			return;
		}
		send_ping();
		return;
	}
	if (env->type == MSG_TASK_ACCEPTED) {
		mp_uint(mp_get(env->payload, "count"), &count);
		rb.acked = (long)count;
		if (rb.acked == rb.n) {
			rb.res->rate = (double)rb.n /
			    ((double)(now_ns() - rb.t0) / 1e9);
			rb.res->ok = 1;
			event_base_loopbreak(rt_base());
			return;
		}
		pump_later();
	}
}

/*
 * ProcessTask, decoded by the runtime through its field table as a
 * worker's would be: every ACK_EVERY, TaskAccepted {count}.
 */
static int
receiver_process(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	msgpack_packer	*pk;

	(void)self;
	if (++rb.count % ACK_EVERY == 0 || rb.count == rb.n) {
		pk = outbox_begin(ob, NULL, env->from, MSG_TASK_ACCEPTED, 1);
		msgpack_pack_map(pk, 1);
		mp_pack_kv_int(pk, "count", rb.count);
		outbox_end(ob);
	}
	return 0;
}

/* The sender went away: the run is over. */
static void
receiver_peer_down(const char *identity)
{
	(void)identity;
	rt_stop();
}

static const struct handler receiver_handlers[] = {
	{ MSG_PROCESS_TASK,	receiver_process,	0 },
};

static const struct peer_rule receiver_peers[] = {
	{ NULL,		NULL,		receiver_peer_down },
};

static const struct actor_kind receiver_kind = {
	.name = "worker",
	.handlers = receiver_handlers,
	.nhandlers = nitems(receiver_handlers),
	.peers = receiver_peers,
	.npeers = nitems(receiver_peers),
};

/* The sender reads its replies as they are (their counts). */
static const struct actor_kind sender_kind = {
	.name = "coordinator",
	.receive = sender_receive,
};

static struct event_base *
rt_setup(struct config *cfg, const char *identity,
    const struct actor_kind *kind)
{
	struct event_base	*base;

	config_defaults(cfg);
	snprintf(cfg->run_dir, sizeof(cfg->run_dir), "%s", opt.run_dir);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	rt_init(base, cfg, identity);
	rt_register(kind);
	actor_spawn(kind, "bench", NULL);
	return base;
}

static void
rt_receiver(int lfd, long n)
{
	static struct config	 cfg;
	struct event_base	*base = rt_setup(&cfg, TO_ADDR, &receiver_kind);

	rb.n = n;
	if (rt_listen(lfd) == -1)
		fatal("rt_listen");
	event_base_dispatch(base);
	_exit(0);
}

/* Sender: a warm-up round trip (it connects), then the measurement. */
static void
rt_sender(int scenario, long n, struct result *r)
{
	static struct config	 cfg;
	struct event_base	*base = rt_setup(&cfg, FROM_ADDR, &sender_kind);

	rb.scenario = scenario;
	rb.n = n;
	rb.res = r;
	rb.batch = scenario == RT_STREAM64 ? BATCH : 1;
	rb.warm = scenario == RT_RTT ? WARMUP : 1;
	if (scenario == RT_RTT)
		rb.rtt = xcalloc((size_t)n, sizeof(*rb.rtt));
	if ((rb.pump = evtimer_new(base, pump_cb, NULL)) == NULL)
		fatalx("evtimer_new");
	send_ping();
	event_base_dispatch(base);
}

/* ---- driver ---- */

static const char *const scenario_names[NSCENARIOS] = {
	[RAW_STREAM64] = "raw-stream64", [RT_STREAM64] = "rt-stream64",
	[RAW_STREAM1] = "raw-stream1", [RT_STREAM1] = "rt-stream1",
	[RAW_RTT] = "raw-rtt", [RT_RTT] = "rt-rtt",
};

static int
is_runtime(int s)
{
	return s == RT_STREAM64 || s == RT_STREAM1 || s == RT_RTT;
}

static int
is_rtt(int s)
{
	return s == RAW_RTT || s == RT_RTT;
}

/* A fresh Unix listening socket at $RUN/worker.sock. */
static int
listen_socket(void)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", opt.sock_path);
	unlink(opt.sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 128) == -1)
		fatal("listen %s", opt.sock_path);
	return fd;
}

/* Run one scenario in two fresh processes; the sender reports r. */
static void
run_one(int s, int two_cpus, struct result *r)
{
	struct result	 res;
	pid_t		 rpid, spid;
	int		 sv[2], pv[2], lfd = -1, status, recv_fd, send_fd;
	long		 n = is_rtt(s) ? opt.nrtt : opt.nstream;

	memset(r, 0, sizeof(*r));
	if (pipe(pv) == -1)
		fatal("pipe");
	if (is_runtime(s)) {
		lfd = listen_socket();
		recv_fd = send_fd = -1;
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
			fatal("socketpair");
		recv_fd = sv[0];
		send_fd = sv[1];
	}
	if ((rpid = fork()) == -1)
		fatal("fork");
	if (rpid == 0) {
		close(pv[0]);
		close(pv[1]);
		pin_cpu(two_cpus ? 1 : 0);
		if (is_runtime(s))
			rt_receiver(lfd, n);
		close(send_fd);
		raw_receiver(recv_fd, n);
	}
	if ((spid = fork()) == -1)
		fatal("fork");
	if (spid == 0) {
		close(pv[0]);
		pin_cpu(0);
		memset(&res, 0, sizeof(res));
		if (is_runtime(s)) {
			close(lfd);
			rt_sender(s, n, &res);
		} else {
			close(recv_fd);
			if (s == RAW_RTT)
				raw_rtt(send_fd, n, &res);
			else
				raw_stream(send_fd, n, s == RAW_STREAM64 ?
				    BATCH : 1, &res);
			close(send_fd);
		}
		if (write(pv[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(pv[1]);
	if (lfd != -1)
		close(lfd);
	else {
		close(sv[0]);
		close(sv[1]);
	}
	if (read(pv[0], r, sizeof(*r)) != (ssize_t)sizeof(*r))
		r->ok = 0;
	close(pv[0]);
	if (waitpid(spid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		r->ok = 0;
	if (waitpid(rpid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		r->ok = 0;
	if (is_runtime(s))
		unlink(opt.sock_path);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median of each field over the repetitions. */
static void
median_result(struct result *runs, int n, struct result *out)
{
	double	 a[MAX_REPS], b[MAX_REPS], c[MAX_REPS];
	int	 i;

	out->ok = 1;
	for (i = 0; i < n; i++) {
		a[i] = runs[i].rate;
		b[i] = runs[i].p50;
		c[i] = runs[i].p99;
		out->ok &= runs[i].ok;
	}
	out->rate = median(a, n);
	out->p50 = median(b, n);
	out->p99 = median(c, n);
}

/*
 * Runtime over raw for one figure: the median of each repetition's own
 * ratio.  Raw and runtime run back to back within a repetition, so a change
 * in the machine's load between repetitions (it is shared) cancels out.
 */
static double
paired_ratio(const struct result *raw, const struct result *rt, int rtt)
{
	double	 v[MAX_REPS];
	int	 i;

	for (i = 0; i < opt.reps; i++) {
		if (rtt)
			v[i] = raw[i].p50 > 0 ? rt[i].p50 / raw[i].p50 : 0;
		else
			v[i] = raw[i].rate > 0 ? rt[i].rate / raw[i].rate : 0;
	}
	return median(v, opt.reps);
}

/* One row of the table: raw, runtime and ratio for each CPU layout. */
static void
print_row(const char *label, struct result runs[2][NSCENARIOS][MAX_REPS],
    int ncols, int raw_s, int rt_s)
{
	struct result	 raw, rt;
	int		 c, rtt = is_rtt(raw_s);

	printf("| %s |", label);
	for (c = 0; c < ncols; c++) {
		median_result(runs[c][raw_s], opt.reps, &raw);
		median_result(runs[c][rt_s], opt.reps, &rt);
		if (rtt)
			printf(" %.1f / %.1f | %.1f / %.1f |", raw.p50,
			    raw.p99, rt.p50, rt.p99);
		else
			printf(" %.2f M | %.2f M |", raw.rate / 1e6,
			    rt.rate / 1e6);
		printf(" **%.2f×** |", paired_ratio(runs[c][raw_s],
		    runs[c][rt_s], rtt));
	}
	printf("\n");
}

/* Bytes of one ProcessTask frame as both sides send it (ids vary a little). */
static size_t
frame_bytes(void)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	size_t		 n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	raw_pack(&sb, &pk, TO_ADDR, FROM_ADDR, "ProcessTask", NULL, 500000);
	n = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return n;
}

/* The medians as a Markdown table: raw, runtime and their ratio. */
static void
print_table(struct result runs[2][NSCENARIOS][MAX_REPS], int ncols)
{
	printf("Median of %d runs; %ld messages per streaming run, %ld round "
	    "trips (after %d warm-up) per round-trip run; a ProcessTask "
	    "frame is about %zu bytes.  One CPU: both processes on CPU 0; "
	    "two CPUs: sender on 0, receiver on 1.  Ratio: runtime / raw, "
	    "the median of the %d back-to-back pairs.\n\n", opt.reps,
	    opt.nstream, opt.nrtt, WARMUP, frame_bytes(), opt.reps);
	printf("| | one CPU: raw | runtime | ratio |%s\n", ncols == 2 ?
	    " two CPUs: raw | runtime | ratio |" : "");
	printf("|---|---:|---:|---:|%s\n", ncols == 2 ? "---:|---:|---:|" :
	    "");
	print_row("streaming, batches of 64, msg/s (target ≥ 0.5×)", runs,
	    ncols, RAW_STREAM64, RT_STREAM64);
	print_row("streaming, unbatched, msg/s", runs, ncols, RAW_STREAM1,
	    RT_STREAM1);
	print_row("round trip p50 / p99, µs (target p50 ≤ 1.5×)", runs,
	    ncols, RAW_RTT, RT_RTT);
}

/* Was scenario s on layout c (0: one CPU, 1: two) asked for? */
static int
wanted(int s, int c)
{
	return (opt.scenario_only == -1 || s == opt.scenario_only) &&
	    (opt.cpus_only == 0 || opt.cpus_only == c + 1);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_transport [-c 1|2] [-n messages] "
	    "[-t round-trips] [-r repetitions] [-s scenario]\n"
	    "scenarios: raw-stream64 rt-stream64 raw-stream1 rt-stream1 "
	    "raw-rtt rt-rtt\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	static struct result	 runs[2][NSCENARIOS][MAX_REPS];
	struct result		*m;
	char			 tmpl[] = "/tmp/actord-bench.XXXXXX";
	int			 ch, s, c, i, ncols, failed = 0;

	while ((ch = getopt(argc, argv, "c:n:t:r:s:")) != -1) {
		switch (ch) {
		case 'c':
			opt.cpus_only = atoi(optarg);
			if (opt.cpus_only != 1 && opt.cpus_only != 2)
				usage();
			break;
		case 'n':
			opt.nstream = strtol(optarg, NULL, 10);
			break;
		case 't':
			opt.nrtt = strtol(optarg, NULL, 10);
			break;
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 's':
			for (s = 0; s < NSCENARIOS; s++)
				if (strcmp(optarg, scenario_names[s]) == 0)
					opt.scenario_only = s;
			if (opt.scenario_only == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (opt.nstream < 1 || opt.nrtt < 1 || opt.reps < 1 ||
	    opt.reps > MAX_REPS)
		usage();
	log_init("bench", LOG_WARNING);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	snprintf(opt.run_dir, sizeof(opt.run_dir), "%s", tmpl);
	snprintf(opt.sock_path, sizeof(opt.sock_path), "%s/worker.sock",
	    tmpl);
	ncols = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;

	for (i = 0; i < opt.reps; i++)
		for (c = 0; c < ncols; c++)
			for (s = 0; s < NSCENARIOS; s++) {
				if (!wanted(s, c))
					continue;
				m = &runs[c][s][i];
				run_one(s, c, m);
				fprintf(stderr, "rep %d, %s, %s: ", i + 1,
				    c ? "two CPUs" : "one CPU",
				    scenario_names[s]);
				if (!m->ok)
					fprintf(stderr, "FAILED\n");
				else if (is_rtt(s))
					fprintf(stderr, "p50 %.1f us, p99 %.1f "
					    "us\n", m->p50, m->p99);
				else
					fprintf(stderr, "%.0f msg/s\n",
					    m->rate);
			}
	rmdir(opt.run_dir);
	if (opt.scenario_only != -1 || opt.cpus_only != 0)
		return 0;

	for (c = 0; c < ncols; c++)
		for (s = 0; s < NSCENARIOS; s++)
			for (i = 0; i < opt.reps; i++)
				failed |= !runs[c][s][i].ok;
	print_table(runs, ncols);
	return failed ? 1 : 0;
}
