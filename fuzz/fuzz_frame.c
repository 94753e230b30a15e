/*
 * Fuzz the frame reader: a byte stream from another process, cut into
 * frames and decoded exactly as common/peer.c's read loop does (length
 * check before the body, one msgpack object, an envelope, the payload
 * schema).  Must never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "frame.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static msgpack_zone	 zone;
	static int		 init;
	struct envelope		 env;
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
		    env_decode(&obj, &env, &code, why, sizeof(why)) == 0)
			(void)msg_check_payload(env.type, env.payload, &code,
			    why, sizeof(why));
		msgpack_zone_clear(&zone);
		data += FRAME_HDR + body;
		size -= FRAME_HDR + body;
	}
	return 0;
}
