/*
 * The Prometheus text exposition format (0.0.4): families of sample
 * lines, packed between processes and written once.  See metrics.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "msg.h"
#include "xmalloc.h"

#define NAME_MAX_BYTES	128	/* a family's name */
#define HELP_MAX_BYTES	512	/* its help text */

const double metrics_buckets[HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
	60, 300,
};

static const char *const type_names[] = {
	[METRIC_COUNTER] = "counter",
	[METRIC_GAUGE] = "gauge",
	[METRIC_HISTOGRAM] = "histogram",
	[METRIC_UNTYPED] = "untyped",
};

struct family {
	char			 name[NAME_MAX_BYTES + 1];
	char			 help[HELP_MAX_BYTES + 1];
	enum metric_type	 type;
	char			*text;		/* sample lines */
	size_t			 len, cap;
};

struct metrics {
	struct family	*fam;
	size_t		 n, cap;
};

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->fam[i].text);
	free(m->fam);
	free(m);
}

/* Is s a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*? */
static bool
name_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > NAME_MAX_BYTES)
		return false;
	for (i = 0; i < len; i++) {
		char	 ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    ch == '_' || ch == ':' || (i > 0 && ch >= '0' &&
		    ch <= '9')))
			return false;
	}
	return true;
}

/* The family name, made with type and help if new; NULL past a bound. */
static struct family *
family(struct metrics *m, const char *name, size_t len,
    enum metric_type type, const char *help, size_t hlen)
{
	struct family	*f;
	size_t		 i, j;

	for (i = 0; i < m->n; i++)
		if (strlen(m->fam[i].name) == len &&
		    memcmp(m->fam[i].name, name, len) == 0)
			return &m->fam[i];
	if (m->n >= METRICS_FAMILIES_MAX || !name_ok(name, len))
		return NULL;
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 32 : m->cap * 2;
		m->fam = xreallocarray(m->fam, m->cap, sizeof(*m->fam));
	}
	f = &m->fam[m->n++];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, len);
	f->type = type;
	/* HELP escapes backslash and newline; keep the rest as it is. */
	for (i = j = 0; i < hlen && j + 2 < sizeof(f->help); i++) {
		if (help[i] == '\\' || help[i] == '\n') {
			f->help[j++] = '\\';
			f->help[j++] = help[i] == '\n' ? 'n' : '\\';
		} else
			f->help[j++] = help[i];
	}
	f->help[j] = '\0';
	return f;
}

/* Append len bytes to f's lines; -1 past METRICS_SAMPLE_BYTES. */
static int
family_add(struct family *f, const char *s, size_t len)
{
	if (f->len + len > METRICS_SAMPLE_BYTES)
		return -1;
	if (f->len + len + 1 > f->cap) {
		while (f->len + len + 1 > f->cap)
			f->cap = f->cap == 0 ? 256 : f->cap * 2;
		f->text = xreallocarray(f->text, f->cap, 1);
	}
	memcpy(f->text + f->len, s, len);
	f->len += len;
	f->text[f->len] = '\0';
	return 0;
}

void
metrics_format_value(char *out, size_t size, double v)
{
	if (isnan(v))
		snprintf(out, size, "NaN");
	else if (isinf(v))
		snprintf(out, size, "%sInf", v > 0 ? "+" : "-");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(out, size, "%.0f", v);
	else {
		/* The shortest of 15 or 17 digits that reads back as v. */
		snprintf(out, size, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, size, "%.17g", v);
	}
}

/* One line: name suffix labels value. */
static int
sample(struct family *f, const char *suffix, const char *labels, double v)
{
	char	 line[NAME_MAX_BYTES + METRICS_LABELS_MAX + 80], num[40];
	int	 n;

	metrics_format_value(num, sizeof(num), v);
	n = snprintf(line, sizeof(line), "%s%s%s %s\n", f->name, suffix,
	    labels, num);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return family_add(f, line, (size_t)n);
}

int
metrics_labels(char *out, size_t size, ...)
{
	va_list		 ap;
	const char	*k, *v;
	size_t		 j = 0;
	int		 first = 1;

	va_start(ap, size);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			v = "";
		if (j + strlen(k) + 4 >= size)
			goto toolong;
		out[j++] = first ? '{' : ',';
		first = 0;
		memcpy(out + j, k, strlen(k));
		j += strlen(k);
		out[j++] = '=';
		out[j++] = '"';
		for (; *v != '\0'; v++) {
			if (j + 4 >= size)
				goto toolong;
			if (*v == '\\' || *v == '"' || *v == '\n') {
				out[j++] = '\\';
				out[j++] = *v == '\n' ? 'n' : *v;
			} else
				out[j++] = *v;
		}
		out[j++] = '"';
	}
	va_end(ap);
	if (!first) {
		if (j + 2 > size)
			goto toolong_end;
		out[j++] = '}';
	}
	if (size > 0)
		out[j] = '\0';
	return 0;
toolong:
	va_end(ap);
toolong_end:
	if (size > 0)
		out[0] = '\0';
	return -1;
}

static int
add(struct metrics *m, enum metric_type type, const char *name,
    const char *help, const char *labels, double v)
{
	struct family	*f;

	f = family(m, name, strlen(name), type, help, strlen(help));
	if (f == NULL)
		return -1;
	return sample(f, "", labels, v);
}

