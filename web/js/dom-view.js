// The page's DOM: applies view models from the UIActor and turns the user's
// input into messages for the actors. The only module that touches the
// document.

import { ACTOR } from './names.js';
import { onRowAction, setText, syncRows } from './dom.js';
import { INPUT_HINTS, generateWorkerId, parseTaskForm, parseWorkerForm }
  from './forms.js';

export const MAX_NOTICES_SHOWN = 3;
export const MAX_KNOWN_WORKERS = 500;
const NOTICE_MS = { info: 6000, error: 15000 };

const TABLE = { rowTag: 'tr', cellTag: 'td', rowHeader: true, roles: true };

// Bind the page in `doc`; `send(actor, msg)` delivers to the actors.
export function createDomView(doc, send) {
  const $ = (id) => doc.getElementById(id);
  bindForms(doc, $, send);

  onRowAction($('workers-body'), 'data-worker-id', (action, workerId) => {
    if (action === 'inspect')
      send(ACTOR.workerProxy, { type: 'InspectWorker', workerId });
    else if (action === 'unregister')
      send(ACTOR.coordinatorProxy, { type: 'UserRequest',
        msgType: 'UnregisterWorker', payload: { workerId } });
  });
  for (const id of ['recent-tasks-body', 'queue-next'])
    onRowAction($(id), 'data-task-id', (action, taskId) => {
      if (action === 'cancel')
        send(ACTOR.coordinatorProxy, { type: 'UserRequest',
          msgType: 'CancelTask', payload: { taskId } });
    });
  $('reconnect-now').addEventListener('click', () =>
    send(ACTOR.transport, { type: 'ReconnectNow' }));
  $('close-worker-details').addEventListener('click', () =>
    send(ACTOR.workerProxy, { type: 'CloseDetails' }));

  return {
    // Connection state, session id and reconnect countdown.
    connection(v) {
      const box = $('connection-status');
      box.setAttribute('data-state', v.state);
      doc.body.setAttribute('data-connection', v.state);
      setText($('connection-label'), v.label);
      setText($('connection-detail'), v.detail);
      setText($('session-id'), v.sessionId ?? '—');
      setText($('reconnect-countdown'),
        v.retryInSeconds === null ? '' : String(v.retryInSeconds));
      $('reconnect-info').hidden = v.retryInSeconds === null;
      setText($('server-info'), serverInfo(v.server));
      $('reconnect-now').hidden = v.state !== 'closed';
    },

    // Workers, queue, recent tasks and counters.
    coordinator(m) {
      syncRows($('workers-body'), m.workers,
        { ...TABLE, keyAttr: 'data-worker-id', actions: true });
      syncRows($('recent-tasks-body'), m.tasks,
        { ...TABLE, keyAttr: 'data-task-id', actions: true });
      syncRows($('queue-next'), m.queue,
        { rowTag: 'li', cellTag: 'span', keyAttr: 'data-task-id',
          actions: true });
      for (const [id, text] of Object.entries(m.summary))
        setText($(id), text);
      const waiting = m.received ? '' : 'Waiting for the coordinator…';
      setText($('workers-empty'), waiting ||
        (m.workers.length === 0 ? 'No workers yet: register one.' : ''));
      setText($('recent-empty'), waiting ||
        (m.tasks.length === 0 ? 'No tasks yet.' : ''));
      setText($('queue-empty'), waiting ||
        (m.queue.length === 0 ? 'No tasks waiting.' : ''));
      syncRows($('known-workers'), m.workers.slice(0, MAX_KNOWN_WORKERS)
        .map((r) => ({ key: r.key, cells: [], actions: [] })),
      { rowTag: 'option', cellTag: 'span', keyAttr: 'value' });
    },

    // The process tree and the session count.
    tree(t) {
      syncRows($('process-tree-body'), t.rows,
        { ...TABLE, keyAttr: 'data-name' });
      setText($('session-count'), t.sessions === null ? '—' :
        String(t.sessions));
    },

    // The activity log, newest first.
    events(rows) {
      syncRows($('event-log'), rows,
        { rowTag: 'li', cellTag: 'span', keyAttr: 'data-seq' });
      setText($('event-log-empty'), rows.length === 0 ? 'No events yet.' : '');
    },

    // The inspected worker's panel.
    workerDetails(d) {
      const panel = $('worker-details');
      panel.hidden = d === null;
      if (d === null)
        return;
      setText($('worker-details-id'), d.workerId);
      setText($('worker-details-text'), d.text);
      setText($('worker-details-rtt'), d.rtt);
    },

    // Show notices; each goes away by itself or with its Dismiss button.
    notices(list, dropped) {
      const box = $('notices');
      list.forEach((n, i) => {
        const el = doc.createElement('div');
        el.className = 'notice';
        el.setAttribute('data-testid', 'notice');
        el.setAttribute('data-level', n.level);
        el.setAttribute('data-code', n.code ?? '');
        if (n.level === 'error')
          el.setAttribute('role', 'alert');
        const text = doc.createElement('p');
        text.textContent = i === list.length - 1 && dropped > 0 ?
          `${n.text} (and ${dropped} more)` : n.text;
        const close = doc.createElement('button');
        close.type = 'button';
        close.textContent = 'Dismiss';
        close.setAttribute('aria-label', `Dismiss: ${n.text}`);
        close.addEventListener('click', () => el.remove());
        el.append(text, close);
        box.append(el);
        setTimeout(() => el.remove(), NOTICE_MS[n.level] ?? NOTICE_MS.info);
      });
      while (box.children.length > MAX_NOTICES_SHOWN)
        box.firstElementChild.remove();
    },
  };
}

