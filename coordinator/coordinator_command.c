/*
 * Commands applied once: the dedupe window of coordinator.db remembers
 * the reply to each (sender, message id) for dedupe_window_s, so that a
 * client that sends a command again (it lost the reply, or its session
 * did) gets the same reply and no second effect.
 *
 * A session whose client named itself (?client=) sends its requests with
 * ids "c/<client>/...": those are one client's whatever session they come
 * through, so the window keys them by the id alone (sender "*", no
 * address), and a client that lost its connection gets its reply on the
 * next one.
 */
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"

#define PRUNE_EVERY	64	/* commands between two dedupe prunes */
#define PRUNE_MAX	256	/* expired dedupe rows deleted per prune */

/*
 * Delete expired dedupe rows, oldest first: at most PRUNE_MAX every
 * PRUNE_EVERY commands, more than the one row each command adds, so the
 * table stays at what the window holds and no message pays for a backlog.
 * The oldest row is looked at first, so that the usual case, nothing
 * expired yet, costs one probe per PRUNE_EVERY commands.  After the clock
 * went back a newer row may expire before the oldest, and waits for it:
 * the lookup ignores it meanwhile.
 */
static int
dedupe_prune(struct coord *c, int64_t since)
{
	sqlite3_stmt	*st;
	int		 rc, expired;

	if (++c->prune_pace < PRUNE_EVERY)
		return 0;
	c->prune_pace = 0;
	st = cdb_stmt(c, ST_DEDUPE_OLDEST);
	rc = sqlite3_step(st);
	expired = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) < since;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("coordinator.db: oldest dedupe row: %s",
		    sqlite3_errmsg(db_handle(c->db)));
		return -1;
	}
	if (!expired)
		return 0;
	st = cdb_stmt(c, ST_DEDUPE_PRUNE);
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, PRUNE_MAX);
	return cdb_run(c, st);
}

/*
 * A replayed AssignTask {watch: true}: its sender watches the task the
 * stored TaskAccepted names, as the first one did (a client that sent it
 * again from a new connection, under its client id, is owed the
 * TaskFinished on this one).  0, or -1 when a write failed.
 */
static int
rewatch(struct coord *c, const struct envelope *env, const void *reply,
    size_t len, struct outbox *ob)
{
	msgpack_unpacked	 u;
	struct trow		 t;
	char			 id[NAME_MAX_LEN + 1];
	int			 r = 0;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, reply, len, NULL) ==
	    MSGPACK_UNPACK_SUCCESS && mp_strcpy(mp_get(&u.data, "taskId"), id,
	    sizeof(id)) == 0 && (r = task_get(c, id, &t)) == 0 &&
	    (r = db_begin(c->db)) == 0) {
		if ((r = watch_start(c, env, id, &t, ob)) == 1)
			r = 0;		/* refused: the Error is queued */
		else if (r == 0 && TASK_FINISHED(t.status))
			r = finished_now(c, env, id, ob);
	}
	msgpack_unpacked_destroy(&u);
	return r == -1 ? -1 : 0;
}

/*
 * A command (H_COMMAND in the handler table): applied once per (sender,
 * message id) within the dedupe window, inside the turn's transaction.  A
 * retry gets the reply the first one got, byte for byte, and changes
 * nothing (but for the watch an AssignTask asked for: rewatch()).
 */
int
coord_command(struct actor *self, const struct envelope *env,
    struct outbox *ob, const struct handler *h)
{
	struct coord	*c = self->data;
	sqlite3_stmt	*st;
	struct outmsg	*m;
	enum msg_type	 type;
	const char	*name;
	size_t		 first = ob->n, i;
	int64_t		 now = coord_now(c);
	int64_t		 since = now - (int64_t)c->conf.dedupe_window_s * 1000;
	const char	*sender = strncmp(env->id, CLIENT_ID_PREFIX,
			    strlen(CLIENT_ID_PREFIX)) == 0 ? "*" : env->from;
	int		 rc;

	if (c->conf.dedupe_window_s > 0 && env->id[0] != '\0') {
		st = cdb_stmt(c, ST_DEDUPE_GET);
		cdb_bind_text(st, 1, sender);
		cdb_bind_text(st, 2, env->id);
		sqlite3_bind_int64(st, 3, since);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			name = (const char *)sqlite3_column_text(st, 0);
			type = msg_lookup(name, strlen(name));
			if (type != MSG_UNKNOWN) {
				outbox_add_raw(ob, NULL, env->from, type, 1,
				    sqlite3_column_blob(st, 1),
				    (size_t)sqlite3_column_bytes(st, 1));
				sqlite3_reset(st);
				cmet_dedupe_hit(c);
				log_debug("%s from %s: id %s seen; same reply",
				    msg_name(env->type), env->from, env->id);
				if (type == MSG_TASK_ACCEPTED &&
				    env->type == MSG_ASSIGN_TASK &&
				    env->body->assign_task.watch)
					return rewatch(c, env,
					    outbox_payload(ob, ob->n - 1),
					    ob->v[ob->n - 1].len, ob);
				return 0;
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
	}
	if (db_begin(c->db) == -1)
		return -1;
	if (h->fn(self, env, ob) == -1)
		return -1;
	if (c->conf.dedupe_window_s <= 0 || env->id[0] == '\0')
		return 0;
	for (i = first; i < ob->n; i++) {
		m = &ob->v[i];
		if (!m->reply)
			continue;
		st = cdb_stmt(c, ST_DEDUPE_PUT);
		cdb_bind_text(st, 1, sender);
		cdb_bind_text(st, 2, env->id);
		sqlite3_bind_int64(st, 3, now);
		cdb_bind_text(st, 4, msg_name(m->type));
		sqlite3_bind_blob(st, 5, outbox_payload(ob, i), (int)m->len,
		    SQLITE_STATIC);
		if (cdb_run(c, st) == -1)
			return -1;
		break;
	}
	return dedupe_prune(c, since);
}
