// The tasks view end to end: Debian's chromium, driven by playwright-core,
// against a real actord (tree.mjs) of its own.
//
// The steps run in order on one page that is never reloaded (a second
// page, at phone width, comes at the end): the assign form offers the
// coordinator's kinds; the list pages by cursor and filters, by the
// fragment; a task opens by its fragment, and back and forward follow;
// a task that failed (its worker process was killed under it, with one
// attempt allowed) is retried with the Retry button and completes, live;
// Cancel and Delete; and the page at phone width.
//
// As in dashboard.test.mjs, nothing sleeps: every wait is an auto-waiting
// selector or a waitForFunction, and the states a render may show only
// briefly are recorded by a MutationObserver installed before the page's
// scripts (window.__tasks.seen), with the most rows the list ever held.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WAIT, launchChromium } from './browser.mjs';
import { ROOT, startTree } from './tree.mjs';

const OUT = join(ROOT, 'tests', 'out');
const PAGE_SIZE = 50;
const W = 'tv-w1';

// Runs in the page before its scripts: record every state shown.
function installRecorder() {
  const rec = { seen: new Set(), maxRows: 0 };
  window.__tasks = rec;
  const scan = () => {
    const d = document.getElementById('task-detail');
    if (d && !d.hidden)
      rec.seen.add(`detail:${document.getElementById('task-detail-id')
        .textContent}:${document.getElementById('task-detail-status')
        .textContent}`);
    const rows = document.querySelectorAll('#tasks-list-body tr');
    rec.maxRows = Math.max(rec.maxRows, rows.length);
    for (const n of document.querySelectorAll('#notices [data-testid=notice]'))
      rec.seen.add(`notice:${n.dataset.code}`);
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(scan).observe(document.body, { subtree: true,
      childList: true, characterData: true, attributes: true });
    scan();
  });
}

let tree = null;
let browser = null;
let page = null;
const pageErrors = [];
let failed = null;
let shots = 0;

// One step: skipped after a failure; on failure, a screenshot and the end
// of actord's log.
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
      const shot = join(OUT, `e2e-tasks-failure-${++shots}.png`);
      await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
      e.message += `\n# screenshot: ${shot}` +
        `\n# page errors: ${JSON.stringify(pageErrors)}` +
        `\n# actord.log:\n${tree?.logTail(25) ?? ''}`;
      throw e;
    }
  });
}

async function openPage(path, device) {
  const context = await browser.newContext(device);
  await context.addInitScript(installRecorder);
  const p = await context.newPage();
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(new URL(path, tree.url).href);
  await p.waitForFunction(() => document.getElementById('connection-status')
    .dataset.state === 'open', null, { timeout: WAIT });
  return p;
}

function until(fn, arg) {
  return page.waitForFunction(fn, arg, { timeout: WAIT });
}

// Wait for an element's text to be `text`.
function waitText(selector, text, p = page) {
  return p.waitForFunction(([sel, want]) =>
    document.querySelector(sel)?.textContent === want, [selector, text],
  { timeout: WAIT });
}

// The task ids of the list, top to bottom.
function listed(p = page) {
  return p.$$eval('#tasks-list-body tr', (rs) => rs.map((r) =>
    r.dataset.taskId));
}

// Wait until the list is `ids` exactly (a function of the list: true).
function waitListed(want) {
  return until((w) => {
    const ids = [...document.querySelectorAll('#tasks-list-body tr')]
      .map((r) => r.dataset.taskId);
    return document.getElementById('tasks-list').getAttribute('aria-busy') ===
      'false' && JSON.stringify(ids) === JSON.stringify(w);
  }, want);
}

const ROW = (id) => `#tasks-list tr[data-task-id="${id}"]`;
const cell = (id, name) => `${ROW(id)} [data-testid="${name}"]`;

// Wait for the open task to be `id` with status `status`.
function waitDetail(id, status) {
  return until(([i, s]) => {
    const d = document.getElementById('task-detail');
    return !d.hidden && d.dataset.state === 'shown' &&
      document.getElementById('task-detail-id').textContent === i &&
      document.getElementById('task-detail-status').textContent === s;
  }, [id, status]);
}

// A detail field's text.
function field(name) {
  return page.textContent(`#task-detail-fields [data-field="${name}"] dd`);
}