// "0.1.0" next to the page's title (which names actord already), or
// "<name> <version>" for a server of another name.
function serverInfo(server) {
  if (!server)
    return '';
  const version = server.version ?? '';
  if (server.name === undefined || server.name === 'actord')
    return version;
  return `${server.name} ${version}`.trim();
}

// Wire the register and assign forms to the coordinator proxy.
function bindForms(doc, $, send) {
  const workerId = $('worker-id');
  $('generate-worker-id').addEventListener('click', () => {
    workerId.value = generateWorkerId();
    showError($, 'worker-id', 'worker-id-error', '');
    workerId.focus();
  });
  $('register-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = parseWorkerForm({ workerId: workerId.value });
    showError($, 'worker-id', 'worker-id-error', r.ok ? '' : r.error);
    if (!r.ok)
      return;
    send(ACTOR.coordinatorProxy, { type: 'UserRequest',
      msgType: 'RegisterWorker', payload: r.payload });
    workerId.value = '';
  });

  const kind = $('task-kind');
  const hint = () => setText($('task-input-hint'), INPUT_HINTS[kind.value] ?? '');
  kind.addEventListener('change', hint);
  hint();
  const fields = ['task-kind', 'task-input', 'task-worker', 'task-id',
    'task-count'];
  $('assign-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = parseTaskForm({
      kind: kind.value, input: $('task-input').value,
      workerId: $('task-worker').value, taskId: $('task-id').value,
      count: $('task-count').value,
    });
    for (const f of fields)
      $(f).removeAttribute('aria-invalid');
    showError($, r.ok ? null : r.field, 'assign-error', r.ok ? '' : r.error);
    if (!r.ok)
      return;
    for (const payload of r.payloads)
      send(ACTOR.coordinatorProxy, { type: 'UserRequest',
        msgType: 'AssignTask', payload });
    $('task-id').value = '';
  });
}

// Show (or clear, with '') a form error next to the field it is about.
function showError($, fieldId, errorId, text) {
  setText($(errorId), text);
  if (fieldId === null)
    return;
  const field = $(fieldId);
  if (text === '')
    field.removeAttribute('aria-invalid');
  else {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
}
