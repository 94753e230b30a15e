/*
 * The coordinator's metrics: what it answers GetMetrics with.
 *
 * Gauges are read from the state as it is (tasks per status, each
 * queue's ready, running and delayed tasks, unacknowledged events).  The
 * counters (tasks assigned, completed, failed, retried, cancelled, timed
 * out, per kind and queue), the wait and run time histograms and the
 * dedupe hits are kept in memory, and those that moved are written in the
 * turn's transaction, last before its commit (task_counts and
 * metric_state in coordinator.db), so that a restart of the coordinator
 * never takes a counter back: Prometheus sees a counter, not a reset.
 *
 * The label values come from names clients choose (a task's kind and
 * queue), so their number is bounded: the first metrics_series distinct
 * (kind, queue) pairs are reported as they are, any later one as kind
 * "other", queue "other".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "strmap.h"
#include "xmalloc.h"

#define OTHER		"other"		/* the overflow label value */

static const char *const counter_names[CM_COUNT] = {
	[CM_ASSIGNED] = "assigned",
	[CM_COMPLETED] = "completed",
	[CM_FAILED] = "failed",
	[CM_RETRIED] = "retried",
	[CM_CANCELLED] = "cancelled",
	[CM_TIMED_OUT] = "timed_out",
};

static const char *const counter_help[CM_COUNT] = {
	[CM_ASSIGNED] = "Tasks accepted (AssignTask), by kind and queue.",
	[CM_COMPLETED] = "Tasks that completed, by kind and queue.",
	[CM_FAILED] = "Tasks that failed for good, by kind and queue.",
	[CM_RETRIED] = "Runs that failed and were retried by policy, and "
	    "failed tasks sent again with RetryTask, by kind and queue.",
	[CM_CANCELLED] = "Tasks cancelled, by kind and queue.",
	[CM_TIMED_OUT] = "Runs that the worker ended at their timeout, by "
	    "kind and queue.",
};

static int	series_put(struct coord *, struct cmet_series *);
static int	state_set(struct coord *, const char *, const char *);

/* The series of (kind, queue): made, or "other" past the bound. */
static struct cmet_series *
series(struct coord *c, const char *kind, const char *queue)
{
	struct cmetrics		*cm = &c->met;
	struct cmet_series	*s;
	char			 key[TASK_KIND_MAX + NAME_MAX_LEN + 2];

	/*
	 * Most messages count for the pair the one before counted for:
	 * two strcmp instead of formatting the key and hashing it.
	 */
	if ((s = cm->last) != NULL && strcmp(s->kind, kind) == 0 &&
	    strcmp(s->queue, queue) == 0)
		return s;
	snprintf(key, sizeof(key), "%s/%s", kind, queue);
	if ((s = strmap_get(cm->series, key)) != NULL)
		return cm->last = s;
	if (cm->nseries >= (size_t)c->conf.metrics_series &&
	    strcmp(kind, OTHER) != 0) {
		if (!cm->overflowed)
			log_info("metrics: more than %d (kind, queue) pairs; "
			    "later ones are counted as \"other\"",
			    c->conf.metrics_series);
		cm->overflowed = 1;
		return series(c, OTHER, OTHER);
	}
	s = xcalloc(1, sizeof(*s));
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	snprintf(s->queue, sizeof(s->queue), "%s", queue);
	series_put(c, s);
	return cm->last = s;
}

static void
bump(struct coord *c, const struct trow *t, enum cmet_counter which)
{
	struct cmet_series	*s = series(c, t->kind, t->queue);

	s->n[which]++;
	if (!s->dirty) {
		s->dirty = 1;
		c->met.ndirty++;
	}
}

/* A histogram as text: the buckets, the count, the sum. */
static void
hist_format(const struct histogram *h, char *out, size_t size)
{
	size_t	 i, n = 0;

	for (i = 0; i < HIST_BUCKETS && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%" PRIu64 " ",
		    h->bucket[i]);
	if (n < size)
		snprintf(out + n, size - n, "%" PRIu64 " %.17g", h->count,
		    h->sum);
}

static void
hist_parse(struct histogram *h, const char *s)
{
	struct histogram	 v;
	char			*end;
	size_t			 i;

	memset(&v, 0, sizeof(v));
	for (i = 0; i < HIST_BUCKETS; i++) {
		v.bucket[i] = strtoull(s, &end, 10);
		if (end == s)
			return;
		s = end;
	}
	v.count = strtoull(s, &end, 10);
	if (end == s)
		return;
	v.sum = strtod(end, NULL);
	*h = v;
}

