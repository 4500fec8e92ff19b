// Browser tests of time and history: pause freezes a room, step advances
// one delivery at a time, the scrubber shows the past and "back to live"
// returns, fork lands in a new room with the same counts, export then
// import rebuilds the run, `?t=` opens a room at a moment, and the
// space-time diagram draws an arrow per message — a cross for a lost one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ARTIFACTS, REGIONS, serverAndBrowser, counts, waitForCounts, randomRoom } from './harness.mjs';

const env = serverAndBrowser();

const card = (r, role) => `[data-region="${r}"] [data-role="${role}"]`;
const sum = (c) => c.reduce((a, b) => a + b, 0);

async function openRoom(room, viewport = { width: 1280, height: 800 }, query = '') {
  const ctx = await env.browser.newContext({ viewport, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(`${env.server.url}/r/${room}${query}`);
  await page.waitForSelector('[data-role="controls"][data-locked="false"]', { timeout: 8000 });
  return { page, close: () => ctx.close() };
}

/** The live room's simulated time, from the scrubber's upper end. */
const liveNow = (page) => page.$eval('[data-role="time-scrub"]', (el) => Number(el.max));

/** Drags the scrubber to `ms` (rounded to its 100 ms step). */
async function scrubTo(page, ms) {
  await page.$eval('[data-role="time-scrub"]', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, Math.max(0, Math.round(ms / 100) * 100));
}

test('pause freezes counts and messages; step advances one delivery at a time', async () => {
  const { page, close } = await openRoom(randomRoom('pause'));
  await page.click('[data-role="time-pause"]');
  await page.waitForSelector('[data-role="time-resume"]');
  assert.match(await page.textContent('[data-role="time-note"]'), /Paused at .* taken at this instant/);
  await page.click(card('tokyo', 'like'));
  // Taken at the paused instant: Tokyo shows it at once ...
  await waitForCounts(page, (c) => c[0] === 1);
  const flights = await page.$$eval('[data-role="spacetime-flight"]', (els) => els.length);
  const at = await page.textContent('[data-role="time-position"]');
  // ... and nothing travels: 2.5 s is longer than the slowest link.
  await page.waitForTimeout(2500);
  assert.deepEqual(await counts(page), [1, 0, 0, 0, 0, 0]);
  assert.equal(await page.textContent('[data-role="time-position"]'), at, 'the clock stands still');
  assert.equal(await page.$$eval('[data-role="spacetime-flight"]', (els) => els.length), flights);
  assert.ok(flights >= 5, `the five pushes wait on the wire: ${flights}`);
  // Each step is one event (a delivery or a timer): never two counts at once.
  let last = await counts(page);
  for (let i = 0; i < 40 && sum(last) < 6; i++) {
    await page.click('[data-role="time-step"]');
    await page.waitForTimeout(120);
    const now = await counts(page);
    assert.ok(sum(now) - sum(last) <= 1, `one step moved ${JSON.stringify(last)} to ${JSON.stringify(now)}`);
    last = now;
  }
  assert.deepEqual(last, [1, 1, 1, 1, 1, 1], 'stepping delivers every push');
  await page.click('[data-role="time-resume"]');
  await page.waitForSelector('[data-role="time-pause"]');
  await close();
});

test('the scrubber shows the past and back to live returns; likes are off meanwhile', async () => {
  const { page, close } = await openRoom(randomRoom('scrub'));
  await page.waitForTimeout(300);
  const before = await liveNow(page);
  await page.click(card('tokyo', 'like'));
  await waitForCounts(page, (c) => c[0] === 1);
  const likedBy = await liveNow(page);
  await waitForCounts(page, (c) => c.every((n) => n === 1));
  await page.waitForTimeout(500);
  // Before the like: nobody has it.
  await scrubTo(page, before - 200);
  await waitForCounts(page, (c) => c.every((n) => n === 0));
  assert.match(await page.textContent('[data-role="time-position"]'), /^Viewing .* ago/);
  assert.equal(await page.getAttribute('[data-role="scrubber"]', 'data-state'), 'past');
  assert.equal(await page.isDisabled(card('tokyo', 'like')), true, 'likes are off while viewing the past');
  assert.equal(await page.isDisabled('[data-role="time-pause"]'), true);
  await page.waitForSelector('[data-role="past-note"]');
  // Just after it: Tokyo has it, São Paulo (1.9 s away) not yet.
  await scrubTo(page, likedBy + 400);
  const mid = await waitForCounts(page, (c) => c[0] === 1 && c[5] === 0);
  assert.equal(mid[0], 1);
  await page.click('[data-role="time-live"]');
  await waitForCounts(page, (c) => c.every((n) => n === 1));
  assert.match(await page.textContent('[data-role="time-position"]'), /^Live/);
  assert.equal(await page.isDisabled(card('tokyo', 'like')), false);
  await close();
});

test('fork lands in a new room with the same counts; ?t= opens a room at a moment', async () => {
  const room = randomRoom('fork');
  const { page, close } = await openRoom(room);
  for (const r of ['tokyo', 'tokyo', 'mumbai']) {
    await page.click(card(r, 'like'));
    await page.waitForTimeout(60);
  }
  const settled = await waitForCounts(page, (c) => c.every((n) => n === 3));
  await page.click('[data-role="fork"]');
  await page.waitForURL((url) => url.pathname.startsWith('/r/') && !url.pathname.endsWith(room), { timeout: 8000 });
  await page.waitForSelector('[data-role="controls"][data-locked="false"]');
  assert.deepEqual(await waitForCounts(page, (c) => c.every((n) => n === 3)), settled);
  // A like here is this room's alone.
  await page.click(card('sydney', 'like'));
  await waitForCounts(page, (c) => c.every((n) => n === 4));
  await close();

  const atStart = await openRoom(room, undefined, '?t=0');
  await atStart.page.waitForSelector('[data-role="time-live"]');
  assert.deepEqual(await waitForCounts(atStart.page, (c) => c.every((n) => n === 0)), [0, 0, 0, 0, 0, 0]);
  assert.match(await atStart.page.textContent('[data-role="time-position"]'), /^Viewing .* at 0\.0 s/);
  await atStart.page.click('[data-role="time-live"]');
  // The original room kept its three.
  await waitForCounts(atStart.page, (c) => c.every((n) => n === 3));
  await atStart.close();
});

test('export then import rebuilds the run in a new room', async () => {
  const { page, close } = await openRoom(randomRoom('export'));
  await page.click(card('frankfurt', 'like'));
  await page.click(card('virginia', 'like'));
  await waitForCounts(page, (c) => c.every((n) => n === 2));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-role="export-run"]')]);
  const file = join(ARTIFACTS, 'exported-run.json');
  await download.saveAs(file);
  const run = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(run.format, 1);
  assert.equal(run.inputs.filter((i) => i.command.type === 'like').length, 2);
  await page.setInputFiles('[data-role="import-run"]', file);
  await page.waitForURL((url) => url.pathname.startsWith('/r/') && !url.pathname.includes('export-'), { timeout: 8000 });
  await waitForCounts(page, (c) => c.every((n) => n === 2));
  // A file that is not a run is refused with the server's reason.
  await page.setInputFiles('[data-role="import-run"]', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format":9}') });
  assert.match(await page.textContent('[data-role="import-error"]'), /Import refused: not a run/);
  await close();
});

test('the space-time diagram draws an arrow per message and a cross for a lost one', async () => {
  const { page, close } = await openRoom(randomRoom('spacetime'));
  await page.click(card('tokyo', 'like'));
  await waitForCounts(page, (c) => c.every((n) => n === 1));
  const pushes = '[data-role="spacetime-arrow"][data-label="like"][data-from="tokyo"]';
  await page.waitForFunction((s) => document.querySelectorAll(s).length === 5, pushes, { timeout: 4000 });
  const targets = await page.$$eval(pushes, (els) => els.map((e) => e.dataset.to).sort());
  assert.deepEqual(targets, REGIONS.filter((r) => r !== 'tokyo').sort());
  assert.equal(await page.$$eval(`${pushes}[data-lost="true"]`, (els) => els.length), 0);
  // Hovering an arrow highlights it on the timeline too.
  await page.hover(`${pushes}[data-to="sydney"] .st-hit`, { force: true });
  await page.waitForSelector('[data-role="timeline-highlight"]');
  await page.mouse.move(0, 0);
  // A like in flight to a region that crashes is lost: a cross.
  await page.click(card('mumbai', 'like'));
  await page.click(card('saopaulo', 'crash'));
  const lost = '[data-role="spacetime-arrow"][data-from="mumbai"][data-to="saopaulo"][data-lost="true"]';
  await page.waitForSelector(`${lost} .st-cross`, { timeout: 5000 });
  await page.waitForSelector('[data-role="timeline-mark"][data-what="crash"]');
  await page.waitForSelector('[data-role="spacetime-mark"]');
  await page.screenshot({ path: join(ARTIFACTS, 'time-desktop.png'), fullPage: true });
  await close();

  const phone = await openRoom(randomRoom('phone'), { width: 390, height: 844 });
  await phone.page.click(card('tokyo', 'like'));
  await waitForCounts(phone.page, (c) => c.every((n) => n === 1));
  const wide = await phone.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(wide, false, 'no sideways scroll on a phone');
  await phone.page.screenshot({ path: join(ARTIFACTS, 'time-phone.png'), fullPage: true });
  await phone.close();
});

test('the public room locks the clock and says why; fork is open there', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(env.server.url);
  await page.waitForSelector('[data-role="controls"][data-locked="true"]');
  await waitForCounts(page, (c) => c.every((n) => Number.isFinite(n)));
  assert.equal(await page.isDisabled('[data-role="time-pause"]'), true);
  assert.equal(await page.isDisabled('[data-role="time-step"]'), true);
  assert.match(await page.textContent('[data-role="time-note"]'), /public room's clock runs for everyone/);
  assert.equal(await page.isDisabled('[data-role="fork"]'), false);
  assert.equal(await page.isDisabled('[data-role="time-scrub"]'), false);
  await ctx.close();
});
