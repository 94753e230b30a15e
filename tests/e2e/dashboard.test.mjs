// The dashboard end to end: Debian's chromium, driven by playwright-core,
// against a real actord started on a free port (tree.mjs).
//
// The steps run in order and share one tree and two browser contexts (A at
// /, B at /dashboard-actors.html, never reloaded). A step that fails makes
// the later ones skip, and leaves tests/out/e2e-failure-<n>.png behind.
// The screenshots go to tests/out/dashboard.png and dashboard-phone.png.
//
// Every wait is an auto-waiting selector or a page.waitForFunction with a
// generous timeout; nothing sleeps. States that can be brief (a task
// running, a notice, the socket closed) are not caught by polling: a
// MutationObserver installed before the page's own scripts records every
// state each render shows (window.__e2e.seen), and a spy on the WebSocket
// records the replies and closes (window.__e2e.frames, .closes).
//
//   CHROMIUM     the browser (default /usr/bin/chromium; never a download)
//   E2E_WAIT_MS  how long one wait may take (default 20000)
//   BINDIR       actord and actorctl (default bin)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PHONE, WAIT, launchChromium } from './browser.mjs';
import { ROOT, startTree } from './tree.mjs';

const OUT = join(ROOT, 'tests', 'out');
const DESKTOP = { viewport: { width: 1280, height: 900 } };

// The coordinator's second quick restart waits BACKOFF_MS, much longer
// than a request waits for it (ACTOR_WAIT_MS): a request sent early in
// the wait is answered unavailable, for sure, and the page must say so.
// The first restart is immediate, well within ACTOR_WAIT_MS.
const ACTOR_WAIT_MS = 2500;
const BACKOFF_MS = 8000;
const CONFIG = `
[supervisor]
backoff_initial_ms = ${BACKOFF_MS}
backoff_max_ms = ${BACKOFF_MS}
stable_ms = 60000

[session]
actor_wait_ms = ${ACTOR_WAIT_MS}
`;

// Runs in the page before its scripts: the recorders described above.
function installRecorders() {
  const e2e = { seen: new Set(), frames: [], closes: 0 };
  window.__e2e = e2e;
  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener('close', () => { e2e.closes++; });
      this.addEventListener('message', (ev) => {
        try {
          const m = JSON.parse(ev.data);
          if (m.type !== 'StatusUpdated' && m.type !== 'TreeUpdated' &&
              m.type !== 'LogEvent')
            e2e.frames.push(m);
        } catch { /* not ours to judge */ }
      });
    }
  };
  const text = (row, name) =>
    row.querySelector(`[data-testid="${name}"]`)?.textContent ?? '';
  const scan = () => {
    const add = (s) => e2e.seen.add(s);
    const conn = document.getElementById('connection-status');
    if (conn)
      add(`conn:${conn.dataset.state}:` +
        document.getElementById('session-id').textContent);
    for (const r of document.querySelectorAll('#recent-tasks-body tr'))
      add(`task:${r.dataset.taskId}:${text(r, 'status')}`);
    for (const r of document.querySelectorAll('#workers-body tr'))
      add(`worker:${r.dataset.workerId}:${text(r, 'status')}:` +
        text(r, 'current-task'));
    for (const r of document.querySelectorAll('#process-tree-body tr'))
      add(`proc:${r.dataset.name}:${text(r, 'state')}:${text(r, 'pid')}`);
    for (const n of document.querySelectorAll('#notices [data-testid=notice]'))
      add(`notice:${n.dataset.code}`);
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(scan).observe(document.body, { subtree: true,
      childList: true, characterData: true, attributes: true });
    scan();
  });
}

let tree = null;
let browser = null;
const pages = {};         /* A and B: two contexts; phone later */
const pageErrors = [];    /* uncaught exceptions in any page */
let failed = null;        /* the first step that failed */
let shots = 0;