void
cmet_init(struct coord *c)
{
	c->met.series = strmap_new();
	TAILQ_INIT(&c->met.list);
}

void
cmet_free(struct coord *c)
{
	struct cmet_series	*s;

	while ((s = TAILQ_FIRST(&c->met.list)) != NULL) {
		TAILQ_REMOVE(&c->met.list, s, entry);
		free(s);
	}
	c->met.last = NULL;
	if (c->met.series != NULL)
		strmap_free(c->met.series);
	c->met.series = NULL;
}

int
cmet_load(struct coord *c)
{
	struct cmet_series	*s;
	sqlite3_stmt		*st = cdb_stmt(c, ST_LOAD_TASK_COUNTS);
	const char		*name, *value;
	int			 rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Every stored pair, past the bound too: none is lost. */
		s = xcalloc(1, sizeof(*s));
		snprintf(s->kind, sizeof(s->kind), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(s->queue, sizeof(s->queue), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		for (i = 0; i < CM_COUNT; i++)
			s->n[i] = (uint64_t)sqlite3_column_int64(st, 2 + i);
		if (series_put(c, s) == -1)
			free(s);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = cdb_stmt(c, ST_LOAD_METRIC_STATE);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		value = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(name, "wait") == 0)
			hist_parse(&c->met.wait, value);
		else if (strcmp(name, "run") == 0)
			hist_parse(&c->met.run, value);
		else if (strcmp(name, "dedupe_hits") == 0)
			c->met.dedupe_hits = strtoull(value, NULL, 10);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Index s under its pair; -1 if the pair is there already. */
static int
series_put(struct coord *c, struct cmet_series *s)
{
	char	 key[TASK_KIND_MAX + NAME_MAX_LEN + 2];

	snprintf(key, sizeof(key), "%s/%s", s->kind, s->queue);
	if (strmap_get(c->met.series, key) != NULL)
		return -1;
	strmap_put(c->met.series, key, s);
	TAILQ_INSERT_TAIL(&c->met.list, s, entry);
	if (strcmp(s->kind, OTHER) != 0 || strcmp(s->queue, OTHER) != 0)
		c->met.nseries++;
	return 0;
}

/* Write what moved; the commit hook runs it last in each transaction. */
int
cmet_save(struct coord *c)
{
	struct cmetrics		*cm = &c->met;
	struct cmet_series	*s;
	sqlite3_stmt		*st;
	char			 text[HIST_BUCKETS * 21 + 64];
	int			 i;

	if (cm->ndirty > 0)
		TAILQ_FOREACH(s, &cm->list, entry) {
			if (!s->dirty)
				continue;
			st = cdb_stmt(c, ST_TASK_COUNTS_SET);
			cdb_bind_text(st, 1, s->kind);
			cdb_bind_text(st, 2, s->queue);
			for (i = 0; i < CM_COUNT; i++)
				sqlite3_bind_int64(st, 3 + i,
				    (int64_t)s->n[i]);
			if (cdb_run(c, st) == -1)
				return -1;
			s->dirty = 0;
		}
	cm->ndirty = 0;
	if (cm->wait_dirty) {
		hist_format(&cm->wait, text, sizeof(text));
		if (state_set(c, "wait", text) == -1)
			return -1;
		cm->wait_dirty = 0;
	}
	if (cm->run_dirty) {
		hist_format(&cm->run, text, sizeof(text));
		if (state_set(c, "run", text) == -1)
			return -1;
		cm->run_dirty = 0;
	}
	if (cm->dedupe_dirty) {
		snprintf(text, sizeof(text), "%" PRIu64, cm->dedupe_hits);
		if (state_set(c, "dedupe_hits", text) == -1)
			return -1;
		cm->dedupe_dirty = 0;
	}
	return 0;
}

/* One row of metric_state. */
static int
state_set(struct coord *c, const char *name, const char *value)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_METRIC_STATE_SET);

	cdb_bind_text(st, 1, name);
	cdb_bind_text(st, 2, value);
	return cdb_run(c, st);
}

void
cmet_transition(struct coord *c, const struct trow *t,
    enum task_status from, enum task_status to)
{
	struct cmetrics	*cm = &c->met;
	int64_t		 now, since;

