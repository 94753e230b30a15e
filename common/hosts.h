/*
 * The cluster's other hosts as this host's link tells of them (HostState):
 * the coordinator keeps this table to place workers and list the hosts in
 * its status, actord to list them in its tree, which a dashboard can read
 * on any host, also while the coordinator's host is out of reach
 * (docs/cluster.md).
 */
#ifndef HOSTS_H
#define HOSTS_H

#include <stddef.h>

#include <msgpack.h>

#include "msg.h"

#define HOSTS_MAX	64	/* other hosts a table holds */

struct msg_host_state;

struct host_entry {
	char		 name[HOST_MAX + 1];
	char		 incarnation[NAME_MAX_LEN + 1];	/* its tree's */
	unsigned	 roles;		/* ROLE_* */
	int		 up;
};

struct hosts {
	struct host_entry	 h[HOSTS_MAX];
	size_t			 n;
};

struct host_entry	*hosts_find(struct hosts *t, const char *name);
struct host_entry	*hosts_update(struct hosts *t,
			    const struct msg_host_state *m);
void			 hosts_pack(msgpack_packer *pk, const struct hosts *t,
			    const char *self, unsigned self_roles);

#endif
