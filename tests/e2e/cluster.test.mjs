// The dashboard of a cluster end to end: three hosts on one machine,
// joined through three clustered nats-servers (tests/ws/cluster.mjs): h1
// runs the coordinator, a worker and a gateway, h2 and h3 workers and
// gateways.  Debian's chromium (playwright-core) opens the dashboard on
// h2's gateway, and it must show
//
//   - every host's process tree, each under its name and "up": h2's own
//     (from system:supervisor) and h1's and h3's (system:supervisor@<host>),
//     with the pids each host's actorctl reports;
//   - a worker registered on h3 with its host, and a task assigned to it
//     through a WebSocket client on h3's gateway, from running to
//     completed; Inspect asks the worker at worker:<id>@h3;
//   - at phone width, the three trees inside the screen;
//   - h3 killed (kill -9 of its whole tree): its tree marked down, its
//     processes stale, its worker offline; h3 started again from its own
//     state: its tree up again with the new pids, without a reload;
//   - the same for h1, the coordinator's host: h2's own tree lists the
//     hosts as h2's link sees them, so the page needs no coordinator to
//     show it down.
//
// Every wait is for something the page shows (page.waitForFunction) or the
// cluster says (until()); nothing sleeps.
//
//   CHROMIUM     the browser (default /usr/bin/chromium; never a download)
//   E2E_WAIT_MS  how long one wait may take (default 20000)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PHONE, WAIT, launchChromium, openDashboard } from './browser.mjs';
import { ROOT, jsonClient } from '../ws/lib.mjs';
import { killHost, meshed, startHost, startNats, until }
  from '../ws/cluster.mjs';

const OUT = join(ROOT, 'tests', 'out');
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const COORD = 'coordinator:main';

// Runs in the page before its scripts: every frame it sends, to see whom
// it asked.
function recordFrames() {
  window.sentFrames = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.sentFrames.push(String(data));
    return send.call(this, data);
  };
}

// A host's tree as the page shows it: its state, its label's line, and
// each process's {pid, state}.
function shownTree(page, host) {
  return page.evaluate((h) => {
    const box = document.querySelector(`.host-tree[data-host="${h}"]`);
    if (box === null)
      return null;
    const cell = (el, name) =>
      el.querySelector(`[data-testid="${name}"]`)?.textContent ?? '';
    const processes = {};
    for (const tr of box.querySelectorAll('tbody tr'))
      processes[tr.dataset.name] = { pid: Number(cell(tr, 'pid')),
        state: cell(tr, 'state') };
    return { state: box.dataset.state, label: cell(box, 'host'),
      detail: cell(box, 'host-detail'), processes };
  }, host);
}

// Wait until the page shows host `h`'s tree in state `state` with every
// process of `want` ({name: pid}) in `procState`.
function waitForTree(page, h, state, want, procState = 'up') {
  return page.waitForFunction(({ h, state, want, procState }) => {
    const box = document.querySelector(`.host-tree[data-host="${h}"]`);
    if (box === null || box.dataset.state !== state)
      return false;
    return Object.entries(want).every(([name, pid]) => {
      const tr = box.querySelector(`tbody tr[data-name="${name}"]`);
      return tr !== null &&
        tr.querySelector('[data-testid=pid]').textContent === String(pid) &&
        tr.querySelector('[data-testid=state]').textContent === procState;
    });
  }, { h, state, want, procState }, { timeout: WAIT });
}

// {name: pid} of a host's processes, from its own actorctl.
function pids(h) {
  return Object.fromEntries(h.status().processes.map((p) => [p.name,
    p.pid]));
}

