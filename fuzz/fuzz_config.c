/*
 * Fuzz the config parser: any bytes as an actord.conf.  Every error must
 * be reported, never crash or overflow a field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	 cfg;
	static char		 path[64];
	FILE			*fp;

	if (path[0] == '\0') {
		log_init("fuzz", LOG_CRIT);
		snprintf(path, sizeof(path), "/dev/shm/fuzz-config.%ld",
		    (long)getpid());
	}
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	(void)config_load(&cfg, path);
	unlink(path);
	return 0;
}