// `actorctl task submit ...`, its task id.
async function submit(...args) {
  const out = await tree.ctlJson('task', 'submit', ...args);
  return out.taskId;
}

describe('the tasks view in chromium against a real actord',
  { timeout: 300000 }, () => {
    before(async () => {
      mkdirSync(OUT, { recursive: true });
      tree = await startTree();
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      if (tree !== null) {
        const clean = await tree.stop();
        assert.ok(clean, 'actorctl shutdown left processes behind');
      }
    });

    step('the assign form offers exactly the kinds GetKinds returns',
      async () => {
        page = await openPage('/', { viewport: { width: 1280, height: 900 } });
        await waitText('#tasks-empty', 'No tasks yet.');
        const reply = await tree.ctlJson('send', 'coordinator:main',
          'GetKinds');
        const kinds = reply.payload.kinds.map((k) => k.name);
        assert.ok(kinds.includes('echo'));
        await until((want) => JSON.stringify([...document.querySelectorAll(
          '#task-kind option')].map((o) => o.value)) === want,
        JSON.stringify(kinds));
        await until((want) => JSON.stringify([...document.querySelectorAll(
          '#tasks-kind option')].map((o) => o.value)) === want,
        JSON.stringify(['', ...kinds]));
        await page.fill('#worker-id', W);
        await page.click('#register-worker');
        await page.waitForSelector(`#workers tr[data-worker-id="${W}"]`,
          { timeout: WAIT });
      });

    const ids = [];
    step('tasks appear newest first, 50 to a page; Older and Newer page',
      async () => {
        // 55 tasks: 54 echo and one that fails, from actorctl.
        for (let i = 0; i < 54; i += 6)
          ids.push(...await Promise.all(Array.from({ length: 6 }, (_, j) =>
            submit('echo', JSON.stringify({ value: i + j }), '--id',
              `tv-${String(i + j).padStart(2, '0')}`))));
        await tree.ctl('task', 'submit', 'fail', '{"message": "boom"}',
          '--id', 'tv-fail', '--wait').catch((e) => {
          assert.equal(e.code, 1, 'submit --wait of a failing task exits 1');
        });
        ids.push('tv-fail');
        await page.waitForSelector(`${cell('tv-fail', 'status')}` +
          '[data-status=failed]', { timeout: WAIT });
        // Created in parallel: the coordinator's order is the order of
        // creation, which the page must show as ListTasks gives it.
        const all = (await tree.ctlJson('task', 'list', '--all')).tasks
          .map((t) => t.taskId);
        assert.equal(all.length, 55);
        await waitListed(all.slice(0, PAGE_SIZE));
        assert.equal(await page.textContent('#tasks-page'), 'page 1');
        assert.equal(await page.isDisabled('#tasks-newer'), true);
        await page.click('#tasks-older');
        await waitListed(all.slice(PAGE_SIZE));
        assert.equal(await page.textContent('#tasks-page'), 'page 2');
        assert.equal(await page.isDisabled('#tasks-older'), true);
        await page.click('#tasks-newer');
        await waitListed(all.slice(0, PAGE_SIZE));
        assert.equal(await page.evaluate(() => window.__tasks.maxRows),
          PAGE_SIZE, 'never more than a page in the list');
        assert.deepEqual(await page.$eval(ROW('tv-fail'), (r) =>
          Object.fromEntries([...r.querySelectorAll('[data-testid]')]
            .map((c) => [c.dataset.testid, c.textContent]))), {
          id: 'tv-fail', status: 'failed', kind: 'fail', queue: 'default',
          priority: '0', worker: W, attempts: '1',
          created: await page.textContent(cell('tv-fail', 'created')),
          outcome: 'error: boom', actions: 'RetryDelete' });
      });

    step('filters: by status and kind, in the fragment; Clear', async () => {
      await page.selectOption('#tasks-status', 'failed');
      await waitListed(['tv-fail']);
      assert.equal(new URL(page.url()).hash, '#status=failed');
      await page.selectOption('#tasks-status', '');
      await page.selectOption('#tasks-kind', 'fail');
      await waitListed(['tv-fail']);
      assert.equal(new URL(page.url()).hash, '#kind=fail');
      await page.selectOption('#tasks-kind', 'echo');
      await until(() => document.querySelectorAll('#tasks-list-body tr')
        .length === 50);
      assert.ok((await listed()).every((id) => id !== 'tv-fail'));
      await page.fill('#tasks-worker', 'nobody');
      await page.click('#tasks-apply');
      await waitText('#tasks-empty', 'No tasks match these filters.');
      assert.equal(new URL(page.url()).hash, '#kind=echo&worker=nobody');
      await page.click('#tasks-clear');
      await until(() => document.querySelectorAll('#tasks-list-body tr')
        .length === 50);
      assert.equal(new URL(page.url()).hash, '#tasks');
      assert.equal(await page.inputValue('#tasks-worker'), '');
    });

    step('a task opens by its fragment; back and forward follow', async () => {
      await page.evaluate(() => { location.hash = '#task=tv-07'; });
      await waitDetail('tv-07', 'completed');
      assert.equal(await field('kind'), 'echo');
      assert.equal(await field('worker'), W);
      assert.equal(await field('attempts'), '1');
      assert.equal(await page.textContent('#task-detail-result'), '7');
      assert.equal(await page.textContent('#task-detail-input'),
        '{\n  "value": 7\n}');
      assert.deepEqual(await page.$$eval('#task-history-body tr', (rs) =>
        rs.map((r) => [r.querySelector('[data-testid=attempt]').textContent,
          r.querySelector('[data-testid=worker]').textContent,
          r.querySelector('[data-testid=status]').textContent])),
      [['1', W, 'completed']]);
      assert.equal(await page.isHidden('#task-retry'), true);
      assert.equal(await page.isVisible('#task-delete'), true);
      // A row's link opens another; back returns to the first.
      await page.click(`${ROW('tv-fail')} a`);
      await waitDetail('tv-fail', 'failed');
      assert.equal(new URL(page.url()).hash, '#task=tv-fail');
      assert.equal(await page.textContent('#task-detail-error'), 'boom');
      assert.equal(await page.isVisible('#task-retry'), true);
      await page.goBack();
      await waitDetail('tv-07', 'completed');
      await page.goForward();
      await waitDetail('tv-fail', 'failed');
      // Close, and an id typed into the search box.
      await page.click('#task-close');
      await page.waitForSelector('#task-detail', { state: 'hidden',
        timeout: WAIT });
      await page.fill('#task-open-id', 'no-such-task');
      await page.click('#task-open');
      await until(() => document.getElementById('task-detail').dataset
        .state === 'not-found');
      assert.equal(await page.textContent('#task-detail-message'),
        'No task with the id no-such-task.');
      await page.goBack();
      await page.waitForSelector('#task-detail', { state: 'hidden',
        timeout: WAIT });
    });

    step('Retry a task that failed: it runs again and completes, live',
      async () => {
        // A task allowed one attempt, whose worker process dies under it.
        await page.selectOption('#task-kind', 'sleep');
        await page.fill('#task-input', '3000');
        await page.fill('#task-id', 'tv-retry');
        await page.click('#assign-options summary');
        await page.fill('#task-attempts', '1');
        await page.click('#assign-task');
        await page.evaluate(() => { location.hash = '#task=tv-retry'; });
        await waitDetail('tv-retry', 'running');
        assert.equal(await page.textContent('#task-detail-live'),
          'updated live');
        assert.equal(await field('retry'), 'at most 1 attempt');
        await tree.ctl('kill', 'worker', 'KILL');
        await waitDetail('tv-retry', 'failed');
        assert.match(await page.textContent('#task-detail-error'),
          new RegExp(`its worker ${W} died`));
        assert.equal(await page.textContent(cell('tv-retry', 'status')),
          'failed', 'the list follows');
        await page.click('#task-retry');
        await page.waitForSelector('#notices [data-code=TaskAccepted]',
          { timeout: WAIT });
        await waitDetail('tv-retry', 'completed');
        // The status comes with TaskFinished, the record with the GetTask
        // that follows it: wait for the history to show the second run.
        await until(() => JSON.stringify([...document.querySelectorAll(
          '#task-history-body tr [data-testid=status]')].map((e) =>
          e.textContent)) === '["failed","completed"]');
        assert.equal(await page.textContent('#task-detail-result'),
          '{\n  "sleptMs": 3000\n}');
        assert.equal(await field('attempts'), '2');
        const seen = await page.evaluate(() => [...window.__tasks.seen]
          .filter((s) => s.startsWith('detail:tv-retry:')));
        for (const s of ['running', 'failed', 'completed'])
          assert.ok(seen.includes(`detail:tv-retry:${s}`), `saw ${s}: ${seen}`);
        assert.equal(await page.textContent(cell('tv-retry', 'status')),
          'completed');
        const rec = await tree.ctlJson('task', 'get', 'tv-retry');
        assert.deepEqual([rec.status, rec.attempts], ['completed', 2]);
      });

    step('Cancel a delayed task and Delete a finished one, from the list',
      async () => {
        await page.selectOption('#task-kind', 'echo');
        await page.fill('#task-input', 'later');
        await page.fill('#task-id', 'tv-later');
        await page.fill('#task-attempts', '');
        await page.fill('#task-delay', '600000');
        await page.click('#assign-task');
        await page.fill('#task-delay', '');
        await page.waitForSelector(`${cell('tv-later', 'status')}` +
          '[data-status=scheduled]', { timeout: WAIT });
        assert.match(await page.textContent(cell('tv-later', 'outcome')),
          /^runs at /);
        await page.click(`${ROW('tv-later')} button[data-action=cancel]`);
        await page.waitForSelector(`${cell('tv-later', 'status')}` +
          '[data-status=cancelled]', { timeout: WAIT });
        await page.click(`${ROW('tv-53')} button[data-action=delete]`);
        await page.waitForSelector(ROW('tv-53'), { state: 'detached',
          timeout: WAIT });
        const seen = await page.evaluate(() => [...window.__tasks.seen]);
        assert.ok(seen.includes('notice:TaskCancelled'));
        assert.ok(seen.includes('notice:TaskDeleted'));
        await assert.rejects(tree.ctl('task', 'get', 'tv-53'),
          (e) => e.code === 1, 'actorctl agrees: gone');
        assert.deepEqual(pageErrors, []);
      });

    step('at phone width: readable, nothing sticks out or scrolls sideways',
      async () => {
        const phone = await openPage('/#task=tv-retry&kind=echo', {
          viewport: { width: 390, height: 844 }, isMobile: true,
          hasTouch: true });
        await phone.waitForFunction(() => document.getElementById(
          'task-detail').dataset.state === 'shown', null, { timeout: WAIT });
        await phone.waitForFunction(() => document.querySelectorAll(
          '#tasks-list-body tr').length > 10, null, { timeout: WAIT });
        const layout = await phone.evaluate(() => {
          const vw = document.documentElement.clientWidth;
          const out = [];
          const unseen = (el) => el.closest('[hidden]') !== null ||
            el.closest('thead')?.getBoundingClientRect().width <= 1;
          for (const el of document.querySelectorAll('#tasks *')) {
            if (unseen(el))
              continue;
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.right > vw + 0.5)
              out.push(`${el.tagName.toLowerCase()}#${el.id}`);
          }
          const sideways = [...document.querySelectorAll('#tasks .scroll')]
            .filter((el) => el.scrollWidth > el.clientWidth + 0.5)
            .map((el) => el.querySelector('table')?.id);
          return { vw, page: document.documentElement.scrollWidth,
            out: out.slice(0, 10), sideways };
        });
        assert.equal(layout.vw, 390);
        assert.ok(layout.page <= layout.vw, JSON.stringify(layout));
        assert.deepEqual(layout.out, [], 'elements past the right edge');
        assert.deepEqual(layout.sideways, [], 'tables that scroll sideways');
        // A row reads as a block: the id and status first.
        const box = await phone.$eval('#tasks-list-body tr', (r) => {
          const id = r.querySelector('[data-testid=id]').getBoundingClientRect();
          const st = r.querySelector('[data-testid=status]')
            .getBoundingClientRect();
          return { sameLine: Math.abs(id.top - st.top) < 4 };
        });
        assert.ok(box.sameLine, 'id and status on the first line');
        await phone.locator('#tasks').screenshot({
          path: join(OUT, 'tasks-phone.png') });
        await page.locator('#tasks').screenshot({
          path: join(OUT, 'tasks.png') });
        assert.deepEqual(pageErrors, []);
      });
  });
