// Debian's chromium for the end-to-end suites, launched the one way they
// all use (playwright-core drives it; never a downloaded browser).
//
//   CHROMIUM     the browser (default /usr/bin/chromium)
//   E2E_WAIT_MS  how long one wait may take (default 20000)

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT = Number(process.env.E2E_WAIT_MS) || 20000;
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true,
  hasTouch: true };

// Headless, without the sandbox (tests run as root in CI) or anything
// that talks to the network on its own.
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu',
      '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync'],
  });
}

// The dashboard at `url` in a new context for `device`, once its
// connection is open; `init`, if given, runs in the page before the
// page's own scripts do.
export async function openDashboard(browser, url, device = {}, init = null) {
  const context = await browser.newContext(device);
  if (init !== null)
    await context.addInitScript(init);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('#connection-status[data-state="open"]',
    { timeout: WAIT });
  return page;
}

// The end of a suite: the browser closed, the tree shut down, and
// nothing of it left running.
export async function closeAll(browser, tree) {
  await browser?.close().catch(() => {});
  if (tree !== null)
    assert.ok(await tree.stop(), 'shutdown left processes behind');
}
