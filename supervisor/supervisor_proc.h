/*
 * Who a process is in the tree, from /proc: for the control socket's peer
 * check (supervisor_control.c) and for the orphans actord ends when it
 * stops (actord.c).
 */
#ifndef SUPERVISOR_PROC_H
#define SUPERVISOR_PROC_H

#include <sys/types.h>

/*
 * Is pid the process ancestor or one of its descendants?  1 yes, 0 no, -1
 * when it cannot tell: pid's own /proc entry is unreadable (gone, or
 * hidden from us), or the chain is longer than max_depth.
 */
int	proc_descends_from(pid_t pid, pid_t ancestor, int max_depth);
/* The children of pid (at most max of them) into pids: how many, or -1. */
int	proc_children(pid_t pid, pid_t *pids, int max);

#endif
