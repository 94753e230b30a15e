/*
 * The session zygote's channel: a SOCK_SEQPACKET socketpair between the
 * gateway and `session -z`, one message per datagram, both ways.
 *
 *   gateway -> zygote	fork: one byte, ZYGOTE_FORK, with the new
 *			session's end of its control socketpair
 *			(SCM_RIGHTS)
 *   zygote -> gateway	exit: a session the zygote forked has ended:
 *			ZYGOTE_EXIT, three zero bytes, then its pid and
 *			its wait(2) status, each 4 bytes big-endian
 *
 * Datagrams arrive whole or not at all, so a reader never holds half a
 * message, and the sender's socket buffer bounds how many wait (about 280
 * with the default 208 KiB): a sender that finds it full gets EAGAIN.
 */
#ifndef ZYGOTE_H
#define ZYGOTE_H

#include <sys/types.h>

#include <stddef.h>

#define ZYGOTE_FORK	'F'	/* gateway -> zygote */
#define ZYGOTE_EXIT	'X'	/* zygote -> gateway */
#define ZYGOTE_EXIT_LEN	12	/* bytes of an exit report */

/* Ask for a session with ctlfd as its fd 3; never blocks.  0 or -1. */
int	zygote_send_fork(int zfd, int ctlfd);
/*
 * Take the next fork request, blocking unless the socket is non-blocking:
 * 1 with *ctlfd the descriptor (close-on-exec), 0 at end of file, -1 with
 * errno (EBADMSG: not a fork request; whatever it carried is closed).
 */
int	zygote_recv_fork(int zfd, int *ctlfd);
/* Report an exit; never blocks (EAGAIN: the queue is full).  0 or -1. */
int	zygote_send_exit(int zfd, pid_t pid, int status);
/*
 * Decode one datagram as an exit report: 0, or -1 if it is anything else
 * (length, tag, padding, a pid under 2, a status no exit or signal makes).
 */
int	zygote_decode_exit(const void *buf, size_t len, pid_t *pid,
	    int *status);

#endif
