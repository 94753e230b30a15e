/*
 * What the benchmarks share: the clock, sorting, the machine's load and
 * disk for the record, actord's control socket, removing a tree's
 * directory, and framing a message for a peer.  Linked into every
 * bench/ program but ws_load.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <sys/types.h>

#include <stdint.h>

#include <msgpack.h>

#include "msg.h"
#include "peer.h"

/* The monotonic clock in ns. */
uint64_t	 now_ns(void);
/* qsort(3) order of doubles. */
int		 cmp_double(const void *a, const void *b);
/* Print the load averages, for the record: the machine is shared. */
void		 print_load(const char *when);
/* The p50 of 100 fdatasync(2) of a 4 KiB write in /tmp, in ms. */
double		 fsync_ms(void);
/*
 * The connection to dir's run/actord.sock, retried while actord (pid)
 * starts, for 10 s; fatal if it exits or the socket never comes.
 */
int		 ctl_connect(const char *dir, pid_t actord);
/*
 * One request on that socket, as ctl:bench-<our pid>: CtlWait for name in
 * state (a pid other than not_pid when it is not 0) for up to wait_ms, or
 * CtlShutdown when name is NULL.  The pid in the reply (0 if none), or -1
 * when the request failed or the reply is not ok.
 */
long		 ctl_call(int fd, const char *name, const char *state,
		    long not_pid, int wait_ms);
/* Remove the directory dir and everything below it. */
void		 rm_tree(const char *dir);
/*
 * Begin a message from `from` to `to` in the one frame buffer; pack its
 * payload on the packer returned, then msg_end() writes it to p.
 */
msgpack_packer	*msg_begin(const char *to, const char *from, enum msg_type type);
void		 msg_end(struct peer *p);

#endif
