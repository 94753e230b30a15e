/*
 * Metrics in the Prometheus text exposition format, version 0.0.4: the
 * one place that writes it, shared by every process.
 *
 * A process answers GetMetrics by filling a struct metrics (families,
 * each a name, a type, a help text and its sample lines) and packing it
 * into the Metrics reply; the gateway merges the replies family by family
 * (metrics_merge) and writes the text once (metrics_text), so a family
 * that several processes report (messages per process) gets one HELP and
 * one TYPE line.  Sample lines are formatted where they are added: the
 * label values are escaped here, never by a caller.
 *
 *	struct metrics	*m = metrics_new();
 *	char		 l[METRICS_LABELS_MAX];
 *
 *	metrics_labels(l, sizeof(l), "queue", "default", NULL);
 *	metrics_gauge(m, "actord_queue_length", "Tasks ready ...", l, 3);
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define METRICS_LABELS_MAX	512	/* one sample's {labels}, escaped */
#define METRICS_FAMILIES_MAX	256	/* families in one set */
#define METRICS_SAMPLE_BYTES	(4 * 1024 * 1024) /* text of one family */

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
	METRIC_UNTYPED,
};

/*
 * A histogram with fixed buckets, the same everywhere: upper bounds in
 * seconds from 1 ms to 5 min (metrics_buckets[]), and +Inf.
 */
#define HIST_BUCKETS	14
struct histogram {
	uint64_t	 bucket[HIST_BUCKETS];	/* not cumulative */
	uint64_t	 count;			/* observations, +Inf */
	double		 sum;			/* seconds */
};
extern const double metrics_buckets[HIST_BUCKETS];

struct metrics;

struct metrics	*metrics_new(void);
void		 metrics_free(struct metrics *m);

/*
 * Format labels as {k1="v1",k2="v2"} into out from NULL-terminated name,
 * value pairs, escaping backslash, double quote and newline in the
 * values; no pairs: "".  -1 (out "") when it does not fit.
 */
int	 metrics_labels(char *out, size_t size, ...)
	    __attribute__((sentinel));

/*
 * Add one sample to the family name (made with type and help the first
 * time; a later help or type is ignored).  labels is metrics_labels()'s
 * output or "".  -1 when a bound is reached (the sample is dropped).
 */
int	 metrics_counter(struct metrics *m, const char *name,
	    const char *help, const char *labels, double v);
int	 metrics_gauge(struct metrics *m, const char *name,
	    const char *help, const char *labels, double v);
/* The _bucket (cumulative, le), _sum and _count lines of h. */
int	 metrics_histogram(struct metrics *m, const char *name,
	    const char *help, const char *labels, const struct histogram *h);

/* Count one observation of v seconds. */
void	 histogram_observe(struct histogram *h, double v);

/* Pack m as the payload of a Metrics message. */
void	 metrics_pack(const struct metrics *m, msgpack_packer *pk);
/* Merge a Metrics payload into m; -1 when it is not one (m unchanged). */
int	 metrics_merge(struct metrics *m, const msgpack_object *payload);

/* The exposition text of m (malloc'd, *len bytes, NUL-terminated). */
char	*metrics_text(const struct metrics *m, size_t *len);

/* A number as the format writes it: integers plainly, +Inf, NaN. */
void	 metrics_format_value(char *out, size_t size, double v);

#endif
