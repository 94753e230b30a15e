/*
 * The workers' state: worker.db and the memory of each worker actor.
 *
 * Schema version 3, one row per worker:
 *
 *	workers (id, processed, task, kind, input, started,
 *		 last_task, last_status, last_result, last_error, created,
 *		 last_code)
 *
 * task is the current task (NULL when idle); last_* the last outcome:
 * completed, failed, or interrupted (the process died while it ran).  The
 * outcome is written before the TaskCompleted or TaskFailed that reports
 * it leaves the process (the output gate), and repeated in every
 * announcement, so that a report lost with a dying coordinator is not
 * lost for good.
 *
 * And one row per command kind's run whose processes may still be
 * around (version 3):
 *
 *	commands (run, pgid, worker, task, started)
 *
 * written in the turn that starts the run, deleted once the runner has
 * killed and reaped what it could of it.  A worker process that starts
 * and finds rows kills what their runs left (the previous process was
 * killed: its commands' first processes died with it, PR_SET_PDEATHSIG,
 * but not what they started).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "actor.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "strmap.h"
#include "worker.h"
#include "worker_command.h"
#include "xmalloc.h"

const char *const worker_migrations[] = {
	/* 1: the placeholder that shipped first. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value)",

	/* 2: the workers. */
	"CREATE TABLE workers ("
	"  id TEXT PRIMARY KEY,"
	"  processed INTEGER NOT NULL DEFAULT 0,"
	"  task TEXT,"
	"  kind TEXT,"
	"  input BLOB,"
	"  started INTEGER,"
	"  last_task TEXT,"
	"  last_status TEXT,"
	"  last_result BLOB,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL)",

	/* 3: command kinds: runs to kill after a restart; a failure's code. */
	"CREATE TABLE commands ("
	"  run TEXT PRIMARY KEY,"
	"  pgid INTEGER NOT NULL,"
	"  worker TEXT,"
	"  task TEXT,"
	"  started INTEGER NOT NULL);"
	"ALTER TABLE workers ADD COLUMN last_code TEXT",
};
const int worker_nmigrations = sizeof(worker_migrations) /
    sizeof(worker_migrations[0]);

static const char *const stmt_sql[WST_COUNT] = {
	[WST_INSERT] =
	    "INSERT OR IGNORE INTO workers (id, created) VALUES (?1, ?2)",
	[WST_DELETE] =
	    "DELETE FROM workers WHERE id = ?1",
	[WST_START] =
	    "UPDATE workers SET task = ?2, kind = ?3, input = ?4, started = ?5"
	    " WHERE id = ?1",
	[WST_FINISH] =
	    "UPDATE workers SET processed = ?2, task = NULL, kind = NULL,"
	    " input = NULL, started = NULL, last_task = ?3, last_status = ?4,"
	    " last_result = ?5, last_error = ?6, last_code = ?7 WHERE id = ?1",
	[WST_CLEAR] =
	    "UPDATE workers SET task = NULL, kind = NULL, input = NULL,"
	    " started = NULL WHERE id = ?1",
	[WST_CMD_INSERT] =
	    "INSERT OR REPLACE INTO commands (run, pgid, worker, task, started)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[WST_CMD_DELETE] =
	    "DELETE FROM commands WHERE run = ?1",
};

static void	timer_cb(evutil_socket_t, short, void *);

struct db *
ws_db(const struct wstate *ws)
{
	return ws->db;
}

void
ws_set_output(struct wstate *ws, void (*fn)(struct wstate *, void *),
    void *arg)
{
	ws->output = fn;
	ws->output_arg = arg;
}

void
ws_set_config(struct wstate *ws, const struct config *cfg)
{
	ws->cfg = cfg;
}

void
ws_kill_commands(struct wstate *ws)
{
	cmd_runner_kill_all(ws->runner);
}

struct wactor *
ws_find(const struct wstate *ws, const char *id)
{
	return strmap_get(ws->map, id);
}

/* A statement ready to bind. */
static sqlite3_stmt *
stmt(struct wstate *ws, enum wstmt which)
{
	sqlite3_reset(ws->st[which]);
	sqlite3_clear_bindings(ws->st[which]);
	return ws->st[which];
}

