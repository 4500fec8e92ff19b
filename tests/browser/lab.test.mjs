// Browser tests of the lab: two people in one private room break the
// network on purpose, and the verdict tells them what it cost — but only
// once the room has settled. Under event push (with retries) a partition
// only delays likes; under last writer wins the same partition silently
// loses some, and switching away keeps the loss on the panel. A queue +
// batch like is late, never lost. The public room stays locked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, REGIONS, serverAndBrowser, counts, waitForCounts, randomRoom, openRoom as open, twoPeople as two } from './harness.mjs';

const env = serverAndBrowser();

const idx = (r) => REGIONS.indexOf(r);
const card = (r, role) => `[data-region="${r}"] [data-role="${role}"]`;
const text = async (page, role) => (await page.textContent(`[data-role="${role}"]`)).trim();

/** Waits until `[data-role=role]`'s text satisfies `pred`; fails after `ms` with the last text. */
async function waitForText(page, role, pred, ms = 8000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = (await page.textContent(`[data-role="${role}"]`))?.trim();
    if (pred(last)) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`${role} never matched; last seen ${JSON.stringify(last)}`);
}

/** Moves a range input to `value` the way a person does: input events while dragging, change on release. */
async function setSlider(page, selector, value) {
  await page.$eval(selector, (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

/** Waits until the map draws `n` cut links. */
async function waitForCutLanes(page, n, ms = 3000) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-role="cut-lane"]').length === n, n, { timeout: ms });
}

/** This file's server and browser: see harness.mjs. */
const openRoom = (ctx, room) => open(env, ctx, room);
const twoPeople = (room) => two(env, room);

/** Records, inside the page, whether the verdict ever showed a loss (state "bad" or a lost count above 0). */
async function watchForLoss(page) {
  await page.evaluate(() => {
    window.__sawLoss = null;
    window.__lossWatch = setInterval(() => {
      const state = document.querySelector('[data-role="verdict"]')?.dataset.state;
      const lost = Number(document.querySelector('[data-role="verdict-lost"]')?.textContent ?? 0);
      if (state === 'bad' || lost > 0) window.__sawLoss ??= `state ${state}, lost ${lost}`;
    }, 10);
  });
}

async function sawLoss(page) {
  return page.evaluate(() => {
    clearInterval(window.__lossWatch);
    return window.__sawLoss;
  });
}

/** The header's status text and state. */
async function status(page) {
  const el = await page.$('[data-role="status"]');
  return { text: (await el.textContent()).trim(), state: await el.getAttribute('data-state') };
}

test('a partition only delays likes under event push, and the verdict waits for the heal', async () => {
  const room = randomRoom('lab');
  const { a, b, close } = await twoPeople(room);

  // Event push, with retries so a healed partition is repaired promptly.
  // The retry period shown is the one in force: the shared default, 5 s.
  assert.equal(await a.getAttribute('[data-role="strategy-option"][data-strategy="event_push"]', 'data-selected'), 'true');
  await a.click('[data-role="retries"]');
  await b.waitForFunction(() => document.querySelector('[data-role="retries"]')?.checked === true, null, { timeout: 5000 });
  assert.equal(await text(b, 'retry-value'), 'every 5.0 s');

  // Network settings are the room's: A turns loss up, B sees it; and back.
  await setSlider(a, '[data-role="loss"]', 20);
  await waitForText(b, 'loss-value', (t) => t === '20 %', 3000);
  await setSlider(a, '[data-role="loss"]', 0);
  await waitForText(b, 'loss-value', (t) => t === '0 %', 3000);

  // A cuts Virginia off; both maps show its five links cut (B's proves the
  // room applied it before B's likes).
  await a.click(card('virginia', 'isolate'));
  await waitForCutLanes(b, 5);
  await waitForCutLanes(a, 5);
  assert.equal((await a.textContent(card('virginia', 'isolate'))).trim(), 'Rejoin');
  assert.equal((await b.textContent(card('virginia', 'isolate'))).trim(), 'Rejoin');

  // B likes twice in Tokyo, A once in Virginia: Virginia and the rest disagree until the heal.
  await watchForLoss(a);
  await b.click(card('tokyo', 'like'));
  await b.click(card('tokyo', 'like'));
  await a.click(card('virginia', 'like'));
  const split = [2, 2, 2, 2, 1, 2];
  await waitForCounts(a, (c) => c.every((n, i) => n === split[i]), 8000);
  await waitForCounts(b, (c) => c.every((n, i) => n === split[i]), 8000);
  await a.waitForTimeout(500);
  assert.deepEqual(await counts(a), split, 'an isolated region stays apart');
  // Not judged while cut off: "judging…", what it waits for, and no loss.
  assert.match(await text(a, 'verdict-converged'), /not yet/i);
  assert.equal(await a.getAttribute('[data-role="verdict"]', 'data-state'), 'pending');
  assert.match(await text(a, 'verdict-pending'), /cut off until the partition heals/);
  assert.equal(await a.locator('[data-role="verdict-lost"]').count(), 0, 'no loss figure before the room settles');
  assert.equal((await status(a)).state, 'settling');
  await a.screenshot({ path: join(ARTIFACTS, 'likewise-lab.png'), fullPage: true });

  // Heal: every region ends on 3, and nothing was lost or double counted.
  await a.click(card('virginia', 'isolate'));
  await waitForCutLanes(b, 0);
  await waitForCounts(a, (c) => c.every((n) => n === 3), 15000);
  await waitForCounts(b, (c) => c.every((n) => n === 3), 15000);
  await waitForText(a, 'verdict-converged', (t) => /^in \d/.test(t), 8000);
  assert.equal(await text(a, 'verdict-acked'), '3');
  assert.equal(await text(a, 'verdict-lost'), '0');
  assert.equal(await text(a, 'verdict-double'), '0');
  assert.equal(await a.getAttribute('[data-role="verdict"]', 'data-state'), 'good');
  assert.equal(await sawLoss(a), null, 'the verdict never showed a loss on the way');
  // One status, one time: the header's equals the verdict's.
  const { text: said, state } = await status(a);
  assert.equal(state, 'settled');
  assert.equal(said, `Settled ${await text(a, 'verdict-converged')}`);
  assert.match(await text(a, 'verdict-timing'), /after (a heal|the last like)/);

  await close();
});

test('last writer wins loses likes; switching to event push keeps the loss and tells everyone', async () => {
  const room = randomRoom('lww');
  const { a, b, close } = await twoPeople(room);

  await b.click('[data-role="strategy-option"][data-strategy="last_writer_wins"]');
  await a.waitForSelector('[data-role="strategy-option"][data-strategy="last_writer_wins"][data-selected="true"]', { timeout: 5000 });
  // Its knobs show what is in force: the default clock skew, and the
  // re-send period. Re-send every 500 ms (the slider's second notch), so
  // the healed partition is repaired in seconds.
  assert.equal(await text(a, 'skew-value'), '±5 ms');
  await setSlider(a, '[data-role="interval"]', 1);
  await waitForText(b, 'interval-value', (t) => t === 'every 500 ms', 5000);

  // Likes on both sides of a partition: each side writes "its total + 1".
  await a.click(card('virginia', 'isolate'));
  await waitForCutLanes(b, 5);
  await b.click(card('tokyo', 'like'));
  await b.click(card('tokyo', 'like'));
  await a.click(card('virginia', 'like'));
  await waitForCounts(a, (c) => c[idx('tokyo')] === 2 && c[idx('virginia')] === 1, 5000);
  await a.waitForTimeout(300);
  await a.click(card('virginia', 'isolate'));
  const end = await waitForCounts(a, (c) => c.every((n) => n === c[0]), 25000);
  await waitForText(a, 'verdict-converged', (t) => /^in \d/.test(t), 8000);
  const lost = Number(await waitForText(a, 'verdict-lost', (t) => Number(t) > 0, 5000));
  assert.equal(await text(a, 'verdict-acked'), '3');
  assert.equal(end[0] + lost, 3, `settled on ${end[0]}, lost ${lost}`);
  assert.match(await text(a, 'verdict-sentence'), /lost \(last writer wins overwrote them\)/);
  assert.match(await text(a, 'verdict-lost-cause'), /concurrent writes|clock skew/);
  assert.match(await text(a, 'verdict-origins'), /(Tokyo|Virginia): \d acknowledged, \d lost/);
  assert.equal(await a.getAttribute('[data-role="verdict"]', 'data-state'), 'bad');
  assert.deepEqual(await status(a), { text: 'Settled on a wrong count', state: 'wrong' });
  await waitForCounts(b, (c) => c.every((n) => n === end[0]), 5000);
  assert.equal(await text(b, 'verdict-lost'), String(lost));
  console.log(`# last writer wins settled on ${end[0]} of 3 acknowledged likes`);
  // The settled wrong verdict, at both sizes.
  await a.screenshot({ path: join(ARTIFACTS, 'likewise-lww-desktop.png'), fullPage: true });
  await a.setViewportSize({ width: 390, height: 844 });
  await a.waitForTimeout(200);
  await (await a.$('.verdict')).screenshot({ path: join(ARTIFACTS, 'likewise-lww-verdict-phone.png') });
  await a.setViewportSize({ width: 1280, height: 900 });

  // A switches to event push: both pages are told what the switch did, and
  // once the room settles again the loss is still on the panel.
  await a.click('[data-role="strategy-option"][data-strategy="event_push"]');
  // (The notice of the earlier knob change may still be up: wait for this one.)
  for (const page of [a, b]) {
    await waitForText(page, 'switch-notice', (t) => /^Switched from last writer wins to event push/.test(t ?? ''), 5000);
  }
  await waitForText(b, 'verdict-lost', (t) => Number(t) === lost, 10000);
  assert.equal(await b.getAttribute('[data-role="verdict"]', 'data-state'), 'bad');
  assert.match(await text(b, 'verdict-sentence'), /overwrote them before the switch/);
  // Dismissed on one page, the notice stays on the other.
  await b.click('[data-role="switch-dismiss"]');
  await b.waitForSelector('[data-role="switch-notice"]', { state: 'detached', timeout: 2000 });
  assert.equal(await a.locator('[data-role="switch-notice"]').count(), 1);

  await close();
});

test('one link tuned by hand: everyone sees it, likes take its delay, and reset puts it back', async () => {
  const room = randomRoom('link');
  const { a, b, close } = await twoPeople(room);

  // Plain event push, no gossip: a like travels on the direct links only.
  await setSlider(a, '[data-role="interval"]', 0);
  await waitForText(b, 'interval-value', (t) => t === 'off', 5000);

  // The editor starts from what the room runs: the link's base delay.
  await a.selectOption('[data-role="link-from"]', 'virginia');
  await a.selectOption('[data-role="link-to"]', 'saopaulo');
  assert.equal(await a.isChecked('[data-role="link-both"]'), true);
  assert.match(await text(a, 'link-state'), /follows the room-wide settings: 9\d\d ms/);
  assert.equal(await a.isDisabled('[data-role="link-apply"]'), true, 'nothing to apply yet');
  assert.equal(await a.isDisabled('[data-role="link-reset"]'), true, 'nothing to reset yet');

  // A makes Virginia <-> São Paulo, one of the shortest links, an 8 s one.
  // B sees it listed, and B's delay table outlines both directions.
  await setSlider(a, '[data-role="link-latency"]', 8000);
  assert.equal(await text(a, 'link-latency-value'), '8.0 s');
  await a.click('[data-role="link-apply"]');
  const chip = '[data-role="link-custom"][data-from="virginia"][data-to="saopaulo"]';
  await b.waitForSelector(chip, { timeout: 5000 });
  assert.match(await b.textContent(chip), /Virginia.*⇄.*São Paulo.*8\.0 s/s);
  assert.equal(await b.locator('table.latency td.edited').count(), 2);
  assert.equal(await b.locator('[data-role="tuned-lane"]').count(), 1, 'one lane on the map for both directions');
  await waitForText(a, 'link-state', (t) => /settings of its own/.test(t), 3000);
  await a.screenshot({ path: join(ARTIFACTS, 'likewise-link.png'), fullPage: true });

  // A like in Virginia: on healthy links São Paulo (0.9 s away) hears of it
  // before Sydney (1.7 s). Now the far regions all have it first, and São
  // Paulo catches up when the slow link delivers.
  await b.click(card('virginia', 'like'));
  const others = ['tokyo', 'sydney', 'mumbai', 'frankfurt'];
  const first = await waitForCounts(b, (c) => others.every((r) => c[idx(r)] === 1), 5000);
  assert.equal(first[idx('saopaulo')], 0, `the slow link still carries the like: ${first}`);
  await waitForCounts(b, (c) => c.every((n) => n === 1), 12000);

  // B picks the link from the list and resets it: gone for both pages.
  await b.click(chip);
  assert.equal(await b.inputValue('[data-role="link-from"]'), 'virginia');
  assert.equal(await b.inputValue('[data-role="link-to"]'), 'saopaulo');
  await b.click('[data-role="link-reset"]');
  await a.waitForSelector('[data-role="link-custom"]', { state: 'detached', timeout: 5000 });
  await waitForText(a, 'link-state', (t) => /follows the room-wide settings: 9\d\d ms/.test(t), 3000);
  assert.equal(await a.locator('table.latency td.edited').count(), 0);
  assert.equal(await a.locator('[data-role="tuned-lane"]').count(), 0);

  await close();
});

test('a region that cannot take likes says why, on its button', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await openRoom(ctx, randomRoom('down'));
  const label = async (r) => (await p.textContent(card(r, 'like'))).trim();

  // Crashed: "Down", disabled, and nothing else — no count, no "in sync".
  await p.click(card('mumbai', 'crash'));
  await p.waitForSelector(`${card('mumbai', 'like')}:disabled`, { timeout: 3000 });
  assert.equal(await label('mumbai'), 'Down');
  assert.equal((await p.textContent(card('mumbai', 'behind'))).trim(), '');
  assert.equal((await p.textContent(card('mumbai', 'count'))).trim(), '—');
  assert.equal((await p.textContent(card('mumbai', 'crash'))).trim(), 'Restart');
  await p.click(card('mumbai', 'crash'));
  await p.waitForSelector(`${card('mumbai', 'like')}:enabled`, { timeout: 3000 });
  assert.equal(await label('mumbai'), 'Like');

  // Single writer in Virginia, followers suspecting it after 5 s (the
  // shared default, shown as in force). Tokyo, cut off from its leader,
  // still takes a like — in doubt, since nobody can tell a cut from a slow
  // link — and refuses likes ("Unavailable") only once its timeout passes.
  await p.click('[data-role="strategy-option"][data-strategy="single_writer"]');
  await p.waitForSelector('[data-role="leader"]', { timeout: 3000 });
  assert.equal(await p.inputValue('[data-role="leader"]'), 'virginia');
  assert.equal(await text(p, 'timeout-value'), 'after 5.0 s');
  await p.selectOption('[data-role="cut-a"]', 'tokyo');
  await p.selectOption('[data-role="cut-b"]', 'virginia');
  await p.click('[data-role="cut"]');
  await waitForCutLanes(p, 1);
  assert.equal(await label('tokyo'), 'Like');
  await p.click(card('tokyo', 'like'));
  await waitForText(p, 'verdict-pending', (t) => /1 like in doubt/.test(t), 3000);
  assert.equal(await p.locator('[data-role="verdict-lost"]').count(), 0);
  await p.waitForSelector(`${card('tokyo', 'like')}:disabled`, { timeout: 10000 });
  assert.equal(await label('tokyo'), 'Unavailable');
  // Healed: the like in doubt is answered, and nothing was lost.
  await p.click('[data-role="heal-all"]');
  await p.waitForSelector(`${card('tokyo', 'like')}:enabled`, { timeout: 8000 });
  assert.equal(await p.locator('[data-role="cut-lane"]').count(), 0);
  await waitForText(p, 'verdict-lost', (t) => t === '0', 15000);
  assert.equal(await text(p, 'verdict-acked'), '1');
  await ctx.close();
});

