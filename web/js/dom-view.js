// The page's DOM: applies view models from the UIActor and turns the user's
// input into messages for the actors. The only module that touches the
// document.

import { ACTOR } from './names.js';
import { onRowAction, setOptions, setText, syncRows } from './dom.js';
import { BUILTIN_KINDS, generateWorkerId, inputHint, parseId, parseTaskForm,
  parseWorkerForm } from './forms.js';
import { TASKS_ANCHOR, emptyFilters, formatRoute, parseRoute }
  from './task-route.js';

export const MAX_NOTICES_SHOWN = 3;
export const MAX_KNOWN_WORKERS = 500;
const NOTICE_MS = { info: 6000, error: 15000 };

const TABLE = { rowTag: 'tr', cellTag: 'td', rowHeader: true, roles: true };

// Bind the page in `doc`; `send(actor, msg)` delivers to the actors.
export function createDomView(doc, send) {
  const $ = (id) => doc.getElementById(id);
  /* the task kinds the assign form offers; the open task's id */
  const state = { kinds: BUILTIN_KINDS, detailId: null };
  /* in a cluster, the other hosts' trees: host -> {el, label, body, empty} */
  const hostTrees = new Map();
  const assign = bindForms(doc, $, send, state);
  bindTasks(doc, $, send, state);

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
      $('workers-host').hidden = !m.cluster;
      syncRows($('workers-body'), m.workers,
        { ...TABLE, keyAttr: 'data-worker-id', actions: true });
      syncRows($('recent-tasks-body'), m.tasks,
        { ...TABLE, keyAttr: 'data-task-id', actions: true });
      syncRows($('queue-next'), m.queue,
        { rowTag: 'li', cellTag: 'span', keyAttr: 'data-task-id',
          actions: true });
      for (const [id, text] of Object.entries({ ...m.summary, ...m.more }))
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
      syncRows($('known-queues'), (m.queues ?? []).map((q) =>
        ({ key: q, cells: [], actions: [] })),
      { rowTag: 'option', cellTag: 'span', keyAttr: 'value' });
    },

    // The coordinator's task kinds (GetKinds): the assign form offers them.
    kinds(v) {
      state.kinds = v.kinds;
      setOptions($('task-kind'), v.choices, $('task-kind').value);
      assign.hint();
    },

    // The tasks view's filters: the choices, and the ones in force.
    taskFilters(v) {
      setOptions($('tasks-status'), v.status.options, v.status.value);
      setOptions($('tasks-kind'), v.kind.options, v.kind.value);
      setOptions($('tasks-queue'), v.queue.options, v.queue.value);
      const worker = $('tasks-worker');
      if (doc.activeElement !== worker && worker.value !== v.workerId)
        worker.value = v.workerId;
    },

    // The tasks view's page of tasks and its pager.
    tasks(m) {
      syncRows($('tasks-list-body'), m.rows,
        { ...TABLE, keyAttr: 'data-task-id', actions: true });
      $('tasks-list').setAttribute('aria-busy', String(m.loading));
      setText($('tasks-page'), m.page);
      $('tasks-newest').disabled = !m.hasNewer;
      $('tasks-newer').disabled = !m.hasNewer;
      $('tasks-older').disabled = !m.hasOlder;
      setText($('tasks-empty'), m.empty);
      setText($('tasks-error'), m.error);
    },

    // The open task: its record, attempts, output and buttons.
    taskDetail(d) {
      const panel = $('task-detail');
      panel.hidden = d === null;
      if (d === null) {
        state.detailId = null;
        return;
      }
      const opened = state.detailId !== d.taskId;
      state.detailId = d.taskId;
      panel.setAttribute('data-state', d.state);
      setText($('task-detail-id'), d.taskId);
      const status = $('task-detail-status');
      setText(status, d.status);
      status.setAttribute('data-status', d.status);
      setText($('task-detail-live'), d.live);
      setText($('task-detail-message'), d.message);
      fields($('task-detail-fields'), d.fields);
      for (const [id, text] of [['task-detail-input', d.input],
        ['task-detail-result', d.result], ['task-detail-error', d.error],
        ['task-detail-output', d.output]]) {
        setText($(id), text);
        $(`${id}-box`).hidden = text === '' &&
          !(id === 'task-detail-output' && d.outputNote !== '');
      }
      setText($('task-detail-output-note'), d.outputNote);
      syncRows($('task-history-body'), d.history,
        { ...TABLE, keyAttr: 'data-attempt' });
      $('task-history-box').hidden = d.history.length === 0;
      for (const a of ['retry', 'cancel', 'delete'])
        $(`task-${a}`).hidden = !d.actions.includes(a);
      if (opened)
        panel.focus();
    },

    // The process tree and the session count; in a cluster, this host's
    // tree labelled, and every other host's after it.
    tree(t) {
      syncRows($('process-tree-body'), t.rows,
        { ...TABLE, keyAttr: 'data-name' });
      setText($('session-count'), t.sessions === null ? '—' :
        String(t.sessions));
      const local = t.hosts?.find((h) => h.local) ?? null;
      $('tree-local-label').hidden = local === null;
      labelTree($('tree-local'), $('tree-local-label'), local);
      syncHostTrees(doc, $, hostTrees,
        (t.hosts ?? []).filter((h) => !h.local));
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

    // Show notices; each goes away by itself or with its Dismiss button,
    // except a sticky one, which stays until one that clears its key (a
    // silent one only clears).
    notices(list, dropped) {
      const box = $('notices');
      list.forEach((n, i) => {
        for (const old of [...box.children]) {
          const key = old.getAttribute('data-key');
          if (key && (key === n.clears || key === n.key))
            old.remove();
        }
        if (n.silent)
          return;
        const el = doc.createElement('div');
        el.className = 'notice';
        el.setAttribute('data-testid', 'notice');
        el.setAttribute('data-level', n.level);
        el.setAttribute('data-code', n.code ?? '');
        if (n.key)
          el.setAttribute('data-key', n.key);
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
        if (!n.sticky)
          setTimeout(() => el.remove(), NOTICE_MS[n.level] ?? NOTICE_MS.info);
      });
      while (box.children.length > MAX_NOTICES_SHOWN)
        ([...box.children].find((el) => !el.hasAttribute('data-key')) ??
          box.firstElementChild).remove();
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

// Say whose a tree is (a host of hostTreeViews, or null outside a
// cluster): the section's data-host and data-state, and its label.
function labelTree(section, label, h) {
  if (h === null) {
    section.removeAttribute('data-host');
    section.removeAttribute('data-state');
    return;
  }
  section.setAttribute('data-host', h.key);
  section.setAttribute('data-state', h.state);
  const [name, state, detail] = label.children;
  setText(name, h.key);
  setText(state, h.state);
  state.setAttribute('data-status', h.state);
  setText(detail, h.detail);
}

// Make #host-trees hold a section per other host, in the order given:
// `sections` (host -> {el, label, body, empty}) keeps them between
// renders; a section is moved only when out of place, so focus and
// scroll stay.
function syncHostTrees(doc, $, sections, hosts) {
  const box = $('host-trees');
  for (const [host, section] of sections)
    if (!hosts.some((h) => h.key === host)) {
      section.el.remove();
      sections.delete(host);
    }
  let cursor = box.firstElementChild;
  for (const h of hosts) {
    let section = sections.get(h.key);
    if (section === undefined) {
      section = hostSection(doc, $, h.key);
      sections.set(h.key, section);
    }
    if (section.el === cursor)
      cursor = cursor.nextElementSibling;
    else
      box.insertBefore(section.el, cursor);
    labelTree(section.el, section.label, h);
    syncRows(section.body, h.rows, { ...TABLE, keyAttr: 'data-name' });
    setText(section.empty, h.empty);
  }
}

// A section for another host's tree: a label like this host's, a table
// with the process table's head, and a line for while it has no rows.
function hostSection(doc, $, host) {
  const el = doc.createElement('div');
  el.className = 'host-tree';
  const label = $('tree-local-label').cloneNode(true);
  label.id = `tree-label-${host}`;
  label.hidden = false;
  const scroll = doc.createElement('div');
  scroll.className = 'scroll';
  scroll.tabIndex = 0;
  scroll.setAttribute('role', 'region');
  scroll.setAttribute('aria-labelledby', label.id);
  const table = doc.createElement('table');
  table.className = 'stack';
  table.setAttribute('role', 'table');
  const body = doc.createElement('tbody');
  body.setAttribute('role', 'rowgroup');
  table.append($('process-tree').tHead.cloneNode(true), body);
  scroll.append(table);
  const empty = doc.createElement('p');
  empty.className = 'empty';
  empty.setAttribute('data-testid', 'host-empty');
  el.append(label, scroll, empty);
  return { el, label, body, empty };
}

// A <dl> of the open task's fields: <div data-field><dt><dd></div> each.
function fields(dl, list) {
  const sig = JSON.stringify(list);
  if (dl.getAttribute('data-sig') === sig)
    return;
  dl.setAttribute('data-sig', sig);
  const doc = dl.ownerDocument;
  dl.replaceChildren(...list.map((f) => {
    const div = doc.createElement('div');
    div.setAttribute('data-field', f.name);
    const dt = doc.createElement('dt');
    dt.textContent = f.label;
    const dd = doc.createElement('dd');
    dd.textContent = f.text;
    div.append(dt, dd);
    return div;
  }));
}

// Wire the tasks view: the fragment (#task=ID&status=...) is where it is,
// so every change goes through it (history: back and forward), and the
// TasksActor follows it on each hashchange.
function bindTasks(doc, $, send, state) {
  const win = doc.defaultView;
  /* another anchor of the page (the skip link's #main) is not a route */
  const navigate = (first = false) => {
    const hash = win.location.hash;
    const route = hash === '' || hash === TASKS_ANCHOR || hash.includes('=');
    if (route || first)
      send(ACTOR.tasks, { type: 'Navigate', hash: route ? hash : '' });
  };
  const go = (route) => {
    const hash = formatRoute(route);
    if (hash !== win.location.hash)
      win.location.hash = hash;  /* hashchange: navigate() */
  };
  const current = () => parseRoute(win.location.hash);
  win.addEventListener('hashchange', () => navigate());
  navigate(true);

  const filters = () => ({ status: $('tasks-status').value,
    kind: $('tasks-kind').value, queue: $('tasks-queue').value,
    workerId: $('tasks-worker').value.trim() });
  const apply = () => {
    const f = filters();
    const id = f.workerId === '' ? { ok: true } :
      parseId(f.workerId, 'worker id');
    showError($, 'tasks-worker', 'tasks-filter-error', id.ok ? '' : id.error);
    if (id.ok)
      go({ taskId: current().taskId, filters: f });
  };
  for (const id of ['tasks-status', 'tasks-kind', 'tasks-queue'])
    $(id).addEventListener('change', apply);
  $('tasks-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  $('tasks-clear').addEventListener('click', () => {
    $('tasks-worker').value = '';
    showError($, 'tasks-worker', 'tasks-filter-error', '');
    go({ taskId: current().taskId, filters: emptyFilters() });
  });
  $('task-open-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = parseId($('task-open-id').value, 'task id');
    showError($, 'task-open-id', 'task-open-error', id.ok ? '' : id.error);
    if (!id.ok)
      return;
    $('task-open-id').value = '';
    go({ taskId: id.value, filters: current().filters });
  });
  for (const page of ['newest', 'newer', 'older'])
    $(`tasks-${page}`).addEventListener('click', () =>
      send(ACTOR.tasks, { type: 'ShowPage', page }));
  onRowAction($('tasks-list-body'), 'data-task-id', (action, taskId) =>
    send(ACTOR.tasks, { type: 'TaskAction', action, taskId }));
  for (const action of ['retry', 'cancel', 'delete'])
    $(`task-${action}`).addEventListener('click', () => {
      if (state.detailId !== null)
        send(ACTOR.tasks, { type: 'TaskAction', action,
          taskId: state.detailId });
    });
  $('task-close').addEventListener('click', () =>
    go({ taskId: null, filters: current().filters }));
}

// Wire the register and assign forms to the coordinator proxy; returns
// {hint()}, which shows the chosen kind's input hint.
function bindForms(doc, $, send, state) {
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
  const hint = () => setText($('task-input-hint'),
    inputHint(kind.value, state.kinds));
  kind.addEventListener('change', hint);
  hint();
  const fields = ['task-kind', 'task-input', 'task-worker', 'task-id',
    'task-count', 'task-queue', 'task-priority', 'task-delay',
    'task-attempts'];
  $('assign-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = parseTaskForm({
      kind: kind.value, input: $('task-input').value,
      workerId: $('task-worker').value, taskId: $('task-id').value,
      count: $('task-count').value, queue: $('task-queue').value,
      priority: $('task-priority').value, delay: $('task-delay').value,
      attempts: $('task-attempts').value,
    }, state.kinds);
    if (!r.ok && r.field !== 'task-kind' && r.field !== 'task-input' &&
        $(r.field).closest('details') !== null)
      $(r.field).closest('details').open = true;
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
  return { hint };
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