// One step of the scenario: skipped after a failure; on failure, saves a
// screenshot of page A and adds actord's last log lines to the error.
function step(name, fn, timeout = 90000) {
  test(name, { timeout }, async (t) => {
    if (failed !== null) {
      t.skip(`an earlier step failed: ${failed}`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      const shot = join(OUT, `e2e-failure-${++shots}.png`);
      await pages.A?.screenshot({ path: shot, fullPage: true })
        .catch(() => {});
      e.message += `\n# screenshot: ${shot}` +
        `\n# page errors: ${JSON.stringify(pageErrors)}` +
        `\n# actord.log:\n${tree?.logTail(25) ?? ''}`;
      throw e;
    }
  });
}

// A new context (DESKTOP or PHONE) and page at `path`, with the recorders;
// resolves once the connection is open with a session id.
async function openDashboard(path, device = DESKTOP) {
  const context = await browser.newContext(device);
  await context.addInitScript(installRecorders);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(new URL(path, tree.url).href);
  await waitOpen(page);
  return page;
}

// Wait for the connection to be open with a session id; the id.
async function waitOpen(page, notSession = null) {
  await page.waitForFunction((old) => {
    const s = document.getElementById('connection-status').dataset.state;
    const id = document.getElementById('session-id').textContent;
    return s === 'open' && /^[0-9a-f]{8,}$/.test(id) && id !== old;
  }, notSession, { timeout: WAIT });
  return page.textContent('#session-id');
}

// Wait until the recorder has seen `what` (see installRecorders).
function waitSeen(page, what) {
  return page.waitForFunction((s) => window.__e2e.seen.has(s), what,
    { timeout: WAIT });
}

// Every recorded state that starts with `prefix`.
function seenWith(page, prefix) {
  return page.evaluate((p) => [...window.__e2e.seen]
    .filter((s) => s.startsWith(p)), prefix);
}

// The replies recorded by the WebSocket spy, of one type.
function frames(page, type) {
  return page.evaluate((ty) => window.__e2e.frames
    .filter((f) => f.type === ty), type);
}

// Wait for an element, by selector, to exist.
function waitFor(page, selector) {
  return page.waitForSelector(selector, { state: 'attached', timeout: WAIT });
}

// Wait for an element's text to be `text` exactly.
function waitText(page, selector, text) {
  return page.waitForFunction(([sel, want]) =>
    document.querySelector(sel)?.textContent === want, [selector, text],
  { timeout: WAIT });
}

// Wait for one cell of a row to read `text` exactly.
function waitCell(page, rowSelector, cell, text) {
  return waitText(page, `${rowSelector} [data-testid="${cell}"]`, text);
}

// The text of every cell of a row, by data-testid.
function rowCells(page, selector) {
  return page.$eval(selector, (r) => Object.fromEntries(
    [...r.querySelectorAll('[data-testid]')].map((c) =>
      [c.dataset.testid, c.textContent])));
}

// Fill in the assign form and click "Assign task".
async function assign(page, { kind, input, taskId, workerId = '' }) {
  await page.selectOption('#task-kind', kind);
  await page.fill('#task-input', input);
  await page.fill('#task-worker', workerId);
  await page.fill('#task-id', taskId);
  await page.fill('#task-count', '1');
  await page.click('#assign-task');
}

// The pid of a process as the page shows it.
async function shownPid(page, name) {
  return Number(await page.textContent(
    `#process-tree tr[data-name="${name}"] [data-testid=pid]`));
}

// The processes of the tree according to actorctl, by name.
async function ctlProcesses() {
  const st = await tree.ctlJson('status');
  return Object.fromEntries(st.processes.map((p) => [p.name, p]));
}

const W1 = 'e2e-w1';
const TASK_ROW = (id) => `#recent-tasks tr[data-task-id="${id}"]`;
const WORKER_ROW = (id) => `#workers tr[data-worker-id="${id}"]`;
const PROC_ROW = (name) => `#process-tree tr[data-name="${name}"]`;
// The notice, kept until it is back, that the coordinator went away.
const LOST_COORD =
  '#notices [data-testid=notice][data-key="lost coordinator:main"]';
const PROCESSES = ['eventlog', 'coordinator', 'worker', 'gateway'];

// Wait until every task in `ids` shows "completed" on a page.
async function allCompleted(page, ids) {
  for (const id of ids)
    await waitCell(page, TASK_ROW(id), 'status', 'completed');
}

// Wait until the page shows `name` up with a pid other than `oldPid`;
// the new pid.
async function waitRestarted(page, name, oldPid) {
  await page.waitForFunction(([sel, old]) => {
    const pid = document.querySelector(`${sel} [data-testid=pid]`);
    const st = document.querySelector(`${sel} [data-testid=state]`);
    return st?.textContent === 'up' && /^\d+$/.test(pid.textContent) &&
      Number(pid.textContent) !== old;
  }, [PROC_ROW(name), oldPid], { timeout: WAIT });
  return shownPid(page, name);
}

// The event log's seqs as shown, top to bottom.
function shownSeqs(page) {
  return page.$$eval('#event-log li', (ls) => ls.map((l) =>
    Number(l.dataset.seq)));
}

describe('dashboard in chromium against a real actord', { timeout: 300000 },
  () => {
    before(async () => {
      mkdirSync(OUT, { recursive: true });
      tree = await startTree({ config: CONFIG });
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      if (tree !== null) {
        const clean = await tree.stop();
        assert.ok(clean, 'actorctl shutdown left processes behind');
      }
    });

    step('the page loads at / and connects, with a session id', async () => {
      pages.A = await openDashboard('/');
      const id = await pages.A.textContent('#session-id');
      assert.match(id, /^[0-9a-f]{8,}$/);
      assert.equal(await pages.A.title(), 'actord dashboard');
      await waitText(pages.A, '#workers-empty',
        'No workers yet: register one.');
      await waitText(pages.A, '#recent-empty', 'No tasks yet.');
      // The same page at its second address, in a second context that
      // stays open, and is never reloaded, to the end.
      pages.B = await openDashboard('/dashboard-actors.html');
      assert.notEqual(await pages.B.textContent('#session-id'), id);
      await pages.B.evaluate(() => { window.__e2eMark = 'no reload'; });
    });

    step('the process tree shows the four processes up, with their pids',
      async () => {
        const ctl = await ctlProcesses();
        for (const name of PROCESSES) {
          await waitCell(pages.A, PROC_ROW(name), 'state', 'up');
          assert.equal(await shownPid(pages.A, name), ctl[name].pid, name);
          assert.equal(await pages.A.textContent(
            `${PROC_ROW(name)} [data-testid=restarts]`), '0');
        }
        await pages.A.waitForFunction(() => Number(document.getElementById(
          'session-count').textContent) >= 2, null, { timeout: WAIT });
      });

    step('register a worker by typing its id and clicking', async () => {
      await pages.A.fill('#worker-id', W1);
      await pages.A.click('#register-worker');
      await waitFor(pages.A, `${WORKER_ROW(W1)} [data-testid=status]` +
        '[data-status=idle]');
      assert.deepEqual(await rowCells(pages.A, WORKER_ROW(W1)), {
        id: W1, status: 'idle', 'current-task': '—', processed: '0',
        actions: 'InspectUnregister' });
      await waitSeen(pages.A, 'notice:WorkerRegistered');
      assert.equal(await pages.A.inputValue('#worker-id'), '');
      await waitText(pages.A, '#count-workers', '1');
      await waitText(pages.A, '#workers-empty', '');
    });

    step('register a generated worker id', async () => {
      await pages.A.click('#generate-worker-id');
      const id = await pages.A.inputValue('#worker-id');
      assert.match(id, /^w-[0-9a-z]{6}$/);
      await pages.A.click('#register-worker');
      await waitFor(pages.A, `${WORKER_ROW(id)} [data-testid=status]` +
        '[data-status=idle]');
      await pages.A.click(`${WORKER_ROW(id)} button[data-action=unregister]`);
      await pages.A.waitForSelector(WORKER_ROW(id),
        { state: 'detached', timeout: WAIT });
    });

    step('assign an echo and a sleep task by clicking: they run and complete',
      async () => {
        const A = pages.A;
        await assign(A, { kind: 'echo', input: 'hello e2e',
          taskId: 'e2e-echo' });
        await waitCell(A, TASK_ROW('e2e-echo'), 'status', 'completed');
        assert.deepEqual(await rowCells(A, TASK_ROW('e2e-echo')), {
          id: 'e2e-echo', status: 'completed', worker: W1, attempts: '1',
          outcome: 'hello e2e', actions: '' });

        await assign(A, { kind: 'sleep', input: '1500',
          taskId: 'e2e-sleep' });
        // While it runs: the task is running and the worker busy with it.
        await waitSeen(A, 'task:e2e-sleep:running');
        await waitSeen(A, `worker:${W1}:busy:e2e-sleep`);
        await waitCell(A, TASK_ROW('e2e-sleep'), 'status', 'completed');
        assert.equal(await A.textContent(
          `${TASK_ROW('e2e-sleep')} [data-testid=outcome]`),
        '{"sleptMs":1500}');
        await waitCell(A, WORKER_ROW(W1), 'processed', '2');
        await waitCell(A, WORKER_ROW(W1), 'status', 'idle');
        assert.equal(await A.textContent('#count-completed'), '2');
        const accepted = (await frames(A, 'TaskAccepted'))
          .map((f) => f.payload.taskId);
        assert.deepEqual(accepted, ['e2e-echo', 'e2e-sleep']);
      });

    step('a second context sees the same workers and tasks, without reload',
      async () => {
        const A = pages.A;
        const B = pages.B;
        await waitCell(B, WORKER_ROW(W1), 'processed', '2');
        await waitCell(B, TASK_ROW('e2e-sleep'), 'status', 'completed');
        for (const sel of [WORKER_ROW(W1), TASK_ROW('e2e-echo'),
          TASK_ROW('e2e-sleep')])
          assert.deepEqual(await rowCells(B, sel), await rowCells(A, sel), sel);
        assert.equal(await B.textContent('#count-completed'), '2');
        // B saw the sleep task run, live.
        assert.ok((await seenWith(B, 'task:e2e-sleep:'))
          .includes('task:e2e-sleep:running'));
        assert.equal(await B.evaluate(() => window.__e2eMark), 'no reload');
      });

    step('the activity log shows the registration and the completions',
      async () => {
        for (const p of [pages.A, pages.B])
          for (const text of [`worker ${W1} registered`,
            `task e2e-echo completed by ${W1}`,
            `task e2e-sleep completed by ${W1}`])
            await p.waitForFunction((t) => [...document.querySelectorAll(
              '#event-log li [data-testid=message]')]
              .some((m) => m.textContent.startsWith(t)), text,
            { timeout: WAIT });
        // Newest first, one entry per seq.
        const seqs = await shownSeqs(pages.A);
        assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => b - a));
      });

    step('kill -9 the coordinator: the page follows its restart, no task lost',
      async () => {
        const A = pages.A;
        const session = await A.textContent('#session-id');
        const oldPid = await shownPid(A, 'coordinator');
        // A task is running on the worker when the coordinator dies.
        await assign(A, { kind: 'sleep', input: '2000',
          taskId: 'e2e-inflight' });
        await waitSeen(A, `worker:${W1}:busy:e2e-inflight`);
        await tree.ctl('kill', 'coordinator', 'KILL');
        // One more, clicked at once: it waits for the new coordinator.
        await assign(A, { kind: 'echo', input: '"during"',
          taskId: 'e2e-during' });
        const newPid = await waitRestarted(A, 'coordinator', oldPid);
        assert.equal(newPid, (await ctlProcesses()).coordinator.pid);
        assert.deepEqual(await rowCells(A, PROC_ROW('coordinator')).then(
          (c) => [c.restarts, c['last-exit']]), ['1', 'killed by SIGKILL']);
        // The worker is still there; both tasks complete.
        await waitFor(A, WORKER_ROW(W1));
        await allCompleted(A, ['e2e-inflight', 'e2e-during']);
        assert.equal(await A.textContent(
          `${TASK_ROW('e2e-during')} [data-testid=outcome]`), 'during');
        await waitCell(A, WORKER_ROW(W1), 'status', 'idle');
        // The WebSocket was not dropped: same session all along.
        assert.equal(await A.textContent('#session-id'), session);
        assert.deepEqual(await seenWith(A, 'conn:closed'), []);
        // B followed too.
        await waitCell(pages.B, PROC_ROW('coordinator'), 'pid', String(newPid));
        await allCompleted(pages.B, ['e2e-inflight', 'e2e-during']);
      });

    step('kill it again while it restarts: the page shows backoff and ' +
      'unavailable, then the right state', async (t) => {
      const A = pages.A;
      const oldPid = await shownPid(A, 'coordinator');
      // Within stable_ms of its last start: this restart waits BACKOFF_MS.
      const killed = Date.now();
      await tree.ctl('kill', 'coordinator', 'KILL');
      await waitCell(A, PROC_ROW('coordinator'), 'state', 'backoff');
      assert.equal(await A.textContent(
        `${PROC_ROW('coordinator')} [data-testid=pid]`), '—');
      // The session said it went away; the page keeps saying so.
      await waitFor(A, LOST_COORD);
      assert.match(await A.textContent(`${LOST_COORD} p`),
        /^coordinator:main went away \(its process stopped\)/);
      await assign(A, { kind: 'echo', input: 'while down',
        taskId: 'e2e-backoff' });
      const clicked = Date.now() - killed;
      t.diagnostic(`assigned ${clicked} ms after the kill`);
      assert.ok(clicked < BACKOFF_MS - ACTOR_WAIT_MS - 1000, 'too slow to ' +
        `click: ${clicked} ms after the kill, the coordinator may be back`);
      // After ACTOR_WAIT_MS the session answers unavailable, and the page
      // says so (the process is still in backoff: BACKOFF_MS is longer).
      const ANSWER = '#notices [data-testid=notice][data-code=unavailable]' +
        ':not([data-key])';
      await waitFor(A, ANSWER);
      const notice = await A.textContent(`${ANSWER} p`);
      assert.match(notice,
        /^AssignTask e2e-backoff failed: .*coordinator:main/);
      assert.match(notice, /try again in a moment/);
      // Then it is back with a new pid and the right state.
      const newPid = await waitRestarted(A, 'coordinator', oldPid);
      assert.equal(await A.textContent(
        `${PROC_ROW('coordinator')} [data-testid=restarts]`), '2');
      assert.equal(newPid, (await ctlProcesses()).coordinator.pid);
      // Back: the notice that it went away gives way to one saying so.
      await waitFor(A, '#notices [data-testid=notice][data-code=back]');
      assert.equal(await A.$$eval(LOST_COORD, (l) => l.length), 0);
      await waitCell(A, WORKER_ROW(W1), 'status', 'idle');
      await assign(A, { kind: 'echo', input: 'after', taskId: 'e2e-after' });
      await waitCell(A, TASK_ROW('e2e-after'), 'status', 'completed');

      // No task lost: every task the coordinator accepted completed, as
      // both pages show.
      const accepted = (await frames(A, 'TaskAccepted'))
        .map((f) => f.payload.taskId);
      assert.deepEqual(accepted.sort(), ['e2e-after', 'e2e-during',
        'e2e-echo', 'e2e-inflight', 'e2e-sleep']);
      await allCompleted(A, accepted);
      await allCompleted(pages.B, accepted);
      const errors = await frames(A, 'Error');
      assert.deepEqual(errors.filter((e) => e.replyTo)
        .map((e) => e.payload.code), ['unavailable']);
      assert.ok(errors.filter((e) => !e.replyTo).every((e) =>
        e.from === 'coordinator:main' && /went away/.test(e.payload.error)),
      JSON.stringify(errors));
      // What became of the request that was answered unavailable.
      const fate = await A.$eval(TASK_ROW('e2e-backoff'),
        (r) => r.querySelector('[data-testid=status]').textContent)
        .catch(() => 'not listed');
      t.diagnostic(`e2e-backoff (answered unavailable) is ${fate}`);
    });

    step('kill -9 the gateway: the page shows the reconnect state, then ' +
      'reconnects to a new session and renews its subscriptions', async () => {
      const A = pages.A;
      const B = pages.B;
      const session = await A.textContent('#session-id');
      const sessionB = await B.textContent('#session-id');
      const oldPid = await shownPid(A, 'gateway');
      await tree.ctl('kill', 'gateway', 'KILL');
      // Its sessions went with it: the socket closed, the page said so,
      // and connected again, to a new session.
      const fresh = await waitOpen(A, session);
      assert.equal(await A.evaluate(() => window.__e2e.closes), 1);
      const states = (await seenWith(A, 'conn:')).map((s) => s.split(':')[1]);
      assert.ok(states.includes('closed') || states.includes('connecting'),
        `the page never showed the connection down: ${states}`);
      assert.notEqual(await waitOpen(B, sessionB), sessionB);
      assert.equal(await waitRestarted(A, 'gateway', oldPid),
        (await ctlProcesses()).gateway.pid);
      assert.equal(await A.textContent(
        `${PROC_ROW('gateway')} [data-testid=restarts]`), '1');
      // The subscriptions were renewed: pushes flow again on both pages.
      await assign(A, { kind: 'echo', input: 'reconnected',
        taskId: 'e2e-reconnected' });
      for (const p of [A, B]) {
        await waitCell(p, TASK_ROW('e2e-reconnected'), 'status', 'completed');
        await p.waitForFunction(() => [...document.querySelectorAll(
          '#event-log li [data-testid=message]')].some((m) =>
          m.textContent.startsWith('task e2e-reconnected completed')), null,
        { timeout: WAIT });
        await waitFor(p, WORKER_ROW(W1));
        // Each event once, newest first, none lost across the reconnect.
        const seqs = await shownSeqs(p);
        assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => b - a));
        assert.equal(seqs.length, seqs[0] - seqs.at(-1) + 1,
          'a gap in the log');
      }
      assert.equal(await A.textContent('#session-id'), fresh);
      assert.equal(await B.evaluate(() => window.__e2eMark), 'no reload');
    });

    step('screenshots: desktop, and a phone without sideways scrolling',
      async () => {
        const A = pages.A;
        // A busy moment: three workers, three tasks running, three queued
        // (long sleeps, so that it holds while the pictures are taken).
        for (const id of ['e2e-w2', 'e2e-w3']) {
          await A.fill('#worker-id', id);
          await A.click('#register-worker');
          await waitFor(A, WORKER_ROW(id));
        }
        await A.selectOption('#task-kind', 'sleep');
        await A.fill('#task-input', '60000');
        await A.fill('#task-worker', '');
        await A.fill('#task-id', 'e2e-batch');
        await A.fill('#task-count', '6');
        await A.click('#assign-task');
        await waitText(A, '#count-running', '3');
        await waitText(A, '#queue-length', '3');
        await A.waitForFunction(() => document.querySelectorAll(
          '#queue-next li[data-task-id]').length === 3, null,
        { timeout: WAIT });
        await A.locator('#notices button').evaluateAll(
          (bs) => bs.forEach((b) => b.click()));
        await A.screenshot({ path: join(OUT, 'dashboard.png'),
          fullPage: true, animations: 'disabled' });

        const phone = await openDashboard('/', PHONE);
        pages.phone = phone;
        await waitText(phone, '#count-running', '3');
        await waitFor(phone, WORKER_ROW('e2e-w3'));
        await waitFor(phone, PROC_ROW('gateway'));
        await phone.waitForFunction(() => document.querySelectorAll(
          '#event-log li').length > 10, null, { timeout: WAIT });
        // Nothing sticks out on the right, and nothing scrolls sideways:
        // not the page, and not a table inside its card either.
        const layout = await phone.evaluate(() => {
          const vw = document.documentElement.clientWidth;
          const out = [];
          // (a table's header row, kept for screen readers, is 1px wide)
          const unseen = (el) => el.closest('[hidden]') !== null ||
            el.closest('thead')?.getBoundingClientRect().width <= 1;
          for (const el of document.querySelectorAll('body *')) {
            if (unseen(el))
              continue;
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.right > vw + 0.5)
              out.push(`${el.tagName.toLowerCase()}#${el.id}` +
                `[${el.getAttribute('data-testid') ?? ''}]`);
          }
          const sideways = [...document.querySelectorAll('.scroll')]
            .filter((el) => el.scrollWidth > el.clientWidth + 0.5)
            .map((el) => el.querySelector('table')?.id);
          return { vw, page: document.documentElement.scrollWidth,
            body: document.body.scrollWidth, out: out.slice(0, 10),
            sideways };
        });
        assert.equal(layout.vw, PHONE.viewport.width);
        assert.ok(layout.page <= layout.vw && layout.body <= layout.vw,
          `the page scrolls sideways: ${JSON.stringify(layout)}`);
        assert.deepEqual(layout.out, [], 'elements past the right edge');
        assert.deepEqual(layout.sideways, [], 'tables that scroll sideways');
        await phone.screenshot({ path: join(OUT, 'dashboard-phone.png'),
          fullPage: true, animations: 'disabled' });
        assert.deepEqual(pageErrors, []);
      });

    step('cancel a queued task, inspect a worker, register by keyboard',
      async () => {
        const A = pages.A;
        // The batch's last three wait behind 60 s sleeps: still queued.
        await A.click('#queue-next li[data-task-id="e2e-batch-6"] ' +
          'button[data-action=cancel]');
        await waitCell(A, TASK_ROW('e2e-batch-6'), 'status', 'cancelled');
        await waitText(A, '#queue-length', '2');
        await A.waitForSelector('#queue-next li[data-task-id="e2e-batch-6"]',
          { state: 'detached', timeout: WAIT });
        await waitSeen(A, 'notice:TaskCancelled');
        // The worker's own state, asked of worker:e2e-w2 by the page.
        await A.click(`${WORKER_ROW('e2e-w2')} button[data-action=inspect]`);
        await waitFor(A, '#worker-details:not([hidden])');
        await waitText(A, '#worker-details-id', 'e2e-w2');
        await waitText(A, '#worker-details-text',
          'busy; current task e2e-batch-2; processed 0');
        await A.click('#close-worker-details');
        await A.waitForSelector('#worker-details', { state: 'hidden',
          timeout: WAIT });
        // The register form with the keyboard alone.
        await A.focus('#worker-id');
        await A.keyboard.type('e2e-kb');
        await A.keyboard.press('Enter');
        await waitCell(A, WORKER_ROW('e2e-kb'), 'status', 'busy');
        await waitCell(A, WORKER_ROW('e2e-kb'), 'current-task', 'e2e-batch-4');
        await waitText(A, '#queue-length', '1');
        assert.deepEqual(pageErrors, []);
      });
  });
