// Checking what the user typed into the forms; no DOM here. The task kinds
// and the rule for ids come from the C catalogue (catalogue.js).

import { NAME_MAX_LEN, NAME_RE, TASK_KINDS } from './catalogue.js';

export const MAX_TASKS_PER_SUBMIT = 1000;

// What #task-input means for each kind when it is not a JSON object.
export const INPUT_HINTS = {
  sleep: 'Milliseconds (default 1000), or a JSON object such as {"ms": 250}.',
  echo: 'The value to echo: JSON or plain text, or a JSON object input.',
  fail: 'The error message, or a JSON object such as {"message": "boom"}.',
};

// A fresh worker id such as "w-k3x9q2".
export function generateWorkerId(random = Math.random) {
  let s = '';
  for (let i = 0; i < 6; i++)
    s += Math.floor(random() * 36).toString(36);
  return `w-${s}`;
}

// Check an id typed by the user against the server's name rule
// (name_valid()): {ok, value} or {ok: false, error}.
export function parseId(text, what) {
  const value = String(text ?? '').trim();
  if (value === '')
    return { ok: false, error: `Enter a ${what}.` };
  if (value.length > NAME_MAX_LEN)
    return { ok: false, error:
      `A ${what} has at most ${NAME_MAX_LEN} characters.` };
  if (!NAME_RE.test(value))
    return { ok: false, error:
      `A ${what} uses only letters, digits, '.', '_' and '-'.` };
  return { ok: true, value };
}

// Check the register form; an empty id gets a generated one.
export function parseWorkerForm({ workerId }, random = Math.random) {
  if (String(workerId ?? '').trim() === '')
    return { ok: true, payload: { workerId: generateWorkerId(random) } };
  const id = parseId(workerId, 'worker id');
  return id.ok ? { ok: true, payload: { workerId: id.value } } :
    { ok: false, field: 'worker-id', error: id.error };
}

// Check the assign form: {ok, payloads: [AssignTask payload...]} or
// {ok: false, field, error}. A JSON object in `input` is the task's input
// as it is; anything else is shorthand for the kind's one parameter.
export function parseTaskForm({ kind, input, workerId, taskId, count }) {
  if (!TASK_KINDS.includes(kind))
    return { ok: false, field: 'task-kind', error: 'Choose a task kind.' };
  const parsed = parseInput(kind, String(input ?? '').trim());
  if (!parsed.ok)
    return { ok: false, field: 'task-input', error: parsed.error };
  const base = { kind, input: parsed.value };
  if (String(workerId ?? '').trim() !== '') {
    const id = parseId(workerId, 'worker id');
    if (!id.ok)
      return { ok: false, field: 'task-worker', error: id.error };
    base.workerId = id.value;
  }
  let n = 1;
  if (String(count ?? '').trim() !== '') {
    n = Number(count);
    if (!Number.isInteger(n) || n < 1 || n > MAX_TASKS_PER_SUBMIT)
      return { ok: false, field: 'task-count', error:
        `Count is a whole number from 1 to ${MAX_TASKS_PER_SUBMIT}.` };
  }
  let tid = null;
  if (String(taskId ?? '').trim() !== '') {
    const id = parseId(taskId, 'task id');
    if (!id.ok)
      return { ok: false, field: 'task-id', error: id.error };
    tid = id.value;
    /* the ids sent are <id>-1 ... <id>-<n>: the longest must be a name */
    const room = NAME_MAX_LEN - `-${n}`.length;
    if (n > 1 && tid.length > room)
      return { ok: false, field: 'task-id', error:
        `With a count of ${n}, a task id has at most ${room} characters.` };
  }
  const payloads = [];
  for (let i = 1; i <= n; i++) {
    const p = { ...base };
    if (tid !== null)
      p.taskId = n === 1 ? tid : `${tid}-${i}`;
    payloads.push(p);
  }
  return { ok: true, payloads };
}

// The task input for `kind` from the input field's text.
function parseInput(kind, text) {
  let json;
  let isJson = false;
  if (text !== '') {
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      isJson = false;
    }
  }
  if (isJson && json !== null && typeof json === 'object' &&
      !Array.isArray(json))
    return { ok: true, value: json };
  switch (kind) {
  case 'sleep': {
    if (text === '')
      return { ok: true, value: { ms: 1000 } };
    const ms = Number(text);
    if (!Number.isInteger(ms) || ms < 0 || ms > 3600000)
      return { ok: false, error: 'Sleep takes whole milliseconds from 0 to ' +
        '3600000, or a JSON object.' };
    return { ok: true, value: { ms } };
  }
  case 'echo':
    return { ok: true, value: { value: isJson ? json : text } };
  default:
    return { ok: true, value: { message: text === '' ? 'failed on purpose' :
      (isJson && typeof json === 'string' ? json : text) } };
  }
}
