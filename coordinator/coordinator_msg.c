/*
 * The coordinator's payload codecs, in named pairs.  The runtime has
 * checked every payload against the catalogue's schema before receive()
 * sees it; the decoders check again what they rely on (shape, type,
 * length, UTF-8) so that they are safe on their own, and name the field
 * that is wrong.  Encoders return -1 only if packing fails (out of memory).
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "coordinator.h"

/* Pack key and the string v, or nil for NULL. */
static int
pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	if (mp_pack_str(pk, k) == -1)
		return -1;
	if (v == NULL)
		return msgpack_pack_nil(pk) != 0 ? -1 : 0;
	return mp_pack_str(pk, v);
}

/*
 * Copy the name field key of p into buf: "" when absent or nil, -1 with
 * the reason when present but not a name, or absent and required.
 */
static int
dec_name(const msgpack_object *p, const char *key, int required, char *buf,
    size_t size, char *why, size_t whylen)
{
	const msgpack_object	*v = mp_get(p, key);

	buf[0] = '\0';
	if (v == NULL || v->type == MSGPACK_OBJECT_NIL) {
		if (!required)
			return 0;
		snprintf(why, whylen, "'%s' is required", key);
		return -1;
	}
	if (v->type != MSGPACK_OBJECT_STR ||
	    !name_valid(v->via.str.ptr, v->via.str.size) ||
	    mp_strcpy(v, buf, size) == -1) {
		snprintf(why, whylen, "'%s' must be 1-%d letters, digits, '.', "
		    "'_' or '-'", key, NAME_MAX_LEN);
		return -1;
	}
	return 0;
}

/* Copy the UTF-8 string field key (at most size - 1 bytes) into buf. */
static int
dec_str(const msgpack_object *p, const char *key, int required, char *buf,
    size_t size, char *why, size_t whylen)
{
	const msgpack_object	*v = mp_get(p, key);

	buf[0] = '\0';
	if (v == NULL || v->type == MSGPACK_OBJECT_NIL) {
		if (!required)
			return 0;
		snprintf(why, whylen, "'%s' is required", key);
		return -1;
	}
	if (v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0 ||
	    !utf8_valid(v->via.str.ptr, v->via.str.size) ||
	    mp_strcpy(v, buf, size) == -1) {
		snprintf(why, whylen, "'%s' must be a UTF-8 string of 1-%zu "
		    "bytes", key, size - 1);
		return -1;
	}
	return 0;
}

/* The payload must be a map (or nil, for "no fields"). */
static int
dec_map(const msgpack_object *p, char *why, size_t whylen)
{
	if (p == NULL || p->type == MSGPACK_OBJECT_MAP ||
	    p->type == MSGPACK_OBJECT_NIL)
		return 0;
	snprintf(why, whylen, "'payload' must be an object");
	return -1;
}

/* AssignTask {taskId?, kind?, input?, workerId?}. */
int
msg_assign_task_decode(const msgpack_object *p, struct assign_task *m,
    enum err_code *code, char *why, size_t whylen)
{
	const msgpack_object	*v;

	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_name(p, "taskId", 0, m->task_id, sizeof(m->task_id), why,
	    whylen) == -1 ||
	    dec_str(p, "kind", 0, m->kind, sizeof(m->kind), why,
	    whylen) == -1 ||
	    dec_name(p, "workerId", 0, m->worker_id, sizeof(m->worker_id),
	    why, whylen) == -1)
		goto fail;
	if ((v = mp_get(p, "input")) != NULL && v->type != MSGPACK_OBJECT_NIL)
		m->input = v;
	return 0;
fail:
	return -1;
}

