/*
 * GET /metrics: one scrape of the tree, assembled here.
 *
 * A scrape sends GetMetrics to actord (on the channel: the supervisor's
 * view of every process) and to each actor process with a socket here
 * (coordinator, worker, eventlog: each answers with the numbers it
 * keeps), waits at most metrics_timeout_ms for the Metrics replies, and
 * merges them family by family with the gateway's own.  A process that
 * did not answer in time (restarting, stopped, not on this host) is
 * reported actord_up{process} 0 and the scrape returns what it has; its
 * late reply is dropped.  Requests that arrive while a scrape is out join
 * it, so scrapers cost one round of GetMetrics at a time, however many.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define TARGETS_MAX	(CHILD_COUNT + 1)	/* actord and its children */

struct scrape_waiter {
	TAILQ_ENTRY(scrape_waiter) entry;
	scrape_done_fn		 done;
	void			*arg;
};

/* A process asked for its metrics in the current scrape. */
struct target {
	const char	*process;	/* "actord", "coordinator", ... */
	char		 id[ID_MAX + 1];	/* of our GetMetrics; "" not sent */
	int		 answered;
};

static struct {
	struct event		*timer;
	struct metrics		*m;		/* NULL: no scrape out */
	struct target		 t[TARGETS_MAX];
	int			 nt, pending;
	struct timespec		 began;
	TAILQ_HEAD(, scrape_waiter) waiters;
	int			 timeout_ms;
} M;

static void	finish(void);

/* The scrape took too long: finish with what came. */
static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	finish();
}

void
scrape_init(struct event_base *base, const struct config *cfg)
{
	TAILQ_INIT(&M.waiters);
	if ((M.timer = evtimer_new(base, timeout_cb, NULL)) == NULL)
		fatalx("evtimer_new");
	scrape_reload(cfg);
}

void
scrape_reload(const struct config *cfg)
{
	M.timeout_ms = cfg->metrics_timeout_ms;
}

/* Ask one process; its row stays unanswered if the ask cannot go. */
static void
ask(const char *process, const char *to)
{
	struct target	*t = &M.t[M.nt++];
	msgpack_packer	*pk;

	t->process = process;
	t->answered = 0;
	t->id[0] = '\0';
	pk = actor_begin("gateway:main", to, MSG_GET_METRICS, NULL);
	msgpack_pack_map(pk, 0);
	snprintf(t->id, sizeof(t->id), "%s", actor_last_id());
	if (actor_end() == -1) {
		t->id[0] = '\0';
		return;
	}
	M.pending++;
}

struct scrape_waiter *
scrape_start(scrape_done_fn done, void *arg)
{
	struct scrape_waiter	*w = xcalloc(1, sizeof(*w));
	char			 to[ADDR_MAX + 1];
	int			 i;

	w->done = done;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&M.waiters, w, entry);
	if (M.m != NULL)
		return w;		/* joins the scrape that is out */
	M.m = metrics_new();
	M.nt = M.pending = 0;
	clock_gettime(CLOCK_MONOTONIC, &M.began);
	ask("actord", SUPERVISOR_ADDRESS);
	for (i = 0; i < CHILD_COUNT; i++) {
		/* Each host its own. */
		if (child_specs[i].listen != LISTEN_UNIX ||
		    !config_child_runs(rt_config(), i))
			continue;
		snprintf(to, sizeof(to), "%s:main", child_specs[i].name);
		ask(child_specs[i].name, to);
	}
	/* Nothing could be asked: answer from the loop, not from here. */
	timer_ms(M.timer, M.pending > 0 ? M.timeout_ms : 0);
	return w;
}

void
scrape_cancel(struct scrape_waiter *w)
{
	TAILQ_REMOVE(&M.waiters, w, entry);
	free(w);
}

void
scrape_reply(const struct envelope *env)
{
	int	 i;

	if (M.m == NULL || env->reply_to[0] == '\0')
		return;
	for (i = 0; i < M.nt; i++) {
		if (M.t[i].answered || strcmp(M.t[i].id, env->reply_to) != 0)
			continue;
		if (metrics_merge(M.m, env->payload) == -1)
			log_warnx("Metrics from %s: not a set of families; "
			    "ignored", env->from);
		else
			M.t[i].answered = 1;
		if (--M.pending == 0)
			finish();
		return;
	}
}

/* Add the gateway's own and actord_up, write the text, answer everyone. */
static void
finish(void)
{
	struct scrape_waiter	*w;
	TAILQ_HEAD(, scrape_waiter) done;
	struct timespec		 now;
	char			 l[METRICS_LABELS_MAX], *text;
	size_t			 len;
	int			 i;

	evtimer_del(M.timer);
	rt_metrics(M.m, NULL);
	for (i = 0; i < M.nt; i++) {
		metrics_labels(l, sizeof(l), "process", M.t[i].process, NULL);
		metrics_gauge(M.m, "actord_up", "1 when the process answered "
		    "this scrape within metrics_timeout_ms, else 0.", l,
		    M.t[i].answered);
	}
	metrics_labels(l, sizeof(l), "process", "gateway", NULL);
	metrics_gauge(M.m, "actord_up", "", l, 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	metrics_gauge(M.m, "actord_scrape_duration_seconds", "Time the "
	    "gateway took to gather this scrape.", "",
	    (double)(now.tv_sec - M.began.tv_sec) +
	    (double)(now.tv_nsec - M.began.tv_nsec) / 1e9);
	text = metrics_text(M.m, &len);
	metrics_free(M.m);
	M.m = NULL;
	/* A waiter's answer may start the next scrape: it waits for that. */
	TAILQ_INIT(&done);
	TAILQ_CONCAT(&done, &M.waiters, entry);
	while ((w = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, w, entry);
		w->done(w->arg, text, len);
		free(w);
	}
	free(text);
}
