/*
 * A string-keyed hash map of pointers: the routing table and the actor
 * registry.  Keys are copied; values are the caller's.  Grows by doubling,
 * so lookups stay O(1) at 10,000 workers.
 */
#ifndef STRMAP_H
#define STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap	*strmap_new(void);
void		 strmap_free(struct strmap *m);
void		*strmap_get(const struct strmap *m, const char *key);
/* Set key to val, replacing any old value (which is returned). */
void		*strmap_put(struct strmap *m, const char *key, void *val);
void		*strmap_del(struct strmap *m, const char *key);
size_t		 strmap_count(const struct strmap *m);
/* Call fn for every entry; fn must not change the map. */
void		 strmap_each(const struct strmap *m,
		    void (*fn)(const char *key, void *val, void *arg),
		    void *arg);

#endif