/* Run a write statement; 0 or -1 logged. */
static int
run(struct wstate *ws, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("worker.db: %s: %s", sqlite3_sql(st),
		    sqlite3_errmsg(db_handle(ws->db)));
		return -1;
	}
	return 0;
}

/* Bind a string, or NULL for NULL or "". */
static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || *s == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Copy len bytes into a fresh buffer (NULL for none). */
static char *
copy_bytes(const void *p, size_t len)
{
	char	*b;

	if (p == NULL || len == 0)
		return NULL;
	b = xmalloc(len);
	memcpy(b, p, len);
	return b;
}

/* Make a worker's memory (not its row). */
static struct wactor *
wactor_new(struct wstate *ws, const char *id)
{
	struct wactor	*w = xcalloc(1, sizeof(*w));

	w->ws = ws;
	snprintf(w->id, sizeof(w->id), "%s", id);
	snprintf(w->address, sizeof(w->address), "worker:%s", id);
	if ((w->timer = evtimer_new(ws->base, timer_cb, w)) == NULL)
		fatalx("worker: evtimer_new");
	strmap_put(ws->map, w->id, w);
	TAILQ_INSERT_TAIL(&ws->all, w, entry);
	ws->n++;
	return w;
}

/* Forget a worker's memory (not its row); its timer goes with it. */
static void
wactor_free(struct wstate *ws, struct wactor *w)
{
	strmap_del(ws->map, w->id);
	TAILQ_REMOVE(&ws->all, w, entry);
	ws->n--;
	if (w->task[0] != '\0')
		ws->nbusy--;
	event_free(w->timer);
	free(w->pending);
	free(w->last_result);
	free(w->last_error);
	free(w);
}

/* Set the last outcome. */
static void
set_last(struct wactor *w, const char *task, const char *status,
    const void *result, size_t resultlen, const char *error,
    const char *code)
{
	snprintf(w->last_task, sizeof(w->last_task), "%s", task);
	snprintf(w->last_status, sizeof(w->last_status), "%s", status);
	snprintf(w->last_code, sizeof(w->last_code), "%s",
	    code != NULL ? code : "");
	free(w->last_result);
	free(w->last_error);
	w->last_result = copy_bytes(result, resultlen);
	w->last_resultlen = w->last_result != NULL ? resultlen : 0;
	w->last_error = error != NULL ? xstrdup(error) : NULL;
}

/* Store w's counters and last outcome, with no current task. */
static int
store_finish(struct wstate *ws, struct wactor *w)
{
	sqlite3_stmt	*st = stmt(ws, WST_FINISH);

	bind_text(st, 1, w->id);
	sqlite3_bind_int64(st, 2, (int64_t)w->processed);
	bind_text(st, 3, w->last_task);
	bind_text(st, 4, w->last_status);
	if (w->last_result != NULL)
		sqlite3_bind_blob(st, 5, w->last_result,
		    (int)w->last_resultlen, SQLITE_TRANSIENT);
	bind_text(st, 6, w->last_error);
	bind_text(st, 7, w->last_code);
	return run(ws, st);
}

/* Queue TaskCompleted or TaskFailed for w's last outcome. */
static void
report_last(struct wactor *w, struct outbox *ob)
{
	struct msg_task_report	 m;
	int			 failed = strcmp(w->last_status, "failed") == 0;

	memset(&m, 0, sizeof(m));
	snprintf(m.task_id, sizeof(m.task_id), "%s", w->last_task);
	snprintf(m.worker_id, sizeof(m.worker_id), "%s", w->id);
	m.processed = w->processed;
	m.has_processed = true;
	m.result.raw = w->last_result;
	m.result.len = w->last_resultlen;
	if (failed) {
		snprintf(m.error, sizeof(m.error), "%s",
		    w->last_error != NULL ? w->last_error : "failed");
		snprintf(m.code, sizeof(m.code), "%s", w->last_code);
		outbox_msg(ob, w->address, COORDINATOR_ADDRESS,
		    MSG_TASK_FAILED, 0, &m);
	} else
		outbox_msg(ob, w->address, COORDINATOR_ADDRESS,
		    MSG_TASK_COMPLETED, 0, &m);
}