test('a volatile crash destroys a like only its region held: the card reads Down, the verdict waits, then counts it lost', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await openRoom(ctx, randomRoom('volatile'));
  // No durable log, and Tokyo cut off: a like there lives in Tokyo alone.
  await p.click('[data-role="durable"]');
  await p.waitForFunction(() => document.querySelector('[data-role="durable"]')?.checked === false, null, { timeout: 3000 });
  await p.click(card('tokyo', 'isolate'));
  await waitForCutLanes(p, 5);
  await p.click(card('tokyo', 'like'));
  await waitForCounts(p, (c) => c[idx('tokyo')] === 1, 3000);
  await p.click(card('tokyo', 'crash'));
  // Down, and nothing else on the card; the verdict waits for the restart.
  await p.waitForSelector(`${card('tokyo', 'like')}:disabled`, { timeout: 3000 });
  assert.equal((await p.textContent(card('tokyo', 'behind'))).trim(), '');
  assert.equal((await p.textContent(card('tokyo', 'count'))).trim(), '—');
  await waitForText(p, 'verdict-crashes', (t) => /^1 acknowledged like was destroyed by crashes/.test(t), 3000);
  assert.match(await text(p, 'verdict-pending'), /Tokyo is down: judged once it restarts/);
  assert.equal(await p.locator('[data-role="verdict-lost"]').count(), 0);
  // Back up and healed: settled on 0, the like lost, Tokyo's origin blamed.
  await p.click(card('tokyo', 'crash'));
  await p.waitForSelector(`${card('tokyo', 'like')}:enabled`, { timeout: 3000 });
  await p.click(card('tokyo', 'isolate'));
  await waitForText(p, 'verdict-lost', (t) => t === '1', 10000);
  assert.equal(await p.getAttribute('[data-role="verdict"]', 'data-state'), 'bad');
  assert.match(await text(p, 'verdict-sentence'), /crash without a durable log destroyed them/);
  assert.match(await text(p, 'verdict-origins'), /Tokyo: 1 acknowledged, 1 lost/);
  assert.deepEqual(await status(p), { text: 'Settled on a wrong count', state: 'wrong' });
  await ctx.close();
});