describe('the dashboard of a three-host cluster in chromium',
  { timeout: 240000 }, () => {
    let nats = null, h1 = null, h2 = null, h3 = null, c = null;
    let browser = null, page = null;
    const pageErrors = [];
    const host = (i, roles, opts) => startHost(nats, i, `h${i + 1}`, roles,
      ['host_dead_after_s = 60'], opts);

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      nats = await startNats(3);
      h1 = await host(0, 'coordinator worker gateway');
      h2 = await host(1, 'worker gateway');
      h3 = await host(2, 'worker gateway');
      await meshed([h1, h2, h3]);
      browser = await launchChromium();
      page = await openDashboard(browser, `http://127.0.0.1:${h2.port}/`,
        DESKTOP, recordFrames);
      page.on('pageerror', (e) => pageErrors.push(String(e)));
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await c?.close();
      for (const h of [h3, h2, h1])
        await h?.stop();
      await nats?.stop();
    });

    test('the page on h2 shows the three hosts\' process trees', async () => {
      for (const [name, h] of [['h1', h1], ['h2', h2], ['h3', h3]])
        await waitForTree(page, name, 'up', pids(h));
      const shown = {};
      for (const h of ['h1', 'h2', 'h3'])
        shown[h] = await shownTree(page, h);
      assert.deepEqual(Object.keys(shown.h1.processes).sort(),
        ['coordinator', 'eventlog', 'gateway', 'link', 'worker']);
      assert.deepEqual(Object.keys(shown.h2.processes).sort(),
        ['gateway', 'link', 'worker']);
      assert.deepEqual(Object.keys(shown.h3.processes).sort(),
        ['gateway', 'link', 'worker']);
      assert.deepEqual([shown.h1.label, shown.h2.label, shown.h3.label],
        ['h1', 'h2', 'h3']);
      assert.match(shown.h2.detail, /^this host · worker gateway · \d+ session/);
      assert.match(shown.h1.detail, /^coordinator worker gateway/);
      // h2's own tree is the page's process table, first; h1 and h3 after.
      const order = await page.$$eval('.host-tree', (els) =>
        els.map((e) => [e.id, e.dataset.host]));
      assert.deepEqual(order, [['tree-local', 'h2'], ['', 'h1'],
        ['', 'h3']]);
      const asked = await page.evaluate(() => window.sentFrames
        .map((f) => JSON.parse(f))
        .filter((m) => m.to.startsWith('system:supervisor'))
        .map((m) => `${m.type} ${m.to}`));
      assert.deepEqual([...new Set(asked)].sort(), ['Subscribe system:supervisor',
        'Subscribe system:supervisor@h1', 'Subscribe system:supervisor@h3']);
    });

    test('a task assigned on h3 shows on h2, running and completed',
      async () => {
        c = await jsonClient(h3.port, '/ws');
        await c.next((m) => m.type === 'SessionEstablished');
        const ask = (type, payload) => c.reply(c.send({ to: COORD, type,
          payload }), 10000);
        // The coordinator places a worker on h3 once it knows h3 is up.
        await until(async () => (await ask('RegisterWorker',
          { workerId: 'w3', host: 'h3' })).type === 'WorkerRegistered',
        10000, 'h3 known to the coordinator');
        await page.waitForFunction(() => {
          const tr = document.querySelector(
            '#workers tr[data-worker-id="w3"]');
          return tr?.querySelector('[data-testid=host]')?.textContent ===
            'h3' && tr.querySelector('[data-testid=status]').textContent ===
            'idle';
        }, null, { timeout: WAIT });
        assert.equal(await page.isVisible('#workers-host'), true);
        // Each state the task's row shows, as it shows it.
        await page.evaluate(() => {
          window.taskStates = [];
          new MutationObserver(() => {
            const s = document.querySelector(
              '#recent-tasks tr[data-task-id="t-h3"] [data-testid=status]');
            if (s !== null && s.textContent !== window.taskStates.at(-1))
              window.taskStates.push(s.textContent);
          }).observe(document.getElementById('recent-tasks-body'),
            { childList: true, subtree: true, characterData: true });
        });
        const r = await ask('AssignTask', { taskId: 't-h3', kind: 'sleep',
          input: { ms: 500 }, workerId: 'w3' });
        assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
        await page.waitForFunction(() => {
          const tr = document.querySelector(
            '#recent-tasks tr[data-task-id="t-h3"]');
          return tr?.querySelector('[data-testid=status]').textContent ===
            'completed';
        }, null, { timeout: WAIT });
        const states = await page.evaluate(() => window.taskStates);
        assert.ok(states.includes('running'), states.join(' '));
        assert.equal(states.at(-1), 'completed');
        assert.equal(await page.textContent(
          '#recent-tasks tr[data-task-id="t-h3"] [data-testid=worker]'),
        'w3');
        // Inspect asks the worker on its host.
        await page.click('#workers tr[data-worker-id="w3"] ' +
          'button[data-action=inspect]');
        await page.waitForFunction(() => /^idle; current task none; processed 1$/
          .test(document.getElementById('worker-details-text').textContent),
        null, { timeout: WAIT });
        const asked = await page.evaluate(() => window.sentFrames
          .map((f) => JSON.parse(f))
          .filter((m) => m.type === 'GetState').map((m) => m.to));
        assert.deepEqual(asked, ['worker:w3@h3']);
        await c.close();
        c = null;
      });

    test('at phone width the three trees fit the screen', async () => {
      await page.screenshot({ path: join(OUT, 'cluster.png'),
        fullPage: true });
      const phone = await openDashboard(browser,
        `http://127.0.0.1:${h2.port}/`, PHONE);
      for (const h of ['h1', 'h2', 'h3'])
        await phone.waitForSelector(
          `.host-tree[data-host="${h}"] tbody tr[data-name="link"]`,
          { timeout: WAIT });
      const boxes = await phone.$$eval('.host-tree', (els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { host: e.dataset.host, left: r.left, right: r.right };
      }));
      for (const b of boxes)
        assert.ok(b.left >= 0 && b.right <= 390, JSON.stringify(b));
      const overflow = await phone.evaluate(() =>
        document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false);
      await phone.locator('.area-tree').screenshot({
        path: join(OUT, 'cluster-phone.png') });
      await phone.context().close();
    });

    test('h3 killed: its tree shows down and stale; started again, up with ' +
      'its new pids', async () => {
      const was = pids(h3);
      const dir = h3.dir;
      await killHost(h3);
      await waitForTree(page, 'h3', 'down', was, 'stale');
      const down = await shownTree(page, 'h3');
      assert.match(down.detail,
        /^since \d\d:\d\d:\d\d · worker gateway · last heard at /);
      await page.locator('.area-tree').screenshot({
        path: join(OUT, 'cluster-down.png') });
      await page.waitForFunction(() => document.querySelector(
        '#workers tr[data-worker-id="w3"] [data-testid=status]')
        ?.textContent === 'offline', null, { timeout: WAIT });
      // The others are untouched.
      await waitForTree(page, 'h1', 'up', pids(h1));
      h3 = await host(2, 'worker gateway', { dir });
      const now = pids(h3);
      assert.notEqual(now.link, was.link);
      await waitForTree(page, 'h3', 'up', now);
      await page.waitForFunction(() => document.querySelector(
        '#workers tr[data-worker-id="w3"] [data-testid=status]')
        ?.textContent === 'idle', null, { timeout: WAIT });
      assert.deepEqual(pageErrors, []);
    });

    test('h1, the coordinator\'s host, killed: h2 still shows it down, ' +
      'from what its own tree says; started again, up', async () => {
      const was = pids(h1);
      const dir = h1.dir;
      await killHost(h1);
      await waitForTree(page, 'h1', 'down', was, 'stale');
      assert.match((await shownTree(page, 'h1')).detail,
        /^since \d\d:\d\d:\d\d · coordinator worker gateway · /);
      await waitForTree(page, 'h3', 'up', pids(h3));
      h1 = await host(0, 'coordinator worker gateway', { dir });
      await waitForTree(page, 'h1', 'up', pids(h1));
      assert.deepEqual(pageErrors, []);
    });
  });
