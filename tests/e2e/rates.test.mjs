// Each process's message rate in the dashboard's process tree, end to
// end: Debian's chromium (playwright-core) at phone width against a real
// actord (tree.mjs).  The rate is fed by the supervisor's TreeUpdated
// pushes alone (it reads the counters every tree_refresh_ms while the
// page is subscribed): while tasks run the coordinator's rate is above
// 0, readable on the phone's screen, and once they are done it falls
// back to 0.
//
//   CHROMIUM     the browser (default /usr/bin/chromium; never a download)
//   E2E_WAIT_MS  how long one wait may take (default 20000)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PHONE, WAIT, closeAll, launchChromium, openDashboard }
  from './browser.mjs';
import { ROOT, startTree } from './tree.mjs';

const OUT = join(ROOT, 'tests', 'out');
const TASKS = 30;
const RATE = '#process-tree tr[data-name="coordinator"] [data-testid=rate]';

describe('message rates in chromium against a real actord',
  { timeout: 120000 }, () => {
    let tree = null, browser = null, page = null;
    const pageErrors = [];

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      tree = await startTree();
      browser = await launchChromium();
      // Every frame the page sends, to show it never asks for the tree.
      page = await openDashboard(browser, tree.url, PHONE, () => {
        window.sentFrames = [];
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
          window.sentFrames.push(String(data));
          return send.call(this, data);
        };
      });
      page.on('pageerror', (e) => pageErrors.push(String(e)));
    });

    after(() => closeAll(browser, tree));

    test('every process has a rate cell', async () => {
      await page.waitForSelector(RATE, { timeout: WAIT });
      const names = await page.$$eval('#process-tree-body tr', (rows) =>
        rows.map((r) => r.dataset.name));
      assert.deepEqual(names, ['eventlog', 'coordinator', 'worker',
        'gateway']);
      assert.equal(await page.locator('#process-tree-body [data-testid=rate]')
        .count(), 4);
    });

    test('while tasks run the coordinator\'s rate is above 0', async () => {
      await tree.ctl('send', 'coordinator:main', 'RegisterWorker',
        JSON.stringify({ workerId: 'w1' }));
      for (let i = 0; i < TASKS; i++)
        await tree.ctl('send', 'coordinator:main', 'AssignTask',
          JSON.stringify({ kind: 'sleep', input: { ms: 150 } }));
      await page.waitForFunction((sel) => {
        const rate = Number.parseFloat(document.querySelector(sel)
          .textContent);
        const running = Number(document.getElementById('count-running')
          .textContent);
        return rate > 0 && running > 0;
      }, RATE, { timeout: WAIT });
    });

    test('at phone width the rate is on the screen, with its unit',
      async () => {
        const cell = await page.$eval(RATE, (td) => {
          const r = td.getBoundingClientRect();
          return { left: r.left, right: r.right, height: r.height,
            text: td.textContent,
            unit: getComputedStyle(td, '::after').content,
            size: Number.parseFloat(getComputedStyle(td).fontSize) };
        });
        assert.match(cell.text, /^(< 0\.1|\d+(\.\d)?( k)?)$/);
        assert.equal(cell.unit, '"msg/s"');
        assert.ok(cell.left >= 0 && cell.right <= 390 && cell.height > 0,
          JSON.stringify(cell));
        assert.ok(cell.size >= 12, `font size ${cell.size}`);
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth > window.innerWidth);
        assert.equal(overflow, false);
        await page.locator('.area-tree').screenshot({
          path: join(OUT, 'rates-phone.png') });
      });

    test('once the tasks are done the rate falls back to 0', async () => {
      await page.waitForFunction((n) => Number(document.getElementById(
        'count-completed').textContent) === n, TASKS, { timeout: WAIT });
      await page.waitForFunction((sel) => document.querySelector(sel)
        .textContent === '0', RATE, { timeout: WAIT });
    });

    test('fed by pushes: the page never asked for the tree', async () => {
      const asked = await page.evaluate(() => window.sentFrames
        .map((f) => JSON.parse(f))
        .filter((m) => m.to === 'system:supervisor')
        .map((m) => m.type));
      assert.deepEqual(asked, ['Subscribe']);
      assert.deepEqual(pageErrors, []);
    });
  });
