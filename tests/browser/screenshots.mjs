// Screenshots of a private room whose last writer wins verdict settled on a
// wrong count, at desktop (1280×800) and phone (390×844) sizes, for looking
// at the page the way a learner meets it. Not a test: run it by hand with
// the same environment as the tests,
//   LIKEWISE_BIN=target/release/likewise LIKEWISE_DIST=dist node tests/browser/screenshots.mjs
// and find the PNGs in tests/browser/artifacts/.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, REGIONS, startServer, launchBrowser, waitForCounts, randomRoom } from './harness.mjs';

const card = (r, role) => `[data-region="${r}"] [data-role="${role}"]`;
const idx = (r) => REGIONS.indexOf(r);

const server = await startServer();
const browser = await launchBrowser();
try {
  const room = randomRoom('shots');
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true })).newPage();
  for (const p of [desk, phone]) {
    await p.goto(`${server.url}/r/${room}`);
    await waitForCounts(p, (c) => c.every((n) => n === 0));
    await p.waitForSelector('[data-role="controls"][data-locked="false"]');
  }
  // Last writer wins, re-sending every 500 ms; likes on both sides of a partition.
  await desk.click('[data-role="strategy-option"][data-strategy="last_writer_wins"]');
  await desk.waitForSelector('[data-role="strategy-option"][data-strategy="last_writer_wins"][data-selected="true"]');
  await desk.$eval('[data-role="interval"]', (el) => {
    el.value = '1';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await desk.waitForFunction(() => document.querySelector('[data-role="interval-value"]')?.textContent.trim() === 'every 500 ms');
  await desk.click(card('virginia', 'isolate'));
  await desk.waitForFunction(() => document.querySelectorAll('[data-role="cut-lane"]').length === 5);
  for (const r of ['tokyo', 'tokyo', 'virginia']) await desk.click(card(r, 'like'));
  await waitForCounts(desk, (c) => c[idx('virginia')] === 1 && c[idx('tokyo')] === 2, 5000);
  await desk.waitForTimeout(300);
  await desk.click(card('virginia', 'isolate'));
  for (const p of [desk, phone]) {
    await p.waitForSelector('[data-role="verdict"][data-state="bad"]', { timeout: 30000 });
  }
  await desk.waitForTimeout(500);
  await desk.screenshot({ path: join(ARTIFACTS, 'wrong-1280x800-top.png') });
  await desk.locator('.lab').scrollIntoViewIfNeeded();
  await desk.evaluate(() => document.querySelector('.lab').scrollIntoView({ block: 'start' }));
  await desk.screenshot({ path: join(ARTIFACTS, 'wrong-1280x800-lab.png') });
  await desk.screenshot({ path: join(ARTIFACTS, 'wrong-1280-full.png'), fullPage: true });
  await phone.screenshot({ path: join(ARTIFACTS, 'wrong-390x844-top.png') });
  await phone.evaluate(() => document.querySelector('[data-role="verdict"]').scrollIntoView({ block: 'start' }));
  await phone.screenshot({ path: join(ARTIFACTS, 'wrong-390x844-verdict.png') });
  // Then a switch to event push: the notice on the other page, the loss kept.
  await desk.click('[data-role="strategy-option"][data-strategy="event_push"]');
  await phone.waitForSelector('[data-role="switch-notice"]');
  await phone.waitForSelector('[data-role="verdict"][data-state="bad"]', { timeout: 15000 });
  await phone.evaluate(() => document.querySelector('[data-role="verdict"]').scrollIntoView({ block: 'start' }));
  await phone.screenshot({ path: join(ARTIFACTS, 'switched-390x844-verdict.png') });
  console.log(`screenshots in ${ARTIFACTS}`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
}