/*
 * The current task of w finished: completed with result (msgpack bytes)
 * or failed with error and code (a command's failure has a result too).
 * Store it, report it, and w is idle.
 */
static int
finish(struct wstate *ws, struct wactor *w, int failed, const void *result,
    size_t resultlen, const char *error, const char *code, struct outbox *ob)
{
	if (db_begin(ws->db) == -1)
		return -1;
	w->processed++;
	set_last(w, w->task, failed ? "failed" : "completed", result,
	    resultlen, failed ? error : NULL, failed ? code : NULL);
	if (store_finish(ws, w) == -1)
		return -1;
	log_debug("%s: task %s %s", w->address, w->task, w->last_status);
	w->task[0] = '\0';
	w->kind[0] = '\0';
	free(w->pending);
	w->pending = NULL;
	w->pendinglen = 0;
	w->timing_out = false;
	w->cmd = NULL;
	ws->nbusy--;
	ws->nprocessed++;
	report_last(w, ob);
	return 0;
}

/* Drop w's current task without a report (AbortTask, StopWorker). */
static int
abort_task(struct wstate *ws, struct wactor *w)
{
	sqlite3_stmt	*st;

	if (w->task[0] == '\0')
		return 0;
	log_info("%s: task %s aborted", w->address, w->task);
	evtimer_del(w->timer);
	if (w->cmd != NULL)
		cmd_abort(w->cmd);
	w->cmd = NULL;
	w->timing_out = false;
	free(w->pending);
	w->pending = NULL;
	w->pendinglen = 0;
	w->task[0] = '\0';
	w->kind[0] = '\0';
	ws->nbusy--;
	if (db_begin(ws->db) == -1)
		return -1;
	st = stmt(ws, WST_CLEAR);
	bind_text(st, 1, w->id);
	return run(ws, st);
}

/* Pack obj into a fresh buffer; NULL for none. */
static char *
pack_copy(const msgpack_object *obj, size_t *len)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		*b;

	*len = 0;
	if (obj == NULL)
		return NULL;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *obj);
	b = copy_bytes(sb.data, sb.size);
	*len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return b;
}

