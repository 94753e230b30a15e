/*
 * Logging in the OpenBSD manner: one line per event on stderr, the process
 * name and pid on every line.  When journald reads stderr (JOURNAL_STREAM is
 * set) each line starts with a <N> syslog priority so that journalctl shows
 * levels; otherwise it starts with a UTC timestamp.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

#define LOG_ESCAPE_MAX	256	/* untrusted bytes shown per log_escape() */
#define LOG_ESCAPE_BUF	(LOG_ESCAPE_MAX * 4 + 8)	/* a buffer that always fits */

void	log_init(const char *name, int level);
void	log_setname(const char *name);
void	log_setlevel(int level);
int	log_getlevel(void);
int	log_level_parse(const char *s);
const char *log_level_name(int level);

void	log_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_vlog(int pri, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* Make untrusted bytes printable (C-style escapes); returns buf. */
const char *log_escape(const void *src, size_t len, char *buf, size_t size);

#endif