int
metrics_counter(struct metrics *m, const char *name, const char *help,
    const char *labels, double v)
{
	return add(m, METRIC_COUNTER, name, help, labels, v);
}

int
metrics_gauge(struct metrics *m, const char *name, const char *help,
    const char *labels, double v)
{
	return add(m, METRIC_GAUGE, name, help, labels, v);
}

/* labels with le="bound" added last: {a="b",le="0.1"} or {le="0.1"}. */
static void
with_le(char *out, size_t size, const char *labels, const char *le)
{
	size_t	 n = strlen(labels);

	if (n >= 2)
		snprintf(out, size, "%.*s,le=\"%s\"}", (int)(n - 1), labels,
		    le);
	else
		snprintf(out, size, "{le=\"%s\"}", le);
}

int
metrics_histogram(struct metrics *m, const char *name, const char *help,
    const char *labels, const struct histogram *h)
{
	struct family	*f;
	char		 l[METRICS_LABELS_MAX + 32], le[40];
	uint64_t	 cum = 0;
	size_t		 i;

	f = family(m, name, strlen(name), METRIC_HISTOGRAM, help,
	    strlen(help));
	if (f == NULL)
		return -1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		metrics_format_value(le, sizeof(le), metrics_buckets[i]);
		with_le(l, sizeof(l), labels, le);
		if (sample(f, "_bucket", l, (double)cum) == -1)
			return -1;
	}
	with_le(l, sizeof(l), labels, "+Inf");
	if (sample(f, "_bucket", l, (double)h->count) == -1 ||
	    sample(f, "_sum", labels, h->sum) == -1 ||
	    sample(f, "_count", labels, (double)h->count) == -1)
		return -1;
	return 0;
}

void
histogram_observe(struct histogram *h, double v)
{
	size_t	 i;

	if (isnan(v))
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		if (v <= metrics_buckets[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += v;
}

/* [[name, type, help, lines], ...] */
void
metrics_pack(const struct metrics *m, msgpack_packer *pk)
{
	const struct family	*f;
	size_t			 i;

	msgpack_pack_array(pk, m->n);
	for (i = 0; i < m->n; i++) {
		f = &m->fam[i];
		msgpack_pack_array(pk, 4);
		mp_pack_str(pk, f->name);
		msgpack_pack_uint8(pk, (uint8_t)f->type);
		mp_pack_str(pk, f->help);
		msgpack_pack_str(pk, f->len);
		msgpack_pack_str_body(pk, f->text != NULL ? f->text : "",
		    f->len);
	}
}

/* Is o a family as metrics_pack() packs one? */
static bool
family_ok(const msgpack_object *o)
{
	const msgpack_object	*a;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
		return false;
	a = o->via.array.ptr;
	return a[0].type == MSGPACK_OBJECT_STR &&
	    name_ok(a[0].via.str.ptr, a[0].via.str.size) &&
	    a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    a[1].via.u64 <= METRIC_UNTYPED &&
	    a[2].type == MSGPACK_OBJECT_STR &&
	    a[2].via.str.size <= HELP_MAX_BYTES &&
	    memchr(a[2].via.str.ptr, '\n', a[2].via.str.size) == NULL &&
	    a[3].type == MSGPACK_OBJECT_STR &&
	    memchr(a[3].via.str.ptr, '\0', a[3].via.str.size) == NULL &&
	    (a[3].via.str.size == 0 ||
	    a[3].via.str.ptr[a[3].via.str.size - 1] == '\n');
}

int
metrics_merge(struct metrics *m, const msgpack_object *payload)
{
	const msgpack_object	*a;
	struct family		*f;
	uint32_t		 i;

	if (payload == NULL || payload->type != MSGPACK_OBJECT_ARRAY)
		return -1;
	for (i = 0; i < payload->via.array.size; i++)
		if (!family_ok(&payload->via.array.ptr[i]))
			return -1;
	for (i = 0; i < payload->via.array.size; i++) {
		a = payload->via.array.ptr[i].via.array.ptr;
		/* The help arrives escaped: family() would escape it twice. */
		f = family(m, a[0].via.str.ptr, a[0].via.str.size,
		    (enum metric_type)a[1].via.u64, "", 0);
		if (f == NULL)
			continue;
		if (f->help[0] == '\0')
			snprintf(f->help, sizeof(f->help), "%.*s",
			    (int)a[2].via.str.size, a[2].via.str.ptr);
		family_add(f, a[3].via.str.ptr, a[3].via.str.size);
	}
	return 0;
}

char *
metrics_text(const struct metrics *m, size_t *len)
{
	const struct family	*f;
	char			*out;
	size_t			 i, size = 1, n = 0;

	for (i = 0; i < m->n; i++)
		size += strlen(m->fam[i].name) * 2 + strlen(m->fam[i].help) +
		    32 + m->fam[i].len;
	out = xmalloc(size);
	for (i = 0; i < m->n; i++) {
		f = &m->fam[i];
		n += (size_t)snprintf(out + n, size - n,
		    "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
		    f->name, type_names[f->type]);
		if (f->len > 0) {
			memcpy(out + n, f->text, f->len);
			n += f->len;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}
