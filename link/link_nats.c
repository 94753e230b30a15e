/*
 * The link's NATS side: the only file of actord that speaks NATS.
 *
 * libnats runs its callbacks (messages, disconnects, reconnects) on its
 * own threads.  They touch nothing of the link's: each appends what it
 * got to one queue under a mutex and, when the queue was empty, writes a
 * byte to a pipe; the loop's read event on the pipe takes the whole queue
 * at once and hands each item to the link (link.h), on the loop's thread.
 * The queue is bounded ([cluster] pending_bytes): past it, a message is
 * dropped and counted, as a slow consumer's would be by the server.
 *
 * Publishing is from the loop's thread (libnats allows it from any):
 * the link hands one NATS message per destination and loop turn, frames
 * batched, so libnats' coalescing of small writes costs little.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <nats/nats.h>

#include "config.h"
#include "link.h"
#include "log.h"
#include "xmalloc.h"

struct item {
	STAILQ_ENTRY(item)	 entry;
	int			 state;		/* LN_* or -1: a message */
	size_t			 len;
	char			 subject[LINK_SUBJECT_MAX + 1];
	char			 data[];
};
STAILQ_HEAD(items, item);

static struct {
	natsConnection		*nc;
	natsOptions		*opts;
	natsSubscription	*subs[8];	/* destroyed at close */
	int			 nsubs;
	pthread_mutex_t		 mu;
	struct items		 q;		/* under mu */
	size_t			 qbytes;	/* under mu */
	uint64_t		 qdropped;	/* under mu */
	size_t			 qmax;
	int			 pipe[2];
	struct event		*ev;
	const struct link_nats_cb *cb;
} ln = { .mu = PTHREAD_MUTEX_INITIALIZER, .pipe = { -1, -1 } };

/* On a libnats thread: queue it for the loop. */
static void
enqueue(int state, const char *subject, const void *data, size_t len)
{
	struct item	*it;
	int		 wake;

	pthread_mutex_lock(&ln.mu);
	if (state == -1 && ln.qbytes + len > ln.qmax) {
		ln.qdropped++;
		pthread_mutex_unlock(&ln.mu);
		return;
	}
	it = xmalloc(sizeof(*it) + len);
	it->state = state;
	it->len = len;
	snprintf(it->subject, sizeof(it->subject), "%s", subject);
	if (len > 0)
		memcpy(it->data, data, len);
	wake = STAILQ_EMPTY(&ln.q);
	STAILQ_INSERT_TAIL(&ln.q, it, entry);
	ln.qbytes += len;
	pthread_mutex_unlock(&ln.mu);
	if (wake)
		while (write(ln.pipe[1], "", 1) == -1 && errno == EINTR)
			;
}

static void
on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
	(void)nc;
	(void)sub;
	(void)arg;
	enqueue(-1, natsMsg_GetSubject(msg), natsMsg_GetData(msg),
	    (size_t)natsMsg_GetDataLength(msg));
	natsMsg_Destroy(msg);
}

/* The LN_* states, each at its own index: the callbacks' closures. */
static int ln_states[] = { LN_UP, LN_DOWN, LN_CLOSED };

/* A change of the connection (arg: its state in ln_states), for the loop. */
static void
on_state(natsConnection *nc, void *arg)
{
	(void)nc;
	enqueue(*(int *)arg, "", NULL, 0);
}

/* On the loop: take the whole queue and hand it to the link. */
static void
drain(evutil_socket_t fd, short what, void *arg)
{
	struct items	 q;
	struct item	*it;
	char		 buf[256];
	uint64_t	 dropped;

	(void)what;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&ln.mu);
	q = ln.q;
	if (STAILQ_EMPTY(&ln.q))
		STAILQ_INIT(&q);
	else
		q.stqh_last = ln.q.stqh_last;
	STAILQ_INIT(&ln.q);
	ln.qbytes = 0;
	dropped = ln.qdropped;
	ln.qdropped = 0;
	pthread_mutex_unlock(&ln.mu);
	if (dropped > 0)
		log_warnx("NATS: %llu messages dropped: more than [cluster] "
		    "pending_bytes waited for the loop",
		    (unsigned long long)dropped);
	while ((it = STAILQ_FIRST(&q)) != NULL) {
		STAILQ_REMOVE_HEAD(&q, entry);
		if (it->state == -1)
			ln.cb->message(it->subject, it->data, it->len);
		else
			ln.cb->state(it->state);
		free(it);
	}
}