/* A task kind's after_ms is over: the task is done. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wactor	*w = arg;
	struct wstate	*ws = w->ws;
	char		*bytes = w->pending;

	char		 why[64];
	int		 rc;

	(void)fd;
	(void)what;
	if (w->task[0] == '\0')
		return;
	w->pending = NULL;
	if (w->timing_out) {
		snprintf(why, sizeof(why), "timeout after %llu ms",
		    (unsigned long long)w->timeout_ms);
		rc = finish(ws, w, 1, NULL, 0, why, "timeout", &ws->ob);
	} else
		rc = finish(ws, w, 0, bytes, w->pendinglen, NULL, NULL,
		    &ws->ob);
	if (rc == -1)
		fatalx("worker.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
	free(bytes);
	if (ws->output != NULL)
		ws->output(ws, ws->output_arg);
}

/* A command's run ended: its outcome is w's task's. */
static void
command_done(void *arg, const struct cmd_outcome *o)
{
	struct wactor	*w = arg;
	struct wstate	*ws = w->ws;

	w->cmd = NULL;
	if (finish(ws, w, o->failed, o->result, o->resultlen, o->error,
	    o->code, &ws->ob) == -1)
		fatalx("worker.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
	if (ws->output != NULL)
		ws->output(ws, ws->output_arg);
}

/* A command's output for whoever watches w's task: TaskOutput. */
static void
command_output(void *arg, const char *stream, uint64_t offset,
    const char *data, const char *encoding)
{
	struct wactor		*w = arg;
	struct wstate		*ws = w->ws;
	struct msg_task_output	*m = xcalloc(1, sizeof(*m));

	snprintf(m->task_id, sizeof(m->task_id), "%s", w->task);
	snprintf(m->stream, sizeof(m->stream), "%s", stream);
	m->offset = offset;
	snprintf(m->data, sizeof(m->data), "%s", data);
	snprintf(m->encoding, sizeof(m->encoding), "%s", encoding);
	outbox_msg(&ws->ob, w->address, COORDINATOR_ADDRESS, MSG_TASK_OUTPUT,
	    0, m);
	free(m);
	if (ws->output != NULL)
		ws->output(ws, ws->output_arg);
}

/* A run's processes are all gone: its record goes. */
static void
command_gone(void *arg, const char *id)
{
	struct wstate	*ws = arg;
	sqlite3_stmt	*st;

	if (db_begin(ws->db) == -1)
		fatalx("worker.db: cannot begin a transaction");
	st = stmt(ws, WST_CMD_DELETE);
	bind_text(st, 1, id);
	if (run(ws, st) == -1)
		fatalx("worker.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
}

/*
 * Queue w's WorkerState for to (a reply when reply is set): its state, and
 * for the coordinator's reconciliation its last outcome.
 */
static void
send_state(struct wactor *w, struct outbox *ob, const char *to, int reply)
{
	struct msg_worker_state	 m;

	memset(&m, 0, sizeof(m));
	snprintf(m.worker_id, sizeof(m.worker_id), "%s", w->id);
	snprintf(m.status, sizeof(m.status), "%s", w->task[0] ? "busy" :
	    "idle");
	snprintf(m.current_task, sizeof(m.current_task), "%s", w->task);
	m.processed = w->processed;
	snprintf(m.last_task, sizeof(m.last_task), "%s", w->last_task);
	snprintf(m.last_status, sizeof(m.last_status), "%s", w->last_status);
	m.last_result.raw = w->last_result;
	m.last_result.len = w->last_resultlen;
	if (w->last_error != NULL)
		snprintf(m.last_error, sizeof(m.last_error), "%s",
		    w->last_error);
	snprintf(m.last_code, sizeof(m.last_code), "%s", w->last_code);
	outbox_msg(ob, w->address, to, MSG_WORKER_STATE, reply, &m);
}

/* Announce every worker to the coordinator (WorkerState pushes). */
void
ws_announce_all(struct wstate *ws)
{
	struct wactor	*w;

	TAILQ_FOREACH(w, &ws->all, entry)
		send_state(w, &ws->ob, COORDINATOR_ADDRESS, 0);
}

/*
 * Run w's new built-in task by its kind: done now (stored and reported),
 * done on w's timer after the kind's after_ms, or failed; after
 * timeout_ms (0: none) if that comes first, failed with code "timeout".
 */
static int
run_kind(struct wstate *ws, struct wactor *w,
    const struct msg_process_task *m, uint64_t timeout_ms, struct outbox *ob)
{
	const struct task_kind	*k;
	struct task		 t;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	memset(&t, 0, sizeof(t));
	t.id = w->task;
	t.result = &pk;
	if ((k = task_kind_find(m->kind)) == NULL)
		rc = task_error(&t, "unknown task kind: %s", m->kind);
	else
		rc = k->run(&t, m->input.obj);
	if (rc == -1)
		rc = finish(ws, w, 1, NULL, 0, t.error, NULL, ob);
	else if (t.after_ms > 0) {
		free(w->pending);
		w->pending = copy_bytes(sb.data, sb.size);
		w->pendinglen = w->pending != NULL ? sb.size : 0;
		if (timeout_ms > 0 && t.after_ms > timeout_ms) {
			w->timing_out = true;
			w->timeout_ms = timeout_ms;
			t.after_ms = timeout_ms;
		}
		rc = timer_ms(w->timer, (int64_t)t.after_ms);
	} else
		rc = finish(ws, w, 0, sb.data, sb.size, NULL, NULL, ob);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/*
 * Run w's new task of command kind k: its program starts, and its end
 * comes through command_done(); or it cannot start, and the task fails
 * now.  Its run is recorded, for a restart to kill what it left.
 */
static int
run_command(struct wstate *ws, struct wactor *w, const struct kind_conf *k,
    const struct msg_process_task *m, uint64_t timeout_ms, struct outbox *ob)
{
	static const struct cmd_hooks	 hooks = {
		.done = command_done,
		.output = command_output,
	};
	struct cmd_spec			 spec;
	struct cmd_outcome		 o;
	sqlite3_stmt			*st;

	memset(&spec, 0, sizeof(spec));
	spec.kind = k;
	spec.task_id = w->task;
	spec.input = m->input.obj;
	spec.timeout_ms = timeout_ms;
	spec.stream = m->stream;
	if ((w->cmd = cmd_start(ws->runner, &spec, &hooks, w, &o)) == NULL)
		return finish(ws, w, 1, o.result, o.resultlen, o.error, o.code,
		    ob);
	st = stmt(ws, WST_CMD_INSERT);
	bind_text(st, 1, cmd_run_id(w->cmd));
	sqlite3_bind_int64(st, 2, cmd_pgid(w->cmd));
	bind_text(st, 3, w->id);
	bind_text(st, 4, w->task);
	sqlite3_bind_int64(st, 5, env_now_ms());
	return run(ws, st);
}

/*
 * The timeout of a run of kind k (NULL: a kind the config does not know):
 * what the task asked (the coordinator sends it, capped), at most the
 * kind's cap; when it asked none, the kind's own (timeout_ms).
 */
static uint64_t
run_timeout(const struct kind_conf *k, uint64_t asked)
{
	uint64_t	 t = asked;

	if (k == NULL)
		return t;
	if (t == 0)
		t = k->timeout_ms;
	if (k->timeout_max_ms > 0 && (t == 0 || t > k->timeout_max_ms))
		t = k->timeout_max_ms;
	return t;
}

/* ProcessTask {taskId, kind, input}: run it, unless it ran here already. */
int
worker_process_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct wactor			*w = self->data;
	struct wstate			*ws = w->ws;
	const struct msg_process_task	*m = &env->body->process_task;
	const struct kind_conf		*k = kind_find(ws->cfg, m->kind);
	struct msg_task_report		 started;
	sqlite3_stmt			*st;
	char			*input;
	size_t			 inputlen;
	int			 rc;

	if (w->task[0] != '\0') {
		if (strcmp(w->task, m->task_id) == 0)
			return 0;
		/* The coordinator decides what runs: it has moved on. */
		log_warnx("%s: told to run %s while running %s; dropping %s",
		    w->address, m->task_id, w->task, w->task);
		if (abort_task(ws, w) == -1)
			return -1;
	}
	if (strcmp(w->last_task, m->task_id) == 0 &&
	    (strcmp(w->last_status, "completed") == 0 ||
	    strcmp(w->last_status, "failed") == 0)) {
		/* It ran here and its report was lost: report it again. */
		report_last(w, ob);
		return 0;
	}
	if (db_begin(ws->db) == -1)
		return -1;
	input = pack_copy(m->input.obj, &inputlen);
	st = stmt(ws, WST_START);
	bind_text(st, 1, w->id);
	bind_text(st, 2, m->task_id);
	bind_text(st, 3, m->kind);
	if (input != NULL)
		sqlite3_bind_blob(st, 4, input, (int)inputlen,
		    SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, env_now_ms());
	rc = run(ws, st);
	free(input);
	if (rc == -1)
		return -1;
	snprintf(w->task, sizeof(w->task), "%s", m->task_id);
	snprintf(w->kind, sizeof(w->kind), "%s", m->kind);
	ws->nbusy++;
	memset(&started, 0, sizeof(started));
	snprintf(started.task_id, sizeof(started.task_id), "%s", w->task);
	snprintf(started.worker_id, sizeof(started.worker_id), "%s", w->id);
	outbox_msg(ob, w->address, COORDINATOR_ADDRESS, MSG_TASK_STARTED, 0,
	    &started);

	if (k != NULL && !k->builtin)
		return run_command(ws, w, k, m, run_timeout(k, m->timeout_ms),
		    ob);
	return run_kind(ws, w, m, run_timeout(k, m->timeout_ms), ob);
}

/* StartWorker {workerId}: the worker exists now; announce it. */
int
worker_start(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	(void)env;
	send_state(self->data, ob, COORDINATOR_ADDRESS, 0);
	return 0;
}

/* GetState {}: WorkerState. */
int
worker_get_state(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	send_state(self->data, ob, env->from, 1);
	return 0;
}

/* StreamOutput {taskId, on}: TaskOutput for its command's output, or not. */
int
worker_stream_output(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct wactor			*w = self->data;
	const struct msg_stream_output	*m = &env->body->stream_output;

	(void)ob;
	if (w->cmd != NULL && strcmp(w->task, m->task_id) == 0)
		cmd_stream(w->cmd, m->on);
	return 0;
}

/* AbortTask {taskId}: drop it if it is still the current task. */
int
worker_abort_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct wactor	*w = self->data;

	(void)ob;
	if (strcmp(w->task, env->body->task_id.task_id) != 0)
		return 0;
	return abort_task(w->ws, w);
}

/* The worker id, made and stored if it is new. */
struct wactor *
ws_create(struct wstate *ws, const char *id)
{
	struct wactor	*w;
	sqlite3_stmt	*st;

	if ((w = ws_find(ws, id)) != NULL)
		return w;
	if (db_begin(ws->db) == -1)
		return NULL;
	st = stmt(ws, WST_INSERT);
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, env_now_ms());
	if (run(ws, st) == -1)
		return NULL;
	log_info("worker:%s created", id);
	return wactor_new(ws, id);
}