/* TaskAccepted {taskId, status, workerId?, position?}. */
int
msg_task_accepted_encode(msgpack_packer *pk, const struct task_accepted *m)
{
	size_t	 n = 2 + (m->worker_id != NULL) + (m->position != 0);

	if (msgpack_pack_map(pk, n) != 0 ||
	    pk_kv_str(pk, "taskId", m->task_id) == -1 ||
	    pk_kv_str(pk, "status", m->status) == -1)
		goto fail;
	if (m->worker_id != NULL &&
	    pk_kv_str(pk, "workerId", m->worker_id) == -1)
		goto fail;
	if (m->position != 0 && mp_pack_kv_uint(pk, "position", m->position) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* RegisterWorker, UnregisterWorker: {workerId}. */
int
msg_worker_id_decode(const msgpack_object *p, char *id, size_t size,
    enum err_code *code, char *why, size_t whylen)
{
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_name(p, "workerId", 1, id, size, why, whylen) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* {workerId}: WorkerRegistered, WorkerUnregistered, StartWorker, StopWorker. */
int
msg_worker_id_encode(msgpack_packer *pk, const char *id)
{
	if (msgpack_pack_map(pk, 1) != 0 ||
	    pk_kv_str(pk, "workerId", id) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* CancelTask: {taskId}. */
int
msg_task_id_decode(const msgpack_object *p, char *id, size_t size,
    enum err_code *code, char *why, size_t whylen)
{
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_name(p, "taskId", 1, id, size, why, whylen) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* {taskId}: TaskCancelled, AbortTask. */
int
msg_task_id_encode(msgpack_packer *pk, const char *id)
{
	if (msgpack_pack_map(pk, 1) != 0 || pk_kv_str(pk, "taskId", id) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* TaskStarted, TaskCompleted or TaskFailed from the worker process. */
int
msg_task_report_decode(enum msg_type type, const msgpack_object *p,
    struct task_report *m, enum err_code *code, char *why, size_t whylen)
{
	const msgpack_object	*v;

	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_name(p, "taskId", 1, m->task_id, sizeof(m->task_id), why,
	    whylen) == -1 ||
	    dec_name(p, "workerId", 1, m->worker_id, sizeof(m->worker_id),
	    why, whylen) == -1)
		goto fail;
	if (type == MSG_TASK_FAILED && dec_str(p, "error", 1, m->error,
	    sizeof(m->error), why, whylen) == -1)
		goto fail;
	if (type == MSG_TASK_COMPLETED)
		m->result = mp_get(p, "result");
	if ((v = mp_get(p, "processedCount")) != NULL) {
		if (mp_uint(v, &m->processed) == -1) {
			snprintf(why, whylen, "'processedCount' must be a "
			    "non-negative integer");
			goto fail;
		}
		m->has_processed = 1;
	}
	return 0;
fail:
	return -1;
}

/*
 * A worker's announcement: WorkerState {workerId, status, currentTask,
 * processedCount, lastTask, lastStatus, lastResult, lastError}.
 */
int
msg_worker_report_decode(const msgpack_object *p, struct worker_report *m,
    enum err_code *code, char *why, size_t whylen)
{
	const msgpack_object	*v;

	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_name(p, "workerId", 1, m->worker_id, sizeof(m->worker_id),
	    why, whylen) == -1 ||
	    dec_name(p, "currentTask", 0, m->current, sizeof(m->current), why,
	    whylen) == -1 ||
	    dec_name(p, "lastTask", 0, m->last_task, sizeof(m->last_task),
	    why, whylen) == -1 ||
	    dec_str(p, "lastStatus", 0, m->last_status,
	    sizeof(m->last_status), why, whylen) == -1 ||
	    dec_str(p, "lastError", 0, m->last_error, sizeof(m->last_error),
	    why, whylen) == -1)
		goto fail;
	if ((v = mp_get(p, "processedCount")) != NULL &&
	    mp_uint(v, &m->processed) == -1) {
		snprintf(why, whylen, "'processedCount' must be a non-negative "
		    "integer");
		goto fail;
	}
	m->last_result = mp_get(p, "lastResult");
	return 0;
fail:
	return -1;
}

/* ProcessTask {taskId, kind, input}, the input as stored (msgpack). */
int
msg_process_task_encode(msgpack_packer *pk, const struct process_task *m)
{
	if (msgpack_pack_map(pk, 3) != 0 ||
	    pk_kv_str(pk, "taskId", m->task_id) == -1 ||
	    pk_kv_str(pk, "kind", m->kind) == -1 ||
	    mp_pack_str(pk, "input") == -1)
		goto fail;
	if (m->input == NULL || m->inputlen == 0) {
		if (msgpack_pack_nil(pk) != 0)
			goto fail;
	} else
		mp_pack_raw(pk, m->input, m->inputlen);
	return 0;
fail:
	return -1;
}

/*
 * LogEvent {level, source, message, data, sourceSeq, sourceFirst?}: data
 * is packed already (msg_event_data_encode, kept in events_out).
 */
int
msg_log_event_encode(msgpack_packer *pk, const struct log_event *m)
{
	if (msgpack_pack_map(pk, m->first ? 6 : 5) != 0 ||
	    pk_kv_str(pk, "level", m->level) == -1 ||
	    pk_kv_str(pk, "source", COORD_ADDRESS) == -1 ||
	    pk_kv_str(pk, "message", m->message) == -1 ||
	    mp_pack_str(pk, "data") == -1)
		goto fail;
	if (m->data == NULL || m->datalen == 0) {
		if (msgpack_pack_nil(pk) != 0)
			goto fail;
	} else
		mp_pack_raw(pk, m->data, m->datalen);
	if (mp_pack_kv_uint(pk, "sourceSeq", (uint64_t)m->seq) == -1)
		goto fail;
	if (m->first && (mp_pack_str(pk, "sourceFirst") == -1 ||
	    msgpack_pack_true(pk) != 0))
		goto fail;
	return 0;
fail:
	return -1;
}

/* An event's data: {taskId?, workerId?, attempts?}. */
int
msg_event_data_encode(msgpack_packer *pk, const char *task_id,
    const char *worker_id, int64_t attempts)
{
	size_t	 n = (task_id != NULL) + (worker_id != NULL) + (attempts >= 0);

	if (msgpack_pack_map(pk, n) != 0)
		goto fail;
	if (task_id != NULL && pk_kv_str(pk, "taskId", task_id) == -1)
		goto fail;
	if (worker_id != NULL && pk_kv_str(pk, "workerId", worker_id) == -1)
		goto fail;
	if (attempts >= 0 &&
	    mp_pack_kv_uint(pk, "attempts", (uint64_t)attempts) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* LogEventAck {source, sourceSeq, gap?}. */
int
msg_log_event_ack_decode(const msgpack_object *p, struct log_event_ack *m,
    enum err_code *code, char *why, size_t whylen)
{
	const msgpack_object	*v;
	uint64_t		 u;

	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_str(p, "source", 1, m->source, sizeof(m->source), why,
	    whylen) == -1)
		goto fail;
	if (mp_uint(mp_get(p, "sourceSeq"), &u) == -1 || u > INT64_MAX) {
		snprintf(why, whylen, "'sourceSeq' must be an integer from 0 "
		    "to %lld", (long long)INT64_MAX);
		goto fail;
	}
	m->seq = (int64_t)u;
	if ((v = mp_get(p, "gap")) != NULL && v->type != MSGPACK_OBJECT_NIL) {
		if (v->type != MSGPACK_OBJECT_BOOLEAN) {
			snprintf(why, whylen, "'gap' must be true or false");
			goto fail;
		}
		m->gap = v->via.boolean;
	}
	return 0;
fail:
	return -1;
}

/* Error {code, error}. */
int
msg_error_encode(msgpack_packer *pk, enum err_code code, const char *text)
{
	if (msgpack_pack_map(pk, 2) != 0 ||
	    pk_kv_str(pk, "code", err_code_name(code)) == -1 ||
	    pk_kv_str(pk, "error", text) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* An empty map: Subscribed, Unsubscribed. */
int
msg_empty_encode(msgpack_packer *pk)
{
	return msgpack_pack_map(pk, 0) != 0 ? -1 : 0;
}
