// Checking what the user typed into the forms; no DOM here. The rule for
// ids and the built-in task kinds come from the C catalogue
// (catalogue.js); the kinds a coordinator offers, the operator's command
// kinds among them, from its GetKinds.

import { NAME_MAX_LEN, NAME_RE, TASK_KINDS } from './catalogue.js';

export const MAX_TASKS_PER_SUBMIT = 1000;
export const PRIORITY_MAX = 9;                    /* common/msg.h */
export const DELAY_MAX_MS = 366 * 86400 * 1000;   /* DELAY_MAX_MS */
export const ATTEMPTS_MAX = 1000;                 /* retry.maxAttempts */

// The kinds before the coordinator has said which it has: the built-ins.
export const BUILTIN_KINDS = Object.freeze(TASK_KINDS.map((name) =>
  Object.freeze({ name, builtin: true, input: 'builtin' })));

// What #task-input means for each kind when it is not a JSON object.
export const INPUT_HINTS = {
  sleep: 'Milliseconds (default 1000), or a JSON object such as {"ms": 250}.',
  echo: 'The value to echo: JSON or plain text, or a JSON object input.',
  fail: 'The error message, or a JSON object such as {"message": "boom"}.',
};

// The hint for an operator's command kind, by how its input reaches the
// program (GetKinds' `input`).
export const INPUT_RULE_HINTS = {
  stdin: 'Given to the command as JSON on its standard input: JSON, or ' +
    'plain text (sent as a string). Empty: none.',
  args: 'The command\'s arguments: words separated by spaces, or a JSON ' +
    'array of strings. Empty: none.',
  none: 'This kind takes no input: leave it empty.',
};

// The hint shown under #task-input for a kind.
export function inputHint(kind, kinds = BUILTIN_KINDS) {
  const k = kinds.find((x) => x.name === kind);
  if (k === undefined)
    return '';
  return k.input === 'builtin' ? INPUT_HINTS[kind] ?? '' :
    INPUT_RULE_HINTS[k.input] ?? '';
}

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
// {ok: false, field, error}. For a built-in kind, a JSON object in `input`
// is the task's input as it is; anything else is shorthand for the kind's
// one parameter. A command kind's input follows its rule (INPUT_RULE_HINTS).
// `kinds` are the coordinator's (GetKinds), the built-ins until it said.
// The options (queue, priority, delay, attempts) are sent only when set.
export function parseTaskForm({ kind, input, workerId, taskId, count, queue,
  priority, delay, attempts }, kinds = BUILTIN_KINDS) {
  const k = kinds.find((x) => x.name === kind);
  if (k === undefined)
    return { ok: false, field: 'task-kind', error: 'Choose a task kind.' };
  const text = String(input ?? '').trim();
  const parsed = k.input === 'builtin' ? parseInput(kind, text) :
    parseCommandInput(k, text);
  if (!parsed.ok)
    return { ok: false, field: 'task-input', error: parsed.error };
  const base = { kind };
  if (parsed.value !== undefined)
    base.input = parsed.value;
  const opts = parseOptions({ queue, priority, delay, attempts });
  if (!opts.ok)
    return opts;
  Object.assign(base, opts.value);
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

// The assign form's options: queue, priority, delay (ms), attempts.
function parseOptions({ queue, priority, delay, attempts }) {
  const value = {};
  if (String(queue ?? '').trim() !== '') {
    const q = parseId(queue, 'queue name');
    if (!q.ok)
      return { ok: false, field: 'task-queue', error: q.error };
    value.queue = q.value;
  }
  const whole = (text, field, min, max, what) => {
    if (String(text ?? '').trim() === '')
      return { ok: true, value: null };
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      return { ok: false, field, error:
        `${what} is a whole number from ${min} to ${max}.` };
    return { ok: true, value: n };
  };
  const p = whole(priority, 'task-priority', 0, PRIORITY_MAX, 'Priority');
  const d = whole(delay, 'task-delay', 0, DELAY_MAX_MS, 'The delay (ms)');
  const a = whole(attempts, 'task-attempts', 1, ATTEMPTS_MAX, 'Attempts');
  for (const r of [p, d, a])
    if (!r.ok)
      return r;
  if (p.value !== null)
    value.priority = p.value;
  if (d.value !== null && d.value > 0)
    value.delayMs = d.value;
  if (a.value !== null)
    value.retry = { maxAttempts: a.value };
  return { ok: true, value };
}

// The input of an operator's command kind; value undefined: none.
function parseCommandInput(k, text) {
  if (text === '')
    return { ok: true, value: undefined };
  if (k.input === 'none')
    return { ok: false, error: `Kind ${k.name} takes no input.` };
  let json;
  let isJson = false;
  try {
    json = JSON.parse(text);
    isJson = true;
  } catch {
    isJson = false;
  }
  if (k.input === 'args') {
    if (isJson && Array.isArray(json)) {
      if (!json.every((a) => typeof a === 'string'))
        return { ok: false, error: 'The arguments must all be strings.' };
      return { ok: true, value: json };
    }
    return { ok: true, value: text.split(/\s+/) };
  }
  return { ok: true, value: isJson ? json : text };
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
