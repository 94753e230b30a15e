// A command kind end to end: Debian's chromium, driven by playwright-core,
// against a real actord (tree.mjs) whose config defines [kind.greet], a
// real /bin/sh program.  The assign form offers the kind (from GetKinds)
// with its input rule's hint; the task assigned from the form opens by
// its fragment, shows the program's output live while it runs, then its
// result (stdout, exit code 0) once it has completed.
//
// Nothing sleeps here: every wait is a waitForFunction on the page.  The
// program itself runs for a while between its two lines, so that the
// page has a running command to show.

import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startTree } from './tree.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = Number(process.env.E2E_WAIT_MS) || 20000;

// Between its lines the program waits for a file the test creates, so
// the page is sure to see it running; bounded by the kind's timeout.
const CONFIG = `[kind.greet]
argv = /bin/sh -c 'printf "hello %s\\n" "$1" && while [ ! -e "$2" ]; do sleep 0.05; done && printf "done %s\\n" "$1"' greet
input = args
timeout_ms = 30000
`;

let tree = null;
let browser = null;
let page = null;

describe('a command kind in the dashboard', () => {
  before(async () => {
    tree = await startTree({ config: CONFIG });
    browser = await chromium.launch({ executablePath: CHROMIUM,
      args: ['--no-sandbox'] });
    page = await (await browser.newContext()).newPage();
    await page.goto(tree.url);
    await page.waitForFunction(() => document.getElementById(
      'connection-status').dataset.state === 'open', null, { timeout: WAIT });
  });
  after(async () => {
    await browser?.close();
    await tree?.stop();
  });

  test('assigned from the form: live output, then its result', async () => {
    await page.fill('#worker-id', 'cw1');
    await page.click('#register-worker');
    await page.waitForSelector('#workers tr[data-worker-id="cw1"]',
      { timeout: WAIT });
    await page.waitForSelector('#task-kind option[value="greet"]',
      { state: 'attached', timeout: WAIT });
    await page.selectOption('#task-kind', 'greet');
    const go = `${tree.tmp}/go`;
    await page.fill('#task-input', `world ${go}`);
    await page.fill('#task-id', 'cmd-1');
    await page.click('#assign-task');
    await page.evaluate(() => { location.hash = '#task=cmd-1'; });
    // Running, its first line already on the page.
    await page.waitForFunction(() =>
      document.getElementById('task-detail-status').textContent ===
        'running' &&
      document.getElementById('task-detail-output').textContent
        .includes('hello world'), null, { timeout: WAIT });
    writeFileSync(go, '');
    await page.waitForFunction(() =>
      document.getElementById('task-detail-status').textContent ===
        'completed', null, { timeout: WAIT });
    const result = JSON.parse(await page.textContent('#task-detail-result'));
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'hello world\ndone world\n');
  });
});
