/*
 * A peer: one framed connection to another actord process, on a libevent
 * bufferevent.
 *
 * Three sorts: an accepted or inherited descriptor (peer_new_fd), which
 * ends for good when the far side goes away; an outbound connection to a
 * socket path (peer_new_path), which says Hello first and reconnects with
 * exponential backoff whenever it drops; and a brokered outbound peer
 * (peer_new_brokered), for a process that may not connect(2) (a
 * session): whenever it needs a connection it asks its owner (the
 * `wanted` callback), who has one made elsewhere, Hello already said, and
 * hands the descriptor over with peer_give_fd(); its backoff is the same.
 * A peer made with peer_take_fds() keeps the descriptors that come with
 * its frames (SCM_RIGHTS), in order, for peer_next_fd().
 *
 * Output gate.  peer_write() does not send: it holds the frame until the
 * end of the event-loop turn, when one flush runs the commit hook (the
 * actor's database transaction for the whole turn) and only then hands
 * every held frame to the kernel.  So a reply never leaves before the state
 * change it reports is durable, and the frames of one turn go out in one
 * write per peer.
 *
 * Limits.  A frame longer than max_frame, a zero length or a body that is
 * not one msgpack envelope drops the connection with a log line.  A peer
 * with more than high_water unsent bytes is congested (peer_congested());
 * past max_queue it is dropped.
 */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "envelope.h"

struct peer;

struct peer_limits {
	size_t	 max_frame;		/* body bytes */
	size_t	 high_water;		/* unsent bytes: congested */
	size_t	 max_queue;		/* unsent bytes: dropped */
	int	 retry_initial_ms;	/* reconnect backoff start */
	int	 retry_max_ms;		/* reconnect backoff cap */
};

struct peer_cb {
	/*
	 * One decoded message; it borrows the frame until return.  The
	 * receiver may fill in env->body (the decoded payload).
	 */
	void	(*message)(struct peer *, struct envelope *, void *);
	/* The connection went down (an outbound peer will reconnect). */
	void	(*closed)(struct peer *, void *);
	/* An outbound peer (re)connected and said Hello; may be NULL. */
	void	(*connected)(struct peer *, void *);
	/* Unsent bytes fell under half the high water mark; may be NULL. */
	void	(*drained)(struct peer *, void *);
	/*
	 * A brokered peer needs a connection: have one made and answer with
	 * peer_give_fd() or peer_give_none(), now or later.  Called from the
	 * loop, never from inside another peer call.
	 */
	void	(*wanted)(struct peer *, void *);
};

struct peer_stats {
	uint64_t	 msgs_in;
	uint64_t	 msgs_out;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
};

void	peer_init(struct event_base *base);
void	peer_set_commit_hook(int (*hook)(void *), void *arg);
void	peer_default_limits(struct peer_limits *l);

struct peer *peer_new_fd(int fd, const struct peer_limits *l,
	    const struct peer_cb *cb, void *arg);
struct peer *peer_new_path(const char *path, const char *hello_from,
	    const struct peer_limits *l, const struct peer_cb *cb, void *arg);
/* An outbound peer to name (a kind) whose connections come from outside. */
struct peer *peer_new_brokered(const char *name, const struct peer_limits *l,
	    const struct peer_cb *cb, void *arg);
/*
 * The connection a brokered peer asked for: fd is connected, its Hello
 * said, and now the peer's (it is closed if the peer no longer waits for
 * one: -1).  What was written meanwhile goes first.
 */
int	peer_give_fd(struct peer *p, int fd);
/* None could be made: the brokered peer asks again after its backoff. */
void	peer_give_none(struct peer *p);
/*
 * Connect to the socket at path and say Hello there as from (with the
 * session's client id, or NULL), without blocking: the connection a
 * broker hands over.  Returns the descriptor (non-blocking, close-on-exec),
 * or -1 with errno (EAGAIN: the listener's backlog is full).
 */
int	peer_connect_as(const char *path, const char *from,
	    const char *client);
/* Keep the descriptors that arrive on p (SCM_RIGHTS), at most 8 waiting. */
void	peer_take_fds(struct peer *p);
/* The oldest descriptor that arrived on p and is not taken yet, or -1. */
int	peer_next_fd(struct peer *p);

/* Queue one whole frame (header included); -1 if the peer was dropped. */
int	peer_write(struct peer *p, const void *frame, size_t len);
/* Make sure a flush (and so a commit) runs at the end of this turn. */
void	peer_touch(void);
/* Commit and release every held frame now (normally end of the turn). */
void	peer_flush(void);
/* Close and free from the loop; no callbacks after this. */
void	peer_close(struct peer *p);

void	peer_set_name(struct peer *p, const char *name);
const char *peer_name(const struct peer *p);
bool	peer_is_up(const struct peer *p);
bool	peer_congested(const struct peer *p);
size_t	peer_unsent(const struct peer *p);
size_t	peer_all_unsent(void);
size_t	peer_unread(const struct peer *p);
int	peer_fd(const struct peer *p);
const struct peer_stats *peer_stats(const struct peer *p);
void	*peer_arg(const struct peer *p);
void	peer_set_arg(struct peer *p, void *arg);

#endif
