/*
 * The field tables of payload.h, defined once, and each shape's name and
 * size for the codec in msg.c.
 */
#define PAYLOAD_TABLES
#include "msg.h"

#define MSG_SHAPE_DEF(shape, type)					\
	const struct msg_shape msg_shape_##shape = {			\
		#shape, msg_##shape##_fields, sizeof(struct type)	\
	};
MSG_SHAPES(MSG_SHAPE_DEF)
#undef MSG_SHAPE_DEF

/* A map whose fields are ignored: GetStatus, Unsubscribe, ... */
static const struct msg_field msg_empty_fields[] = {
	{ NULL, FT_ANY, 0, 0, 0, 0, NO_HAS, NULL }
};
const struct msg_shape msg_shape_empty = { "empty", msg_empty_fields, 0 };

/* Any value, not decoded: Ping, and the snapshots packed by hand. */
const struct msg_shape msg_shape_none = { "none", NULL, 0 };
