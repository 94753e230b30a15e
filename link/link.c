/*
 * link: the cluster's carrier between hosts, over NATS (link.h).  The
 * program is the standard actor main; the actor is in link_actor.c.
 */
#include "actor.h"

extern const struct actor_kind link_kind;

int
main(int argc, char *argv[])
{
	return actor_main(argc, argv, &link_kind);
}
