// Browser tests: the real Trunk build, served by the real backend, in
// Debian's chromium. Two people on one link watch a like diverge and
// converge; the pages must end on the same counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, REGIONS, startServer, serverAndBrowser, counts, waitForCounts, randomRoom } from './harness.mjs';

const env = serverAndBrowser();

const idx = (r) => REGIONS.indexOf(r);

test('a like shows at once in its region, lags elsewhere, and both pages converge', async () => {
  const room = randomRoom('browser');
  // Two people: two browser contexts (separate windows, so neither page is a
  // throttled background tab).
  const ctxA = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ctxB = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  const t0 = Date.now();
  await a.goto(`${env.server.url}/r/${room}`);
  await waitForCounts(a, (c) => c.every((n) => n === 0));
  const firstFrameMs = Date.now() - t0;
  await b.goto(`${env.server.url}/r/${room}`);
  await waitForCounts(b, (c) => c.every((n) => n === 0));
  console.log(`# time to first frame (navigation to counts shown): ${firstFrameMs} ms`);

  // Page A likes in Tokyo: Tokyo jumps at once, São Paulo (~1.9 s away) lags.
  // Timed inside the page, from the click to the repaint that shows it.
  const clicked = Date.now();
  const { shownMs, early } = await a.evaluate(async () => {
    const count = (r) => Number(document.querySelector(`[data-region="${r}"] [data-role="count"]`).textContent);
    const t = performance.now();
    document.querySelector('[data-region="tokyo"] [data-role="like"]').click();
    while (count('tokyo') !== 1 && performance.now() - t < 3000) {
      await new Promise((r) => requestAnimationFrame(r));
    }
    return { shownMs: performance.now() - t, early: { tokyo: count('tokyo'), saopaulo: count('saopaulo') } };
  });
  assert.equal(early.tokyo, 1, 'the like shows in its own region');
  assert.equal(early.saopaulo, 0, `São Paulo must lag behind Tokyo: ${JSON.stringify(early)}`);
  // A frame is 33 ms; the rest is the loopback round trip and a repaint.
  assert.ok(shownMs < 300, `own region showed the like after ${shownMs} ms`);
  console.log(`# like visible in its own region after ${shownMs.toFixed(0)} ms (click to repaint)`);

  // Page B sees the same like arrive, and both pages converge on 1 everywhere.
  await waitForCounts(b, (c) => c[idx('tokyo')] === 1, 2000);
  await waitForCounts(a, (c) => c.every((n) => n === 1), 5000);
  await waitForCounts(b, (c) => c.every((n) => n === 1), 5000);
  const convergedMs = Date.now() - clicked;
  console.log(`# every region agreed ${convergedMs} ms after the click`);
  assert.ok(convergedMs < 5000, `converged in ${convergedMs} ms`);

  // Page B likes in Frankfurt, page A in Sydney at the same time: both survive.
  await Promise.all([
    b.click('[data-region="frankfurt"] [data-role="like"]'),
    a.click('[data-region="sydney"] [data-role="like"]'),
  ]);
  const endA = await waitForCounts(a, (c) => c.every((n) => n === 3), 6000);
  const endB = await waitForCounts(b, (c) => c.every((n) => n === 3), 6000);
  assert.deepEqual(endA, endB);

  // The header tells the story: settled, in the verdict's own time.
  await a.waitForSelector('[data-role="status"][data-state="settled"]', { timeout: 5000 });
  const status = (await a.textContent('[data-role="status"]')).trim();
  assert.match(status, /^Settled in \d/, status);
  assert.equal(status, `Settled ${(await a.textContent('[data-role="verdict-converged"]')).trim()}`);
  assert.match(await a.textContent('[data-role="viewers"]'), /2/);

  // A frozen moment of divergence makes the better picture: like, then shoot.
  await a.click('[data-region="virginia"] [data-role="like"]');
  await a.click('[data-region="mumbai"] [data-role="like"]');
  await a.waitForTimeout(450);
  await a.screenshot({ path: join(ARTIFACTS, 'likewise-desktop.png'), fullPage: true });
  await ctxA.close();
  await ctxB.close();
});

test('the page fits a phone and behind-counts read as text', async () => {
  const room = randomRoom('phone');
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  const p = await ctx.newPage();
  await p.goto(`${env.server.url}/r/${room}`);
  await waitForCounts(p, (c) => c.every((n) => n === 0));
  await p.click('[data-region="saopaulo"] [data-role="like"]');
  await waitForCounts(p, (c) => c[idx('saopaulo')] === 1, 1000);
  const behind = await p.textContent('[data-region="tokyo"] [data-role="behind"]');
  assert.match(behind, /1 like behind|in sync/, behind);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px on a phone`);
  await p.waitForTimeout(300);
  await p.screenshot({ path: join(ARTIFACTS, 'likewise-phone.png'), fullPage: true });
  await waitForCounts(p, (c) => c.every((n) => n === 1), 5000);
  await ctx.close();
});

test('the page reconnects by itself and resyncs to the remembered room after the server restarts', async () => {
  const room = randomRoom('restart');
  const ctx = await env.browser.newContext();
  const p = await ctx.newPage();
  await p.goto(`${env.server.url}/r/${room}`);
  await waitForCounts(p, (c) => c.every((n) => n === 0));
  await p.click('[data-region="mumbai"] [data-role="like"]');
  await waitForCounts(p, (c) => c.every((n) => n === 1), 5000);

  // Restart the server on the same port and the same storage: the room is
  // restored from its log, and the page resyncs to it by itself.
  const { port, dataDir } = env.server;
  await env.server.stop();
  await p.waitForFunction(() => !/live/i.test(document.querySelector('[data-role="connection"]')?.textContent ?? ''), null, { timeout: 5000 });
  env.server = await startServer({ port, dataDir });
  await p.waitForFunction(() => /live/i.test(document.querySelector('[data-role="connection"]')?.textContent ?? ''), null, { timeout: 15000 });
  await waitForCounts(p, (c) => c.every((n) => n === 1), 5000);
  await p.click('[data-region="tokyo"] [data-role="like"]');
  await waitForCounts(p, (c) => c[idx('tokyo')] === 2, 2000);
  await ctx.close();
});

test('invalid room links get a clear error page from the server', async () => {
  const res = await fetch(`${env.server.url}/r/not.a.room`);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid room id/);
});
