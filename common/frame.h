/*
 * The transport frame: a 4-byte big-endian body length, then the body, one
 * msgpack object.  The length is checked against the configured maximum
 * before a single body byte is read, so an oversize or garbage header costs
 * the reader nothing but the connection.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR		4		/* bytes of length prefix */
#define FRAME_MAX_DEFAULT	(1024 * 1024)	/* max body, bytes */

enum frame_status {
	FRAME_NEED_MORE,	/* not a whole frame yet */
	FRAME_OK,		/* *bodylen is set, the body is at buf + 4 */
	FRAME_EMPTY,		/* zero length: never valid */
	FRAME_TOO_LARGE,	/* length over the maximum */
};

enum frame_status frame_parse(const void *buf, size_t len, size_t max,
	    size_t *bodylen);
void	frame_put_len(void *hdr, uint32_t bodylen);
uint32_t frame_get_len(const void *hdr);
const char *frame_status_str(enum frame_status st);

/*
 * Blocking helpers for simple clients (actorctl, tests, benchmarks).
 * frame_connect() gives a stream connection to the Unix socket at path,
 * or -1 with errno set.  frame_read_fd() waits at most timeout_ms (-1: forever) and returns a
 * malloc'd body in *body, or -1 with errno set (ETIMEDOUT, EMSGSIZE,
 * EBADMSG for a zero length, ECONNRESET at end of file).
 */
int	frame_connect(const char *path);
int	frame_write_fd(int fd, const void *body, size_t len);
int	frame_read_fd(int fd, size_t max, int timeout_ms, char **body,
	    size_t *len);

#endif
