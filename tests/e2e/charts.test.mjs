// The dashboard's charts end to end: Debian's chromium (playwright-core)
// against a real actord (tree.mjs).  Tasks run through actorctl, and the
// charts of the page, fed by the coordinator's pushes, must move: the
// completed line rises above zero, the queue line shows the tasks that
// waited, and at phone width the charts fit the screen.
//
//   CHROMIUM     the browser (default /usr/bin/chromium; never a download)
//   E2E_WAIT_MS  how long one wait may take (default 20000)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PHONE, WAIT, closeAll, launchChromium, openDashboard } from './browser.mjs';
import { ROOT, startTree } from './tree.mjs';

const OUT = join(ROOT, 'tests', 'out');
const TASKS = 12;

// A chart's numbers as the page shows them.
function chart(page, id) {
  return page.$eval(`figure[data-chart="${id}"]`, (f) => ({
    peak: Number(f.dataset.peak),
    paths: [...f.querySelectorAll('path')].map((p) => p.getAttribute('d')),
    legend: [...f.querySelectorAll('.legend')].map((l) => l.textContent),
    width: f.querySelector('svg').getBoundingClientRect().width,
  }));
}

describe('charts in chromium against a real actord', { timeout: 120000 },
  () => {
    let tree = null, browser = null, page = null;

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      tree = await startTree();
      browser = await launchChromium();
      page = await openDashboard(browser, tree.url, PHONE);
    });

    after(() => closeAll(browser, tree));

    test('the charts start flat', async () => {
      await page.waitForSelector('figure[data-chart="throughput"] path',
        { state: 'attached', timeout: WAIT });
      const c = await chart(page, 'throughput');
      assert.equal(c.peak, 0);
    });

    test('tasks that run move the charts', async () => {
      // Queued first (no worker yet), then a worker runs them.
      for (let i = 0; i < TASKS; i++)
        await tree.ctl('send', 'coordinator:main', 'AssignTask',
          JSON.stringify({ kind: 'sleep', input: { ms: 50 } }));
      await page.waitForFunction(() => Number(document.querySelector(
        'figure[data-chart="queue"]').dataset.peak) > 0, null,
      { timeout: WAIT });
      await tree.ctl('send', 'coordinator:main', 'RegisterWorker',
        JSON.stringify({ workerId: 'w1' }));
      await page.waitForFunction(() => Number(document.querySelector(
        'figure[data-chart="throughput"]').dataset.peak) > 0, null,
      { timeout: WAIT });
      const t = await chart(page, 'throughput');
      assert.match(t.paths[0], /^M[\d.]+ [\d.]+ L/);
      assert.ok(t.legend[0].startsWith('completed '));
      const q = await chart(page, 'queue');
      assert.ok(q.peak >= 1, `queue peak ${q.peak}`);
      await page.waitForFunction(() => document.querySelector(
        'figure[data-chart="queue"] .legend[data-line="queued"]')
        .textContent === 'queued 0', null, { timeout: WAIT });
    });

    test('at phone width the charts fit the screen', async () => {
      const c = await chart(page, 'queue');
      assert.ok(c.width > 200 && c.width <= 390, `width ${c.width}`);
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false);
      await page.locator('.area-charts').screenshot({
        path: join(OUT, 'charts-phone.png') });
    });
  });