/* StopWorker: drop its task, delete its row, free its memory. */
int
ws_stop(struct wstate *ws, struct wactor *w)
{
	sqlite3_stmt	*st;

	if (abort_task(ws, w) == -1)
		return -1;
	if (db_begin(ws->db) == -1)
		return -1;
	st = stmt(ws, WST_DELETE);
	bind_text(st, 1, w->id);
	if (run(ws, st) == -1)
		return -1;
	log_info("%s stopped", w->address);
	wactor_free(ws, w);
	return 0;
}

/*
 * Load every worker.  A task that was current is the last outcome now,
 * "interrupted": the coordinator requeues it.
 */
static int
ws_load(struct wstate *ws)
{
	struct wactor	*w;
	sqlite3_stmt	*st;
	const char	*s, *status;
	int		 rc, ninterrupted = 0;

	if ((st = db_prepare(ws->db, "SELECT id, processed, task, last_task,"
	    " last_status, last_result, last_error, last_code FROM workers"
	    " ORDER BY rowid")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w = wactor_new(ws, (const char *)sqlite3_column_text(st, 0));
		w->processed = (uint64_t)sqlite3_column_int64(st, 1);
		if ((s = (const char *)sqlite3_column_text(st, 2)) != NULL) {
			set_last(w, s, "interrupted", NULL, 0, "the worker "
			    "process restarted while it ran", NULL);
			ninterrupted++;
			continue;
		}
		if ((s = (const char *)sqlite3_column_text(st, 3)) == NULL)
			continue;
		status = (const char *)sqlite3_column_text(st, 4);
		set_last(w, s, status != NULL ? status : "",
		    sqlite3_column_blob(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 7));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("worker.db: loading the workers: %s",
		    sqlite3_errmsg(db_handle(ws->db)));
		return -1;
	}
	if (ninterrupted == 0)
		return 0;
	log_info("%d tasks were running when the worker process stopped; "
	    "the coordinator requeues them", ninterrupted);
	if (db_begin(ws->db) == -1)
		return -1;
	TAILQ_FOREACH(w, &ws->all, entry)
		if (strcmp(w->last_status, "interrupted") == 0 &&
		    store_finish(ws, w) == -1)
			return -1;
	return db_commit(ws->db);
}

/*
 * Kill what the runs of the previous worker process left (its commands
 * table) and forget them.
 */
static int
ws_kill_leftovers(struct wstate *ws)
{
	sqlite3_stmt	*st;
	char		**runs = NULL;
	pid_t		*pgids = NULL;
	size_t		 n = 0, i;
	int		 rc;

	if ((st = db_prepare(ws->db, "SELECT run, pgid FROM commands")) ==
	    NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		runs = xreallocarray(runs, n + 1, sizeof(*runs));
		pgids = xreallocarray(pgids, n + 1, sizeof(*pgids));
		runs[n] = xstrdup((const char *)sqlite3_column_text(st, 0));
		pgids[n++] = (pid_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (n > 0) {
		ws->leftovers = cmd_kill_leftovers((const char *const *)runs,
		    pgids, n);
		log_info("%zu commands were running when the worker process "
		    "stopped; %d of their processes were left, now killed", n,
		    ws->leftovers);
	}
	for (i = 0; i < n; i++)
		free(runs[i]);
	free(runs);
	free(pgids);
	if (rc != SQLITE_DONE)
		return -1;
	if (n == 0)
		return 0;
	if (db_begin(ws->db) == -1 ||
	    db_exec(ws->db, "DELETE FROM commands") == -1)
		return -1;
	return db_commit(ws->db);
}

/* Open worker.db (refusing a bad one) and load every worker. */
struct wstate *
ws_open(const char *path, int synchronous, struct event_base *base)
{
	struct wstate	*ws = xcalloc(1, sizeof(*ws));
	int		 i;

	ws->base = base;
	ws->map = strmap_new();
	TAILQ_INIT(&ws->all);
	outbox_init(&ws->ob);
	if ((ws->db = db_open(path, synchronous, worker_migrations,
	    worker_nmigrations)) == NULL)
		goto fail;
	for (i = 0; i < WST_COUNT; i++)
		if ((ws->st[i] = db_prepare(ws->db, stmt_sql[i])) == NULL)
			goto fail;
	if (ws_load(ws) == -1 || ws_kill_leftovers(ws) == -1)
		goto fail;
	ws->runner = cmd_runner_new(base, command_gone, ws);
	return ws;
fail:
	log_warnx("%s: cannot use the worker database", path);
	ws_close(ws);
	return NULL;
}

/* Free every worker, commit and close the database. */
void
ws_close(struct wstate *ws)
{
	struct wactor	*w;
	int		 i;

	if (ws == NULL)
		return;
	/* Their hooks hold the workers: the runs go first. */
	cmd_runner_free(ws->runner);
	ws->runner = NULL;
	while ((w = TAILQ_FIRST(&ws->all)) != NULL)
		wactor_free(ws, w);
	for (i = 0; i < WST_COUNT; i++)
		sqlite3_finalize(ws->st[i]);
	if (ws->db != NULL)
		db_commit(ws->db);
	db_close(ws->db);
	strmap_free(ws->map);
	outbox_free(&ws->ob);
	free(ws);
}

/* Pack the worker process's `inspect` summary. */
void
ws_pack_inspect(struct wstate *ws, msgpack_packer *pk)
{
	const struct task_kind	*k;
	size_t			 n, i;

	k = task_kinds(&n);
	msgpack_pack_map(pk, 7);
	mp_pack_kv_uint(pk, "workers", ws->n);
	mp_pack_kv_uint(pk, "busy", ws->nbusy);
	mp_pack_kv_uint(pk, "commands", ws->runner != NULL ?
	    cmd_runner_count(ws->runner) : 0);
	mp_pack_kv_uint(pk, "processed", ws->nprocessed);
	mp_pack_kv_int(pk, "dbBytes", db_size(ws->db));
	mp_pack_kv_int(pk, "schemaVersion", db_version(ws->db));
	mp_pack_str(pk, "kinds");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		mp_pack_str(pk, k[i].name);
}

/* The worker process's families: its worker actors, busy, tasks run. */
void
ws_metrics(struct wstate *ws, struct metrics *m)
{
	metrics_gauge(m, "actord_worker_actors", "Worker actors the worker "
	    "process hosts.", "", (double)ws->n);
	metrics_gauge(m, "actord_worker_actors_busy", "Worker actors running "
	    "a task.", "", (double)ws->nbusy);
	metrics_counter(m, "actord_worker_tasks_processed_total", "Tasks "
	    "the worker actors finished since the process started.", "",
	    (double)ws->nprocessed);
	metrics_gauge(m, "actord_worker_commands", "Command runs whose "
	    "processes the worker watches (cancelled ones until reaped).", "",
	    (double)(ws->runner != NULL ? cmd_runner_count(ws->runner) : 0));
}
