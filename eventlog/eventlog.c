/*
 * eventlog: the actor eventlog:main, the activity log of every actor, in
 * its own process with $STATE/eventlog.db.  The program is the standard
 * actor main; the actor is in eventlog_actor.c, its logic in
 * eventlog_log.c and its table in eventlog_store.c.
 */
#include "actor.h"

extern const struct actor_kind eventlog_kind;

int
main(int argc, char *argv[])
{
	return actor_main(argc, argv, &eventlog_kind);
}
