/*
 * Logging: see log.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char	 log_name[32] = "actord";
static int	 log_level = LOG_INFO;
static int	 log_journal = -1;	/* -1: not yet looked at */

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* Set the name shown on every line and the most verbose level logged. */
void
log_init(const char *name, int level)
{
	log_setname(name);
	log_setlevel(level);
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_setname(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name);
}

void
log_setlevel(int level)
{
	if (level >= LOG_EMERG && level <= LOG_DEBUG)
		log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

/* Map "debug", "info", "notice", "warning", "error" to a level, or -1. */
int
log_level_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] != NULL && strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < LOG_EMERG || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

/* Write one line; the whole line goes out in a single write(2). */
void
log_vlog(int pri, const char *fmt, va_list ap)
{
	char		 line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n, saved = errno;
	size_t		 len;

	if (pri > log_level)
		return;
	if (log_journal == -1)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s[%ld]: ", pri,
		    log_name, (long)getpid());
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld]: %s: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_name,
		    (long)getpid(), log_level_name(pri));
	}
	if (n < 0)
		n = 0;
	len = (size_t)n;
	if (len < sizeof(line)) {
		n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
		if (n > 0)
			len += (size_t)n;
	}
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
	errno = saved;
}

/* Log at pri with a literal format; keeps -Wformat-nonliteral quiet. */
static void
log_str(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(pri, fmt, ap);
	va_end(ap);
}

/* Log with ": strerror(errno)" appended. */
static void
log_verr(int pri, const char *fmt, va_list ap)
{
	char	 buf[1536];
	int	 saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_str(pri, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_verr(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* A broken invariant or an unrecoverable system error: log and exit 1. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_verr(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * Copy at most LOG_ESCAPE_MAX bytes of src into buf with non-printable bytes,
 * quotes and backslashes escaped, so that a peer cannot forge log lines.
 */
const char *
log_escape(const void *src, size_t len, char *buf, size_t size)
{
	const unsigned char	*p = src;
	size_t			 i, o = 0;

	if (size == 0)
		return buf;
	for (i = 0; i < len && i < LOG_ESCAPE_MAX; i++) {
		if (o + 5 >= size)
			break;
		if (p[i] == '\\' || p[i] == '"') {
			buf[o++] = '\\';
			buf[o++] = (char)p[i];
		} else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
			    p[i]);
		else
			buf[o++] = (char)p[i];
	}
	if (i < len && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
