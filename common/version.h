/*
 * Version numbers.
 */
#ifndef VERSION_H
#define VERSION_H

#define ACTORD_VERSION		"0.1.0"
#define PROTOCOL_VERSION	1

#endif
