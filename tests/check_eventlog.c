/*
 * The event log against real SQLite files: sequence numbers, paging,
 * retention (also across a restart and a reload), subscriptions with and
 * without a backlog, numbered sources (duplicates, gaps, acks, cursors),
 * migrations and refusing a corrupt database.  The sink records what
 * would leave the process.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../eventlog/eventlog.h"
#include "actor.h"
#include "check_main.h"
#include "db.h"
#include "log.h"

#define MAX_SENT	64

struct sent {
	char		 to[ADDR_MAX + 1];
	enum msg_type	 type;
	char		 reply_to[ID_MAX + 1];
	msgpack_sbuffer	 payload;
};

static char		 tmpdir[PATH_MAX];
static char		 dbpath[PATH_MAX + 32];
static struct evstore	*store;
static struct elog	*elog;
static struct sent	 sent[MAX_SENT];
static int		 nsent;
static msgpack_unpacked	 view;
static msgpack_sbuffer	 pbuf;
static msgpack_unpacked	 pview;
static struct outbox	 ob;		/* what the log queues */

static void
record(const char *to, enum msg_type type, const char *reply_to,
    const void *payload, size_t len, void *arg)
{
	struct sent	*s;

	(void)arg;
	ck_assert_int_lt(nsent, MAX_SENT);
	s = &sent[nsent++];
	snprintf(s->to, sizeof(s->to), "%s", to);
	s->type = type;
	snprintf(s->reply_to, sizeof(s->reply_to), "%s",
	    reply_to != NULL ? reply_to : "");
	msgpack_sbuffer_write(&s->payload, payload, len);
}

/* Record what the log queued, as the runtime would send it. */
static void
drain(const struct envelope *req)
{
	struct outmsg	*m;
	size_t		 i;

	for (i = 0; i < ob.n; i++) {
		m = &ob.v[i];
		record(m->to, m->type, m->reply && req != NULL ? req->id : NULL,
		    outbox_payload(&ob, i), m->len, NULL);
	}
	outbox_clear(&ob);
}

static void
clear_sent(void)
{
	int	 i;

	for (i = 0; i < MAX_SENT; i++)
		sent[i].payload.size = 0;
	nsent = 0;
}

static void
setup(void)
{
	int	 i;

	log_init("check_eventlog", LOG_WARNING);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_eventlog.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/eventlog.db", tmpdir);
	for (i = 0; i < MAX_SENT; i++)
		msgpack_sbuffer_init(&sent[i].payload);
	nsent = 0;
	msgpack_unpacked_init(&view);
	msgpack_unpacked_init(&pview);
	msgpack_sbuffer_init(&pbuf);
	store = NULL;
	elog = NULL;
	outbox_init(&ob);
}

static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];
	int	 i;

	elog_free(elog);
	evstore_close(store);
	outbox_free(&ob);
	for (i = 0; i < MAX_SENT; i++)
		msgpack_sbuffer_destroy(&sent[i].payload);
	msgpack_unpacked_destroy(&view);
	msgpack_unpacked_destroy(&pview);
	msgpack_sbuffer_destroy(&pbuf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static void
open_log(uint64_t retention)
{
	elog_free(elog);
	evstore_close(store);
	store = evstore_open(dbpath, 1, retention);
	ck_assert_ptr_nonnull(store);
	elog = elog_new(store);
	clear_sent();
}

/* A payload {key: n, ...} of up to two integer fields (NULL ends). */
static const msgpack_object *
uint_payload(const char *k1, uint64_t v1, const char *k2, uint64_t v2)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, (k1 != NULL) + (k2 != NULL));
	if (k1 != NULL)
		mp_pack_kv_uint(&pk, k1, v1);
	if (k2 != NULL)
		mp_pack_kv_uint(&pk, k2, v2);
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	return &pview.data;
}

