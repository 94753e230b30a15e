// UIActor: keeps the latest state from the other actors and renders it.
//
// Messages only record state and mark a section dirty; rendering happens at
// most once per animation frame, so a burst of pushes costs one render. The
// actual DOM work is done by an injected view (dom-view.js in the page, a
// recording fake in tests), given the view models of view-model.js.

import { errorNotice } from './notices.js';
import { emptyStatus } from './coordinator-proxy.js';
import { connectionView } from './connection-monitor.js';
import { delayedSummary, eventRows, hostTreeViews, kindChoices, queueRows,
  summaryView, taskDetailView, taskFilterView, taskListView, taskRows,
  treeRows, workerDetailsView, workerRows } from './view-model.js';

export const MAX_NOTICES_PER_FRAME = 3;
export const TICK_MS = 1000;

export class UIActor {
  // Options: view (the renderer), requestFrame (requestAnimationFrame),
  // now() for tests.
  constructor({ view, requestFrame = (cb) => requestAnimationFrame(cb),
    now = () => Date.now() }) {
    this.view = view;
    this.now = now;
    this.requestFrame = requestFrame;
    this.dirty = new Set();
    this.framePending = false;
    this.ticker = null;
    this.status = emptyStatus();
    this.connection = connectionView(null, 0);
    this.events = [];
    this.tree = null;
    this.hosts = null;   /* in a cluster, every host's tree */
    this.details = null;
    this.notices = [];
    this.dropped = 0;    /* notices beyond the per-frame bound */
    this.kinds = null;   /* the coordinator's task kinds, once it said */
    this.taskList = null;
    this.taskDetail = null;
    this.queueNames = '';
  }

  // Record what a message says and schedule a render.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      if (this.ticker === null)
        this.ticker = setInterval(() => ctx.send(ctx.self, { type: 'Tick' }),
          TICK_MS);
      this.markAll(ctx);
      return;
    case 'Frame':
      this.render();
      return;
    case 'Tick':
      if (this.tree === null)
        return;
      this.mark(ctx, 'tree');
      return;
    case 'Coordinator': {
      this.status = msg.status;
      this.mark(ctx, 'coordinator');
      const names = (msg.status.queues ?? []).map((q) => q.name).join(' ');
      if (names !== this.queueNames) {
        this.queueNames = names;
        this.mark(ctx, 'taskFilters');
      }
      return;
    }
    case 'KindList':
      this.kinds = msg.kinds;
      this.mark(ctx, 'kinds');
      this.mark(ctx, 'taskFilters');
      this.mark(ctx, 'taskDetail');
      return;
    case 'TaskList':
      this.taskList = msg.list;
      this.mark(ctx, 'tasks');
      this.mark(ctx, 'taskFilters');
      return;
    case 'TaskDetail':
      this.taskDetail = msg.detail;
      this.mark(ctx, 'taskDetail');
      return;
    case 'Connection':
      this.connection = msg.view;
      this.mark(ctx, 'connection');
      return;
    case 'EventList':
      this.events = msg.events;
      this.mark(ctx, 'events');
      return;
    case 'Tree':
      this.tree = msg.tree;
      this.hosts = msg.hosts ?? null;
      this.mark(ctx, 'tree');
      return;
    case 'WorkerDetails':
      this.details = msg.details;
      this.mark(ctx, 'details');
      return;
    case 'Notice':
      this.addNotice(ctx, { level: msg.level, code: msg.code, text: msg.text,
        key: msg.key, sticky: msg.sticky, clears: msg.clears,
        silent: msg.silent });
      return;
    case 'Error':
      this.addNotice(ctx, errorNotice(msg.payload, null, msg.from));
      return;
    case 'SessionEstablished':
      return;  /* the connection monitor shows the session */
    default:
      console.warn(`ui: unexpected ${msg.type}`);
    }
  }

  // Queue a notice, keeping only the newest few until the next frame.
  addNotice(ctx, notice) {
    this.notices.push(notice);
    if (this.notices.length > MAX_NOTICES_PER_FRAME) {
      /* the oldest that neither stays nor clears one that does */
      const i = this.notices.findIndex((n) => !n.sticky && !n.clears);
      const [gone] = this.notices.splice(i === -1 ? 0 : i, 1);
      if (!gone.silent)
        this.dropped++;
    }
    this.mark(ctx, 'notices');
  }

  // Mark every section dirty (first render).
  markAll(ctx) {
    for (const s of ['coordinator', 'connection', 'events', 'tree', 'details'])
      this.mark(ctx, s);
  }

  // Mark one section dirty and ask for a frame if none is pending.
  mark(ctx, section) {
    this.dirty.add(section);
    if (this.framePending)
      return;
    this.framePending = true;
    this.requestFrame(() => ctx.send(ctx.self, { type: 'Frame' }));
  }

  // Render the dirty sections through the view.
  render() {
    this.framePending = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    const v = this.view;
    if (dirty.has('connection'))
      v.connection(this.connection);
    if (dirty.has('coordinator'))
      v.coordinator({
        received: this.status.received,
        workers: workerRows(this.status),
        tasks: taskRows(this.status),
        queue: queueRows(this.status),
        summary: summaryView(this.status),
        more: delayedSummary(this.status),
        queues: (this.status.queues ?? []).map((q) => q.name),
        cluster: Boolean(this.status.hosts),
      });
    if (dirty.has('tree') && this.tree !== null)
      v.tree({ rows: treeRows(this.tree, this.now()),
        sessions: this.tree.sessions,
        hosts: this.hosts === null ? null :
          hostTreeViews(this.hosts, this.now()) });
    if (dirty.has('events'))
      v.events(eventRows(this.events));
    if (dirty.has('details'))
      v.workerDetails(workerDetailsView(this.details));
    if (dirty.has('kinds') && this.kinds !== null)
      v.kinds({ choices: kindChoices(this.kinds), kinds: this.kinds });
    if (dirty.has('taskFilters') && this.taskList !== null)
      v.taskFilters(taskFilterView(this.taskList.filters, this.kinds,
        this.status.queues ?? []));
    if (dirty.has('tasks') && this.taskList !== null)
      v.tasks(taskListView(this.taskList, this.now()));
    if (dirty.has('taskDetail'))
      v.taskDetail(taskDetailView(this.taskDetail, this.kinds, this.now()));
    if (dirty.has('notices')) {
      v.notices(this.notices, this.dropped);
      this.notices = [];
      this.dropped = 0;
    }
  }
}
