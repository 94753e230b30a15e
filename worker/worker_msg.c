/*
 * The worker's payload codecs, in named pairs.  The runtime checked each
 * payload against the catalogue's schema; the decoders check again what
 * they rely on and name the field that is wrong.  Encoders return -1 only
 * when packing fails (out of memory).
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "worker.h"

/* Pack key and the string v, or nil for NULL or "". */
static int
pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	if (mp_pack_str(pk, k) == -1)
		return -1;
	if (v == NULL || *v == '\0')
		return msgpack_pack_nil(pk) != 0 ? -1 : 0;
	return mp_pack_str(pk, v);
}

/* Pack key and raw msgpack bytes, or nil. */
static int
pk_kv_raw(msgpack_packer *pk, const char *k, const void *v, size_t len)
{
	if (mp_pack_str(pk, k) == -1)
		return -1;
	if (v == NULL || len == 0)
		return msgpack_pack_nil(pk) != 0 ? -1 : 0;
	mp_pack_raw(pk, v, len);
	return 0;
}

/* Copy the required name field key into buf, or say why not. */
static int
dec_name(const msgpack_object *p, const char *key, char *buf, size_t size,
    char *why, size_t whylen)
{
	const msgpack_object	*v = mp_get(p, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_STR ||
	    !name_valid(v->via.str.ptr, v->via.str.size) ||
	    mp_strcpy(v, buf, size) == -1) {
		snprintf(why, whylen, "'%s' must be 1-%d letters, digits, '.', "
		    "'_' or '-'", key, NAME_MAX_LEN);
		return -1;
	}
	return 0;
}

/* ProcessTask {taskId, kind, input?}. */
int
msg_process_task_decode(const msgpack_object *p, struct process_task *m,
    enum err_code *code, char *why, size_t whylen)
{
	const msgpack_object	*v;

	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (p == NULL || p->type != MSGPACK_OBJECT_MAP) {
		snprintf(why, whylen, "'payload' must be an object");
		goto fail;
	}
	if (dec_name(p, "taskId", m->task_id, sizeof(m->task_id), why,
	    whylen) == -1)
		goto fail;
	v = mp_get(p, "kind");
	if (v == NULL || v->type != MSGPACK_OBJECT_STR ||
	    v->via.str.size == 0 ||
	    !utf8_valid(v->via.str.ptr, v->via.str.size) ||
	    mp_strcpy(v, m->kind, sizeof(m->kind)) == -1) {
		snprintf(why, whylen, "'kind' must be a string of 1-%d bytes",
		    KIND_MAX_LEN);
		goto fail;
	}
	if ((v = mp_get(p, "input")) != NULL && v->type != MSGPACK_OBJECT_NIL)
		m->input = v;
	return 0;
fail:
	return -1;
}

/* AbortTask {taskId}. */
int
msg_task_id_decode(const msgpack_object *p, char *id, size_t size,
    enum err_code *code, char *why, size_t whylen)
{
	*code = ERR_BAD_PAYLOAD;
	if (dec_name(p, "taskId", id, size, why, whylen) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* TaskStarted {taskId, workerId}. */
int
msg_task_started_encode(msgpack_packer *pk, const char *task,
    const char *worker)
{
	if (msgpack_pack_map(pk, 2) != 0 ||
	    pk_kv_str(pk, "taskId", task) == -1 ||
	    pk_kv_str(pk, "workerId", worker) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* TaskCompleted {taskId, workerId, result, processedCount}. */
int
msg_task_completed_encode(msgpack_packer *pk, const struct task_outcome *m)
{
	if (msgpack_pack_map(pk, 4) != 0 ||
	    pk_kv_str(pk, "taskId", m->task_id) == -1 ||
	    pk_kv_str(pk, "workerId", m->worker_id) == -1 ||
	    pk_kv_raw(pk, "result", m->result, m->resultlen) == -1 ||
	    mp_pack_kv_uint(pk, "processedCount", m->processed) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* TaskFailed {taskId, workerId, error, processedCount}. */
int
msg_task_failed_encode(msgpack_packer *pk, const struct task_outcome *m)
{
	if (msgpack_pack_map(pk, 4) != 0 ||
	    pk_kv_str(pk, "taskId", m->task_id) == -1 ||
	    pk_kv_str(pk, "workerId", m->worker_id) == -1 ||
	    pk_kv_str(pk, "error", m->error) == -1 ||
	    mp_pack_kv_uint(pk, "processedCount", m->processed) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/*
 * WorkerState {workerId, status, currentTask, processedCount} and, for the
 * coordinator's reconciliation, the last outcome: lastTask, lastStatus
 * (completed, failed or interrupted), lastResult, lastError.
 */
int
msg_worker_state_encode(msgpack_packer *pk, const struct wactor *w)
{
	if (msgpack_pack_map(pk, 8) != 0 ||
	    pk_kv_str(pk, "workerId", w->id) == -1 ||
	    pk_kv_str(pk, "status", w->task[0] ? "busy" : "idle") == -1 ||
	    pk_kv_str(pk, "currentTask", w->task) == -1 ||
	    mp_pack_kv_uint(pk, "processedCount", w->processed) == -1 ||
	    pk_kv_str(pk, "lastTask", w->last_task) == -1 ||
	    pk_kv_str(pk, "lastStatus", w->last_status) == -1 ||
	    pk_kv_raw(pk, "lastResult", w->last_result,
	    w->last_resultlen) == -1 ||
	    pk_kv_str(pk, "lastError", w->last_error) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}