static int
handle(enum msg_type type, const char *from, const msgpack_object *p)
{
	struct envelope	 env;
	int		 rc;

	memset(&env, 0, sizeof(env));
	env.type = type;
	snprintf(env.to, sizeof(env.to), "%s", EVENTLOG_ADDRESS);
	snprintf(env.from, sizeof(env.from), "%s", from);
	snprintf(env.id, sizeof(env.id), "req-%d", nsent);
	env.payload = p;
	rc = elog_handle(elog, &env, &ob);
	drain(&env);
	ck_assert_int_eq(db_commit(evstore_db(store)), 0);
	return rc;
}

/* LogEvent {level, source, message: "m<n>", data: {n}}. */
static void
log_one(int n)
{
	msgpack_packer	 pk;
	char		 msg[32];

	snprintf(msg, sizeof(msg), "m%d", n);
	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	mp_pack_kv_str(&pk, "level", "info");
	mp_pack_kv_str(&pk, "source", "coordinator:main");
	mp_pack_kv_str(&pk, "message", msg);
	mp_pack_str(&pk, "data");
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_int(&pk, "n", n);
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(handle(MSG_LOG_EVENT, "coordinator:main",
	    &pview.data), 0);
}

static const msgpack_object *
sent_payload(int i)
{
	ck_assert_int_lt(i, nsent);
	msgpack_unpacked_destroy(&view);
	msgpack_unpacked_init(&view);
	ck_assert_int_eq(msgpack_unpack_next(&view, sent[i].payload.data,
	    sent[i].payload.size, NULL), MSGPACK_UNPACK_SUCCESS);
	return &view.data;
}

static uint64_t
get_uint(const msgpack_object *o, const char *key)
{
	uint64_t	 u = 0;

	ck_assert_int_eq(mp_uint(mp_get(o, key), &u), 0);
	return u;
}

