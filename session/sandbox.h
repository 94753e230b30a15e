/*
 * The session's sandbox: what a session process gives up before it reads
 * a byte from its client.  See sandbox.c and docs/security.md.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/*
 * Confine the calling process for good: no new privileges, not dumpable,
 * no file opened by path (Landlock, when the kernel has it), no exec, no
 * new process, no ptrace, no signal beyond its own, no new socket and no
 * connect(2) (seccomp).
 * Call once, single-threaded, after every file the process needs is open.
 * Returns 0, or -1 after logging why (the caller must not serve then).
 */
int	sandbox_apply(void);
/*
 * Compile the seccomp filter now, in a process that will fork the
 * sessions, so that each loads it instead of building its own.  Returns 1,
 * 0 when the filter must be built per session (no Landlock signal scope
 * in this kernel), or -1 after logging.
 */
int	sandbox_prepare(void);

#endif