	if (from == TASK_NEW)
		bump(c, t, CM_ASSIGNED);
	if (from == TASK_FAILED && to != TASK_FAILED)
		bump(c, t, CM_RETRIED);
	switch (to) {
	case TASK_COMPLETED:
		bump(c, t, CM_COMPLETED);
		break;
	case TASK_FAILED:
		bump(c, t, CM_FAILED);
		break;
	case TASK_CANCELLED:
		bump(c, t, CM_CANCELLED);
		break;
	case TASK_RETRYING:
		bump(c, t, CM_RETRIED);
		break;
	case TASK_RUNNING:
		now = coord_now(c);
		since = t->run_at > t->created ? t->run_at : t->created;
		if (since > 0 && now >= since) {
			histogram_observe(&cm->wait,
			    (double)(now - since) / 1000.0);
			cm->wait_dirty = 1;
		}
		break;
	default:
		break;
	}
	if (from == TASK_RUNNING && t->started > 0 &&
	    (now = coord_now(c)) >= t->started) {
		histogram_observe(&cm->run, (double)(now - t->started) /
		    1000.0);
		cm->run_dirty = 1;
	}
}

void
cmet_timed_out(struct coord *c, const struct trow *t)
{
	bump(c, t, CM_TIMED_OUT);
}

void
cmet_dedupe_hit(struct coord *c)
{
	c->met.dedupe_hits++;
	c->met.dedupe_dirty = 1;
}

/* Every family the coordinator reports. */
void
coord_metrics(struct coord *c, struct metrics *m)
{
	struct cmet_series	*s;
	struct cqueue		*q;
	char			 l[METRICS_LABELS_MAX], name[64];
	int			 i;

	for (i = 0; i < TASK_NSTATUS; i++) {
		metrics_labels(l, sizeof(l), "status", task_status_name(i),
		    NULL);
		metrics_gauge(m, "actord_tasks", "Tasks in the coordinator by "
		    "status (finished ones: ever, pruned rows included).", l,
		    (double)c->ntasks[i]);
	}
	for (i = 0; i < CM_COUNT; i++) {
		snprintf(name, sizeof(name), "actord_tasks_%s_total",
		    counter_names[i]);
		TAILQ_FOREACH(s, &c->met.list, entry) {
			metrics_labels(l, sizeof(l), "kind", s->kind, "queue",
			    s->queue, NULL);
			metrics_counter(m, name, counter_help[i], l,
			    (double)s->n[i]);
		}
		if (TAILQ_EMPTY(&c->met.list))
			metrics_counter(m, name, counter_help[i],
			    "{kind=\"other\",queue=\"other\"}", 0);
	}
	metrics_histogram(m, "actord_task_wait_seconds", "Time from a "
	    "task's creation (or its runAt) to the start of a run.", "",
	    &c->met.wait);
	metrics_histogram(m, "actord_task_run_seconds", "Time a run took, "
	    "from its start to its outcome.", "", &c->met.run);
	TAILQ_FOREACH(q, &c->queue_list, entry) {
		metrics_labels(l, sizeof(l), "queue", q->name, NULL);
		metrics_gauge(m, "actord_queue_length", "Tasks ready to run "
		    "in the queue.", l, (double)q->queued);
		metrics_gauge(m, "actord_queue_running", "Tasks of the queue "
		    "running.", l, (double)q->running);
		metrics_gauge(m, "actord_queue_delayed", "Tasks of the queue "
		    "waiting for their time (scheduled or retrying).", l,
		    (double)q->waiting);
		metrics_gauge(m, "actord_queue_paused", "1 when the queue is "
		    "paused.", l, q->paused);
	}
	for (i = 0; i < WORKER_NSTATUS; i++) {
		metrics_labels(l, sizeof(l), "status", worker_status_name(i),
		    NULL);
		metrics_gauge(m, "actord_workers", "Registered workers by "
		    "status.", l, (double)c->nstatus[i]);
	}
	metrics_counter(m, "actord_dedupe_hits_total", "Commands the "
	    "coordinator recognised by their id and answered with the stored "
	    "reply.", "", (double)c->met.dedupe_hits);
	metrics_gauge(m, "actord_coordinator_unacked_events", "Activity "
	    "events the coordinator keeps until the event log acknowledges "
	    "them.", "", (double)coord_events_unacked(c));
	metrics_counter(m, "actord_coordinator_events_dropped_total",
	    "Activity events dropped past unacked_events since the "
	    "coordinator started.", "", (double)c->ev.dropped);
}
