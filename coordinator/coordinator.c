/*
 * coordinator: the actor coordinator:main, the worker registry and the
 * task queue, in its own process with $STATE/coordinator.db.  The program
 * is the standard actor main; the actor is in coordinator_actor.c and its
 * state machine in coordinator_queue.c.
 */
#include "actor.h"

extern const struct actor_kind coordinator_kind;

int
main(int argc, char *argv[])
{
	return actor_main(argc, argv, &coordinator_kind);
}
