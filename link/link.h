/*
 * link: the cluster's carrier (docs/cluster.md).  A child of actord only
 * when [cluster] is configured, and the only program that links libnats.
 *
 * Local processes connect to $RUN/link.sock for whatever lives on another
 * host (actor.c's route(): an address naming another host, or a singleton
 * this host does not run).  The link stamps this host on `from` (but for
 * the singletons, unique in the cluster), and batches a loop turn's
 * frames per NATS subject into one NATS message:
 *
 *	<cluster>.host.<host>	 frames for actors of that host
 *	<cluster>.one.<kind>	 frames for a singleton (coordinator, eventlog),
 *				 subscribed by the host with the coordinator role
 *	<cluster>.presence	 each link's announcement, every announce_ms
 *
 * Frames from NATS lose this host's name on `to` and go to the local
 * process as from any other peer.  The presence table tells the local
 * coordinator (HostState) when a host comes up, goes silent (down) and
 * stays silent (dead).
 */
#ifndef LINK_H
#define LINK_H

#include <stddef.h>

struct config;
struct event_base;

#define LINK_SUBJECT_MAX	128

/* What the NATS side tells the loop (link_nats.c, on the loop's thread). */
enum { LN_UP, LN_DOWN, LN_CLOSED };
struct link_nats_cb {
	void	(*message)(const char *subject, const void *data, size_t len);
	void	(*state)(int state);	/* LN_UP, LN_DOWN */
};

int	link_nats_open(const struct config *cfg, struct event_base *base,
	    const struct link_nats_cb *cb);
int	link_nats_subscribe(const char *subject);
int	link_nats_publish(const char *subject, const void *data, size_t len);
void	link_nats_close(void);
/* The server's max_payload (0 before a connection), the last error. */
size_t	link_nats_max_payload(void);
const char *link_nats_error(void);
/* Whether the connection is up now (the callbacks tell it later). */
int	link_nats_connected(void);
/* The URL of the server connected to, or "". */
const char *link_nats_server(char *buf, size_t size);

/*
 * link_state.c: the sessions the link knows of, in $RUN/link.db, for a
 * restarted link (visitors: other hosts' sessions that reached an actor
 * here; sessions: this host's).  open: 0, or -1 logged (the link goes on
 * without it).  The changes go into the loop turn's transaction.
 */
int	link_state_open(const char *run_dir, const char *incarnation);
void	link_state_load(void (*visitor)(const char *address,
	    const char *host, unsigned kinds),
	    void (*session)(const char *address));
void	link_state_visitor(const char *address, const char *host,
	    unsigned kinds);
void	link_state_visitor_gone(const char *address);
void	link_state_session(const char *address);
void	link_state_session_gone(const char *address);

#endif