test('queue + batch: one like is late, not lost — the verdict waits for the batch, then finds nothing lost', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await openRoom(ctx, randomRoom('batch'));
  await p.click('[data-role="strategy-option"][data-strategy="queue_batch"]');
  await p.waitForSelector('[data-role="strategy-option"][data-strategy="queue_batch"][data-selected="true"]', { timeout: 5000 });
  // The knob shows the batch period in force (3 s), not its nearest notch.
  assert.equal(await text(p, 'interval-value'), 'every 3.0 s');
  const stages = () => p.$$eval('[data-role="stage"] .stage-count', (els) => els.map((e) => Number(e.textContent)));
  await p.waitForFunction(() => document.querySelectorAll('[data-role="stage"]').length === 2, null, { timeout: 5000 });

  await watchForLoss(p);
  await p.click(card('tokyo', 'like'));
  // Acknowledged on the queue at once; the count itself waits for the batch.
  await p.waitForFunction(() => document.querySelector('[data-role="stage"] .stage-count')?.textContent === '1', null, { timeout: 2000 });
  // The drain from Tokyo to the writer in Virginia alone takes ~1.1 s, so
  // right after the click the like cannot be in the database yet.
  assert.deepEqual(await stages(), [1, 0]);
  const before = await counts(p);
  assert.equal(before[idx('tokyo')], 0, `not even Tokyo shows it before the batch: ${before}`);
  // Every region shows 0 and so "agrees": the verdict still waits, and says for what.
  assert.equal(await p.getAttribute('[data-role="verdict"]', 'data-state'), 'pending');
  assert.match(await text(p, 'verdict-flag'), /judging/i);
  assert.match(await text(p, 'verdict-pending'), /1 like on the queues, waiting for the 3 s batch in Virginia/);
  assert.equal(await p.locator('[data-role="verdict-lost"]').count(), 0);
  // Within a few batch periods it is in the database and everywhere, and
  // the room settles with nothing lost.
  await waitForCounts(p, (c) => c.every((n) => n === 1), 12000);
  assert.deepEqual(await stages(), [1, 1]);
  await waitForText(p, 'verdict-lost', (t) => t === '0', 8000);
  assert.equal(await p.getAttribute('[data-role="verdict"]', 'data-state'), 'good');
  assert.equal(await sawLoss(p), null, 'the verdict never showed a loss while the like waited');
  // The time is broken down: the wait for the batch, then the way out.
  assert.match(await text(p, 'verdict-timing'), /after the last like = .* waiting for the next batch/);
  await ctx.close();
});

