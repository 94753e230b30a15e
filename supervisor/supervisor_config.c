/*
 * The running configuration of actord: where the children's programs are,
 * and the reload (SIGHUP, actorctl reload) that re-reads the file and
 * applies what may change while the tree runs.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "sdnotify.h"
#include "supervisor.h"

/*
 * Find the children's programs (child.h's table): program_dir "" means
 * next to this executable.  0, or -1 when one is missing.
 */
int
supervisor_programs(struct config *cfg)
{
	char	 self[CONFIG_PATH_MAX], path[CONFIG_PATH_MAX + 32];
	ssize_t	 n;
	int	 i;

	if (cfg->program_dir[0] == '\0') {
		if ((n = readlink("/proc/self/exe", self,
		    sizeof(self) - 1)) == -1) {
			log_warn("readlink /proc/self/exe");
			return -1;
		}
		self[n] = '\0';
		snprintf(cfg->program_dir, sizeof(cfg->program_dir), "%s",
		    dirname(self));
	}
	for (i = 0; i < CHILD_COUNT; i++) {
		if (!config_child_runs(cfg, i))
			continue;	/* not on this host */
		snprintf(path, sizeof(path), "%s/%s", cfg->program_dir,
		    child_specs[i].name);
		if (access(path, X_OK) == -1) {
			log_warn("program %s", path);
			return -1;
		}
	}
	return 0;
}

/*
 * Re-read the config into fresh and apply what can change while running:
 * log levels, the strategy, intensity, backoff and child specs; then every
 * child re-reads it on SIGHUP.  Paths, sockets and the listen address need
 * a restart of actord.  0, or -1 with fresh's errors kept.
 */
int
supervisor_reload(struct config *fresh)
{
	struct config	*cur = &sup->cfg;
	int		 i;

	sdnotify("RELOADING=1");
	if (config_load(fresh, sup->config_path) == -1 ||
	    config_check_files(fresh) == -1) {
		for (i = 0; i < fresh->nerrors; i++)
			log_warnx("reload: %s", fresh->errors[i]);
		log_warnx("reload: keeping the running configuration");
		sdnotify("READY=1");
		return -1;
	}
	if (strcmp(fresh->state_dir, cur->state_dir) ||
	    strcmp(fresh->run_dir, cur->run_dir) ||
	    strcmp(fresh->listen, cur->listen) ||
	    fresh->control_mode != cur->control_mode ||
	    fresh->socket_mode != cur->socket_mode)
		log_warnx("reload: state_dir, run_dir, listen and socket "
		    "modes change only when actord restarts");
	if (strcmp(fresh->host, cur->host) || fresh->roles != cur->roles ||
	    strcmp(fresh->cluster_name, cur->cluster_name))
		log_warnx("reload: [cluster] host, name and roles change only "
		    "when actord restarts");
	memcpy(fresh->host, cur->host, sizeof(cur->host));
	memcpy(fresh->cluster_name, cur->cluster_name,
	    sizeof(cur->cluster_name));
	memcpy(fresh->roles_text, cur->roles_text, sizeof(cur->roles_text));
	fresh->roles = cur->roles;
	memcpy(fresh->state_dir, cur->state_dir, sizeof(cur->state_dir));
	memcpy(fresh->run_dir, cur->run_dir, sizeof(cur->run_dir));
	memcpy(fresh->listen, cur->listen, sizeof(cur->listen));
	fresh->control_mode = cur->control_mode;
	fresh->socket_mode = cur->socket_mode;
	if (supervisor_programs(fresh) == -1) {
		sdnotify("READY=1");
		return -1;
	}
	*cur = *fresh;
	log_setlevel(cur->log_level);
	tree_signal(SIGHUP);
	log_info("reloaded %s", sup->config_path ? sup->config_path :
	    "the built-in defaults");
	sdnotify("READY=1");
	return 0;
}