static int
check(natsStatus s, const char *what)
{
	if (s == NATS_OK)
		return 0;
	log_warnx("NATS: %s: %s", what, natsStatus_GetText(s));
	return -1;
}

int
link_nats_open(const struct config *cfg, struct event_base *base,
    const struct link_nats_cb *cb)
{
	char		 list[sizeof(cfg->nats)], *p, *w, name[128];
	const char	*servers[16];
	int		 n = 0;
	natsStatus	 s;

	ln.cb = cb;
	ln.qmax = (size_t)cfg->link_pending_bytes;
	STAILQ_INIT(&ln.q);
	if (pipe2(ln.pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	ln.ev = event_new(base, ln.pipe[0], EV_READ | EV_PERSIST, drain,
	    NULL);
	if (ln.ev == NULL || event_add(ln.ev, NULL) == -1)
		return -1;
	snprintf(list, sizeof(list), "%s", cfg->nats);
	for (p = list; (w = strsep(&p, " \t,")) != NULL && n < 16;)
		if (*w != '\0')
			servers[n++] = w;
	snprintf(name, sizeof(name), "actord link %s", cfg->host);
	if (check(natsOptions_Create(&ln.opts), "options") == -1 ||
	    check(natsOptions_SetServers(ln.opts, servers, n), "servers") ||
	    check(natsOptions_SetName(ln.opts, name), "name") ||
	    /* In the order given: this host's server first. */
	    check(natsOptions_SetNoRandomize(ln.opts, true), "order") ||
	    /*
	     * Written at once: the link already sends one message per
	     * destination and loop turn, and libnats' own coalescing would
	     * add up to a millisecond to each.
	     */
	    check(natsOptions_SetSendAsap(ln.opts, true), "asap") ||
	    check(natsOptions_SetMaxReconnect(ln.opts, -1), "reconnect") ||
	    check(natsOptions_SetReconnectWait(ln.opts, 250), "reconnect") ||
	    check(natsOptions_SetReconnectJitter(ln.opts, 250, 1000),
	    "jitter") ||
	    check(natsOptions_SetPingInterval(ln.opts, 2000), "ping") ||
	    check(natsOptions_SetMaxPingsOut(ln.opts, 2), "pings") ||
	    check(natsOptions_SetReconnectBufSize(ln.opts,
	    (int)cfg->link_pending_bytes), "buffer") ||
	    check(natsOptions_SetMaxPendingMsgs(ln.opts, 65536), "pending") ||
	    check(natsOptions_SetRetryOnFailedConnect(ln.opts, true,
	    on_state, &ln_states[LN_UP]), "retry") ||
	    check(natsOptions_SetDisconnectedCB(ln.opts, on_state,
	    &ln_states[LN_DOWN]), "callback") ||
	    check(natsOptions_SetReconnectedCB(ln.opts, on_state,
	    &ln_states[LN_UP]), "callback") ||
	    check(natsOptions_SetClosedCB(ln.opts, on_state,
	    &ln_states[LN_CLOSED]), "callback"))
		return -1;
	if (cfg->nats_user[0] != '\0' && check(natsOptions_SetUserInfo(
	    ln.opts, cfg->nats_user, cfg->nats_password), "user") == -1)
		return -1;
	if (cfg->nats_nkey_seed_file[0] != '\0' &&
	    check(natsOptions_SetNKeyFromSeed(ln.opts, cfg->nats_nkey,
	    cfg->nats_nkey_seed_file), "nkey") == -1)
		return -1;
	if (cfg->nats_ca_file[0] != '\0' &&
	    (check(natsOptions_SetSecure(ln.opts, true), "tls") == -1 ||
	    check(natsOptions_LoadCATrustedCertificates(ln.opts,
	    cfg->nats_ca_file), "ca_file") == -1))
		return -1;
	s = natsConnection_Connect(&ln.nc, ln.opts);
	if (s == NATS_OK)
		enqueue(LN_UP, "", NULL, 0);
	else if (s != NATS_NOT_YET_CONNECTED) {
		/*
		 * Refused at once (credentials, TLS), and libnats will not
		 * try again: the link stays up, cut off, rather than exit
		 * and be restarted over and over by actord.
		 */
		const char	*why = nats_GetLastError(NULL);

		log_warnx("NATS: %s refused the connection (%s): this host "
		    "is cut off from the cluster until the link restarts "
		    "(actorctl restart link)", servers[0],
		    why != NULL && why[0] != '\0' ? why :
		    natsStatus_GetText(s));
		ln.nc = NULL;
	} else {
		const char	*why = NULL;
		char		 text[256];

		/* libnats' threads may rewrite it: a copy, at once. */
		natsConnection_GetLastError(ln.nc, &why);
		snprintf(text, sizeof(text), "%s", why != NULL ? why : "");
		log_warnx("NATS: cannot connect to %s (%s); retrying",
		    servers[0], text[0] != '\0' ? text :
		    "no server answered");
	}
	return 0;
}

int
link_nats_subscribe(const char *subject)
{
	natsSubscription	*sub;
	natsStatus		 s;

	if (ln.nc == NULL)	/* refused: nothing to subscribe on */
		return 0;
	if (ln.nsubs == (int)(sizeof(ln.subs) / sizeof(ln.subs[0])))
		fatalx("link_nats_subscribe: more than %d subjects", ln.nsubs);
	s = natsConnection_Subscribe(&sub, ln.nc, subject, on_msg, NULL);
	/*
	 * Refused for good between the connect and now (credentials): the
	 * closed callback says so; the link stays up, cut off.
	 */
	if (s == NATS_CONNECTION_CLOSED)
		return 0;
	if (check(s, subject) == -1)
		return -1;
	ln.subs[ln.nsubs++] = sub;
	/* The link's own bound (enqueue()) is the one that counts. */
	natsSubscription_SetPendingLimits(sub, -1, -1);
	return 0;
}

int
link_nats_publish(const char *subject, const void *data, size_t len)
{
	return check(natsConnection_Publish(ln.nc, subject, data, (int)len),
	    subject);
}

int
link_nats_connected(void)
{
	return ln.nc != NULL &&
	    natsConnection_Status(ln.nc) == NATS_CONN_STATUS_CONNECTED;
}

const char *
link_nats_server(char *buf, size_t size)
{
	if (ln.nc == NULL || natsConnection_GetConnectedUrl(ln.nc, buf,
	    size) != NATS_OK)
		buf[0] = '\0';
	return buf;
}

size_t
link_nats_max_payload(void)
{
	int64_t	 n = ln.nc != NULL ? natsConnection_GetMaxPayload(ln.nc) : 0;

	return n > 0 ? (size_t)n : 0;
}

const char *
link_nats_error(void)
{
	const char	*why = NULL;

	if (ln.nc != NULL)
		natsConnection_GetLastError(ln.nc, &why);
	return why != NULL && why[0] != '\0' ? why : "no reason given";
}

void
link_nats_close(void)
{
	if (ln.nc != NULL) {
		if (natsConnection_Status(ln.nc) == NATS_CONN_STATUS_CONNECTED)
			natsConnection_FlushTimeout(ln.nc, 1000);
		natsConnection_Close(ln.nc);
		while (ln.nsubs > 0)
			natsSubscription_Destroy(ln.subs[--ln.nsubs]);
		natsConnection_Destroy(ln.nc);
		ln.nc = NULL;
	}
	natsOptions_Destroy(ln.opts);
	nats_CloseAndWait(2000);
}
