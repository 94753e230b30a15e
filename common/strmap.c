/*
 * String-keyed hash map with separate chaining: see strmap.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

struct entry {
	struct entry	*next;
	uint64_t	 hash;
	void		*val;
	char		 key[];
};

struct strmap {
	struct entry	**buckets;
	size_t		  nbuckets;	/* a power of two */
	size_t		  count;
};

/* FNV-1a: small, fast and good enough for short keys. */
static uint64_t
hash_str(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct strmap *
strmap_new(void)
{
	struct strmap	*m = xcalloc(1, sizeof(*m));

	m->nbuckets = 16;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	return m;
}

void
strmap_free(struct strmap *m)
{
	struct entry	*e, *next;
	size_t		 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(m->buckets);
	free(m);
}

static struct entry **
find(const struct strmap *m, const char *key, uint64_t h)
{
	struct entry	**ep = &m->buckets[h & (m->nbuckets - 1)];

	for (; *ep != NULL; ep = &(*ep)->next)
		if ((*ep)->hash == h && strcmp((*ep)->key, key) == 0)
			break;
	return ep;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct entry	*e = *find(m, key, hash_str(key));

	return e == NULL ? NULL : e->val;
}

/* Double the table when the load factor passes one. */
static void
grow(struct strmap *m)
{
	struct entry	**nb, *e, *next;
	size_t		  i, n = m->nbuckets * 2;

	nb = xcalloc(n, sizeof(*nb));
	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

void *
strmap_put(struct strmap *m, const char *key, void *val)
{
	uint64_t	  h = hash_str(key);
	struct entry	**ep = find(m, key, h), *e;
	size_t		  len;
	void		 *old;

	if ((e = *ep) != NULL) {
		old = e->val;
		e->val = val;
		return old;
	}
	len = strlen(key);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->val = val;
	e->next = NULL;
	*ep = e;
	if (++m->count > m->nbuckets)
		grow(m);
	return NULL;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	struct entry	**ep = find(m, key, hash_str(key)), *e;
	void		 *val;

	if ((e = *ep) == NULL)
		return NULL;
	*ep = e->next;
	val = e->val;
	free(e);
	m->count--;
	return val;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

void
strmap_each(const struct strmap *m,
    void (*fn)(const char *key, void *val, void *arg), void *arg)
{
	struct entry	*e;
	size_t		 i;

	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = e->next)
			fn(e->key, e->val, arg);
}
