/*
 * Fuzz the frame reader: a byte stream from another process, cut into
 * frames and decoded exactly as common/peer.c's read loop does (length
 * check before the body, one msgpack object, an envelope, the payload
 * decoded through its field table).  A payload that decodes must encode
 * and decode again to the same struct.  Must never crash, leak or read out
 * of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "frame.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Encode a decoded payload through its shape and decode it again: the
 * tables must read what they write.  The P_ANY members point into the
 * first frame, so compare the rest by packing both and comparing bytes.
 */
static void
roundtrip(enum msg_type type, const union msg_body *body)
{
	const struct msg_shape	*shape = msg_info(type)->shape;
	msgpack_sbuffer		 a, b;
	msgpack_packer		 pk;
	msgpack_unpacked	 up;
	union msg_body		 again;
	enum err_code		 code;
	char			 why[512];

	if (shape->fields == NULL)
		return;
	msgpack_sbuffer_init(&a);
	msgpack_sbuffer_init(&b);
	msgpack_unpacked_init(&up);
	msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
	if (msg_encode(&pk, shape, body) == -1 ||
	    msgpack_unpack_next(&up, a.data, a.size, NULL) !=
	    MSGPACK_UNPACK_SUCCESS ||
	    msg_decode(type, &up.data, &again, &code, why, sizeof(why)) == -1)
		abort();
	msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
	if (msg_encode(&pk, shape, &again) == -1 || a.size != b.size ||
	    memcmp(a.data, b.data, a.size) != 0)
		abort();
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&a);
	msgpack_sbuffer_destroy(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msgpack_zone	 zone;
	static int		 init;
	struct envelope		 env;
	union msg_body		 decoded;
	msgpack_object		 obj;
	enum err_code		 code;
	char			 why[512];
	size_t			 body, off;

	if (!init) {
		msgpack_zone_init(&zone, 8192);
		log_init("fuzz", LOG_CRIT);
		init = 1;
	}
	while (frame_parse(data, size, 64 * 1024, &body) == FRAME_OK) {
		off = 0;
		if (mp_sane(data + FRAME_HDR, body) &&
		    msgpack_unpack((const char *)data + FRAME_HDR, body, &off,
		    &zone, &obj) == MSGPACK_UNPACK_SUCCESS && off == body &&
		    env_decode(&obj, &env, &code, why, sizeof(why)) == 0 &&
		    msg_decode(env.type, env.payload, &decoded, &code, why,
		    sizeof(why)) == 0)
			roundtrip(env.type, &decoded);
		msgpack_zone_clear(&zone);
		data += FRAME_HDR + body;
		size -= FRAME_HDR + body;
	}
	return 0;
}