/* GetEvents; check the seqs returned are first..last (none if 0). */
static void
expect_events(const msgpack_object *req, uint64_t first, uint64_t last,
    uint64_t last_seq)
{
	const msgpack_object	*p, *evs;
	uint64_t		 i, n = last >= first && first > 0 ?
				    last - first + 1 : 0;

	clear_sent();
	ck_assert_int_eq(handle(MSG_GET_EVENTS, "session:s", req), 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(sent[0].type, MSG_EVENTS);
	ck_assert_str_eq(sent[0].to, "session:s");
	ck_assert_str_ne(sent[0].reply_to, "");
	p = sent_payload(0);
	ck_assert_uint_eq(get_uint(p, "lastSeq"), last_seq);
	evs = mp_get(p, "events");
	ck_assert_int_eq(evs->type, MSGPACK_OBJECT_ARRAY);
	ck_assert_uint_eq(evs->via.array.size, n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(get_uint(&evs->via.array.ptr[i], "seq"),
		    first + i);
}

START_TEST(test_append_and_page)
{
	const msgpack_object	*p, *ev;
	int			 i;

	open_log(100);
	for (i = 1; i <= 10; i++)
		log_one(i);
	ck_assert_int_eq(nsent, 0);	/* a cast: no reply */
	ck_assert_uint_eq(evstore_last_seq(store), 10);
	expect_events(uint_payload("since", 3, "limit", 4), 4, 7, 10);
	expect_events(uint_payload("limit", 3, NULL, 0), 8, 10, 10);
	expect_events(uint_payload(NULL, 0, NULL, 0), 1, 10, 10);
	expect_events(uint_payload("since", 10, NULL, 0), 0, 0, 10);
	expect_events(uint_payload("limit", 0, NULL, 0), 0, 0, 10);
	expect_events(uint_payload("since", 0, "limit", 100000), 1, 10, 10);
	/* Every field of an event. */
	expect_events(uint_payload("since", 4, "limit", 1), 5, 5, 10);
	p = sent_payload(0);
	ev = &mp_get(p, "events")->via.array.ptr[0];
	ck_assert(mp_streq(mp_get(ev, "level"), "info"));
	ck_assert(mp_streq(mp_get(ev, "source"), "coordinator:main"));
	ck_assert(mp_streq(mp_get(ev, "message"), "m5"));
	ck_assert_uint_gt(get_uint(ev, "timestamp"), 1600000000000ULL);
	ck_assert_uint_eq(get_uint(mp_get(ev, "data"), "n"), 5);
}
END_TEST

START_TEST(test_retention)
{
	int	 i;

	open_log(5);
	for (i = 1; i <= 12; i++)
		log_one(i);
	ck_assert_uint_eq(evstore_count(store), 5);
	expect_events(uint_payload("since", 0, NULL, 0), 8, 12, 12);
	/* After a restart: the same events, and seq goes on. */
	open_log(5);
	ck_assert_uint_eq(evstore_count(store), 5);
	ck_assert_uint_eq(evstore_last_seq(store), 12);
	log_one(13);
	expect_events(uint_payload("since", 0, NULL, 0), 9, 13, 13);
	/* A smaller retention, at reload or at start. */
	evstore_set_retention(store, 2);
	ck_assert_int_eq(db_commit(evstore_db(store)), 0);
	expect_events(uint_payload("since", 0, NULL, 0), 12, 13, 13);
	open_log(1);
	expect_events(uint_payload("since", 0, NULL, 0), 13, 13, 13);
}
END_TEST

START_TEST(test_subscribe_push)
{
	const msgpack_object	*p;

	open_log(100);
	log_one(1);
	ck_assert_int_eq(handle(MSG_SUBSCRIBE, "session:a",
	    uint_payload(NULL, 0, NULL, 0)), 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(sent[0].type, MSG_SUBSCRIBED);
	ck_assert_uint_eq(get_uint(sent_payload(0), "lastSeq"), 1);
	ck_assert_int_eq(handle(MSG_SUBSCRIBE, "session:b",
	    uint_payload(NULL, 0, NULL, 0)), 0);
	clear_sent();
	log_one(2);
	ck_assert_int_eq(nsent, 2);
	ck_assert_int_eq(sent[0].type, MSG_LOG_EVENT);
	ck_assert_str_eq(sent[0].to, "session:a");
	ck_assert_str_eq(sent[0].reply_to, "");
	ck_assert_str_eq(sent[1].to, "session:b");
	p = sent_payload(0);
	ck_assert_uint_eq(get_uint(p, "seq"), 2);
	ck_assert(mp_streq(mp_get(p, "message"), "m2"));
	/* Unsubscribe, and a connection that went away. */
	clear_sent();
	handle(MSG_UNSUBSCRIBE, "session:a", uint_payload(NULL, 0, NULL, 0));
	ck_assert_int_eq(sent[0].type, MSG_UNSUBSCRIBED);
	elog_peer_down(elog, "session:b");
	ck_assert_uint_eq(elog_subscribers(elog), 0);
	clear_sent();
	log_one(3);
	ck_assert_int_eq(nsent, 0);
}
END_TEST

START_TEST(test_subscribe_backlog)
{
	int	 i;

	open_log(100);
	for (i = 1; i <= 5; i++)
		log_one(i);
	clear_sent();
	ck_assert_int_eq(handle(MSG_SUBSCRIBE, "session:a",
	    uint_payload("since", 2, NULL, 0)), 0);
	ck_assert_int_eq(nsent, 4);
	ck_assert_int_eq(sent[0].type, MSG_SUBSCRIBED);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(sent[i].type, MSG_LOG_EVENT);
		ck_assert_uint_eq(get_uint(sent_payload(i), "seq"),
		    (uint64_t)i + 2);
	}
	/* Subscribing again does not double the pushes. */
	handle(MSG_SUBSCRIBE, "session:a", uint_payload(NULL, 0, NULL, 0));
	clear_sent();
	log_one(6);
	ck_assert_int_eq(nsent, 1);
}
END_TEST

START_TEST(test_errors)
{
	const msgpack_object	*p;

	open_log(100);
	/* LogEvent without level (the runtime checks it first, but ...). */
	handle(MSG_LOG_EVENT, "session:a", uint_payload("seq", 1, NULL, 0));
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(sent[0].type, MSG_ERROR);
	p = sent_payload(0);
	ck_assert(mp_streq(mp_get(p, "code"), "bad_payload"));
	ck_assert_uint_eq(evstore_last_seq(store), 0);
	clear_sent();
	handle(MSG_ASSIGN_TASK, "session:a", uint_payload(NULL, 0, NULL, 0));
	ck_assert_int_eq(sent[0].type, MSG_ERROR);
	ck_assert(mp_streq(mp_get(sent_payload(0), "code"), "unknown_type"));
	/* A reply or push addressed to us is not answered. */
	clear_sent();
	handle(MSG_PONG, "session:a", uint_payload(NULL, 0, NULL, 0));
	ck_assert_int_eq(nsent, 0);
}
END_TEST

START_TEST(test_migrate_v1)
{
	sqlite3	*h;

	ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE meta (key TEXT "
	    "PRIMARY KEY, value); PRAGMA user_version = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	open_log(10);
	ck_assert_int_eq(db_version(evstore_db(store)), eventlog_nmigrations);
	log_one(1);
	expect_events(uint_payload(NULL, 0, NULL, 0), 1, 1, 1);
}
END_TEST

START_TEST(test_corrupt_refused)
{
	struct stat	 sb;
	char		 junk[4096];
	int		 fd;

	memset(junk, 'z', sizeof(junk));
	fd = open(dbpath, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_ptr_null(evstore_open(dbpath, 1, 10));
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_size, (off_t)sizeof(junk));
}
END_TEST

/* LogEvent from `from` as source, numbered seq (first: sourceFirst). */
static void
log_numbered(const char *from, const char *source, uint64_t seq, int first)
{
	msgpack_packer	 pk;
	char		 msg[32];

	snprintf(msg, sizeof(msg), "n%llu", (unsigned long long)seq);
	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, first ? 5 : 4);
	mp_pack_kv_str(&pk, "level", "info");
	mp_pack_kv_str(&pk, "source", source);
	mp_pack_kv_str(&pk, "message", msg);
	mp_pack_kv_uint(&pk, "sourceSeq", seq);
	if (first) {
		mp_pack_str(&pk, "sourceFirst");
		msgpack_pack_true(&pk);
	}
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(handle(MSG_LOG_EVENT, from, &pview.data), 0);
}

/* The acks due now: exactly one, to the coordinator, with this cursor. */
static void
expect_ack(uint64_t seq, int gap)
{
	const msgpack_object	*p, *g;

	clear_sent();
	ck_assert(elog_acks_due(elog));
	elog_send_acks(elog, &ob);
	drain(NULL);
	ck_assert(!elog_acks_due(elog));
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(sent[0].type, MSG_LOG_EVENT_ACK);
	ck_assert_str_eq(sent[0].to, "coordinator:main");
	ck_assert_str_eq(sent[0].reply_to, "");
	p = sent_payload(0);
	ck_assert(mp_streq(mp_get(p, "source"), "coordinator:main"));
	ck_assert_uint_eq(get_uint(p, "sourceSeq"), seq);
	g = mp_get(p, "gap");
	ck_assert_int_eq(g != NULL && g->type == MSGPACK_OBJECT_BOOLEAN &&
	    g->via.boolean, gap);
	clear_sent();
}

#define COORD	"coordinator:main"

/* In order: taken, one ack per turn with the cursor. */
START_TEST(test_numbered_in_order)
{
	open_log(100);
	log_numbered(COORD, COORD, 1, 1);
	log_numbered(COORD, COORD, 2, 0);
	log_numbered(COORD, COORD, 3, 0);
	ck_assert_int_eq(nsent, 0);		/* acks wait for the turn */
	ck_assert_uint_eq(evstore_last_seq(store), 3);
	expect_ack(3, 0);
	ck_assert(!elog_acks_due(elog));
	expect_events(uint_payload(NULL, 0, NULL, 0), 1, 3, 3);
}
END_TEST

/* A number at or below the cursor is a resend: dropped, acked. */
START_TEST(test_numbered_duplicate_ignored)
{
	open_log(100);
	log_numbered(COORD, COORD, 1, 1);
	log_numbered(COORD, COORD, 2, 0);
	expect_ack(2, 0);
	log_numbered(COORD, COORD, 1, 1);
	log_numbered(COORD, COORD, 2, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 2);	/* recorded once */
	expect_ack(2, 0);
	log_numbered(COORD, COORD, 3, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 3);
	expect_ack(3, 0);
}
END_TEST

/* One past a gap is refused, so that the sender sends in order. */
START_TEST(test_numbered_gap_refused)
{
	open_log(100);
	log_numbered(COORD, COORD, 1, 1);
	log_numbered(COORD, COORD, 3, 0);
	log_numbered(COORD, COORD, 4, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 1);
	expect_ack(1, 1);
	log_numbered(COORD, COORD, 2, 0);
	log_numbered(COORD, COORD, 3, 0);
	log_numbered(COORD, COORD, 4, 0);
	expect_ack(4, 0);
	expect_events(uint_payload(NULL, 0, NULL, 0), 1, 4, 4);
	/* sourceFirst: the sender keeps nothing older; taken past a gap. */
	log_numbered(COORD, COORD, 10, 1);
	expect_ack(10, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 5);
}
END_TEST

/* The cursor is written with its event: a restart keeps it. */
START_TEST(test_numbered_cursor_restart)
{
	open_log(2);
	log_numbered(COORD, COORD, 1, 1);
	log_numbered(COORD, COORD, 2, 0);
	log_numbered(COORD, COORD, 3, 0);
	open_log(2);		/* retention pruned event 1: not its number */
	log_numbered(COORD, COORD, 1, 1);
	log_numbered(COORD, COORD, 3, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 3);
	expect_ack(3, 0);
	log_numbered(COORD, COORD, 4, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 4);
}
END_TEST

/* Numbers from a client (through its session) are not a cursor's. */
START_TEST(test_numbered_only_from_source)
{
	open_log(100);
	log_numbered(COORD, COORD, 5, 1);
	expect_ack(5, 0);
	log_numbered("session:s1", COORD, 100, 0);
	log_numbered("session:s1", "session:s1", 100, 0);
	log_numbered("worker:w1", "worker:w1", 7, 0);
	ck_assert(!elog_acks_due(elog));
	ck_assert_uint_eq(evstore_last_seq(store), 4);	/* stored as before */
	log_numbered(COORD, COORD, 6, 0);
	expect_ack(6, 0);
	ck_assert_uint_eq(evstore_last_seq(store), 5);
}
END_TEST

/* A database of the previous schema (2) opens and keeps its events. */
START_TEST(test_migrate_v2)
{
	struct db	*old;

	old = db_open(dbpath, 1, eventlog_migrations, 2);
	ck_assert_ptr_nonnull(old);
	ck_assert_int_eq(db_exec(old, "INSERT INTO events (seq, ts, level, "
	    "source, message) VALUES (7, 1, 'info', 'x:y', 'old')"), 0);
	db_close(old);
	open_log(10);
	ck_assert_int_eq(db_version(evstore_db(store)), 3);
	ck_assert_uint_eq(evstore_last_seq(store), 7);
	log_numbered(COORD, COORD, 1, 1);
	expect_ack(1, 0);
	expect_events(uint_payload(NULL, 0, NULL, 0), 7, 8, 8);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("eventlog");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_append_and_page);
	tcase_add_test(tc, test_subscribe_push);
	tcase_add_test(tc, test_subscribe_backlog);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("database");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_migrate_v2);
	tcase_add_test(tc, test_corrupt_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbered");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_numbered_in_order);
	tcase_add_test(tc, test_numbered_duplicate_ignored);
	tcase_add_test(tc, test_numbered_gap_refused);
	tcase_add_test(tc, test_numbered_cursor_restart);
	tcase_add_test(tc, test_numbered_only_from_source);
	suite_add_tcase(s, tc);
	return s;
}
