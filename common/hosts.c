/*
 * The cluster's other hosts, as HostState tells of them (hosts.h).
 */
#include <stdio.h>
#include <string.h>

#include "hosts.h"
#include "log.h"
#include "payload.h"

/* The host named name, or NULL. */
struct host_entry *
hosts_find(struct hosts *t, const char *name)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->h[i].name, name) == 0)
			return &t->h[i];
	return NULL;
}

/*
 * HostState {host, state, incarnation?, roles}: the host's entry, made on
 * first mention, as the message says it is now.  NULL (logged) when the
 * table is full.
 */
struct host_entry *
hosts_update(struct hosts *t, const struct msg_host_state *m)
{
	struct host_entry	*h;

	if ((h = hosts_find(t, m->host)) == NULL) {
		if (t->n == HOSTS_MAX) {
			log_warnx("HostState: more than %d hosts; %s ignored",
			    HOSTS_MAX, m->host);
			return NULL;
		}
		h = &t->h[t->n++];
		snprintf(h->name, sizeof(h->name), "%s", m->host);
	}
	h->roles = (unsigned)m->roles;
	h->up = strcmp(m->state, "up") == 0;
	if (m->incarnation[0] != '\0')
		snprintf(h->incarnation, sizeof(h->incarnation), "%s",
		    m->incarnation);
	return h;
}

/* A host's roles as words. */
static void
pack_roles(msgpack_packer *pk, unsigned roles)
{
	static const char *const names[] = {
		"coordinator", "worker", "gateway",
	};
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < nitems(names); i++)
		n += (roles & (1u << i)) != 0;
	mp_pack_str(pk, "roles");
	msgpack_pack_array(pk, n);
	for (i = 0; i < nitems(names); i++)
		if (roles & (1u << i))
			mp_pack_str(pk, names[i]);
}

/*
 * "hosts": [{host, up, roles, incarnation?}], this one (self, always up)
 * first, then every other the table holds, with its tree's incarnation
 * (new when it restarted, however fast: docs/cluster.md).  The key and
 * its value, for a map the caller counted it in.
 */
void
hosts_pack(msgpack_packer *pk, const struct hosts *t, const char *self,
    unsigned self_roles)
{
	const struct host_entry	*h;
	size_t			 i;

	mp_pack_str(pk, "hosts");
	msgpack_pack_array(pk, 1 + t->n);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "host", self);
	mp_pack_kv_bool(pk, "up", true);
	pack_roles(pk, self_roles);
	for (i = 0; i < t->n; i++) {
		h = &t->h[i];
		msgpack_pack_map(pk, 4);
		mp_pack_kv_str(pk, "host", h->name);
		mp_pack_kv_str(pk, "incarnation", h->incarnation);
		mp_pack_kv_bool(pk, "up", h->up);
		pack_roles(pk, h->roles);
	}
}