test('the lab fits a phone', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  const p = await openRoom(ctx, randomRoom('labphone'));
  await p.click(card('frankfurt', 'isolate'));
  await p.click(card('sydney', 'like'));
  await p.waitForTimeout(400);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px on a phone`);
  const lab = await p.$('.lab');
  await lab.screenshot({ path: join(ARTIFACTS, 'likewise-lab-phone.png') });
  await ctx.close();
});

test('the public room shows the controls locked', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await ctx.newPage();
  p.setDefaultTimeout(10000);
  await p.goto(`${env.server.url}/`);
  await waitForCounts(p, (c) => c.every((n) => Number.isInteger(n)));
  await p.waitForSelector('[data-role="controls"][data-locked="true"]', { timeout: 5000 });
  assert.match(await text(p, 'lock-note'), /public room only takes likes.*New room/);
  for (const sel of ['[data-role="strategy-option"]', '[data-role="loss"]', '[data-role="cut"]', '[data-role="heal-all"]', '[data-role="durable"]']) {
    const enabled = await p.locator(sel).evaluateAll((els) => els.filter((e) => !e.disabled).length);
    assert.equal(enabled, 0, `${sel} must be disabled in the public room`);
  }
  assert.equal(await p.locator('[data-role="isolate"], [data-role="crash"]').count(), 0, 'no per-region faults in the public room');
  // Likes still work there, and the verdict is live.
  await p.waitForSelector('[data-role="verdict"]', { timeout: 2000 });
  assert.ok(await p.isEnabled(card('tokyo', 'like')));
  await ctx.close();
});
