/*
 * nats_pub: publish stdin, as it is, as one NATS message, for the cluster
 * tests' bad input (tests/ws/cluster.test.mjs).
 *
 *	nats_pub URL SUBJECT [USER PASSWORD] <bytes
 *
 * Exit 0 once the server has the message (a flush), 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

int
main(int argc, char *argv[])
{
	natsConnection	*nc = NULL;
	natsOptions	*o = NULL;
	char		*buf = NULL;
	size_t		 len = 0, cap = 0, n;
	int		 rc = 1;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: nats_pub URL SUBJECT [USER PASSWORD] "
		    "<bytes\n");
		return 100;
	}
	do {
		if (len == cap && (buf = realloc(buf, cap = cap * 2 + 4096)) ==
		    NULL)
			return 1;
		n = fread(buf + len, 1, cap - len, stdin);
		len += n;
	} while (n > 0);
	if (natsOptions_Create(&o) == NATS_OK &&
	    natsOptions_SetURL(o, argv[1]) == NATS_OK &&
	    (argc == 3 || natsOptions_SetUserInfo(o, argv[3], argv[4]) ==
	    NATS_OK) &&
	    natsConnection_Connect(&nc, o) == NATS_OK &&
	    natsConnection_Publish(nc, argv[2], buf, (int)len) == NATS_OK &&
	    natsConnection_Flush(nc) == NATS_OK)
		rc = 0;
	else
		fprintf(stderr, "nats_pub: %s\n", nats_GetLastError(NULL));
	natsConnection_Destroy(nc);
	natsOptions_Destroy(o);
	free(buf);
	nats_Close();
	return rc;
}
