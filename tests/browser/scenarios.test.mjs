// Browser tests of the guided scenarios (issue 11): each of the seven runs
// end to end from its link, /s/{id}, in a new private room (at speed ×2),
// and ends in the state its caption promises, read through the page's own
// hooks — the six counts, the verdict's lost figure, the refused count.
// Picking a scenario in the public room opens a new private room; the
// scenario's pause stops its steps; the scenario panel leaves the map, the
// counts and the Like buttons on the first screen. Screenshots of a
// scenario running at 1280×800 and 390×844 land in tests/browser/artifacts/,
// and axe-core finds no WCAG 2.1 AA violation on either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, REGIONS, serverAndBrowser, counts, waitForCounts, openPage, axe } from './harness.mjs';

const env = serverAndBrowser();
const open = (ctxOptions, path) => openPage(env, ctxOptions, path);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true };

// What each caption promises, written out here independently of the
// catalogue in shared/src/scenario/catalogue.rs: every region's count at
// the end, the likes lost, the likes refused; and how long (simulated ms)
// the story takes, to bound the wait.
const PROMISES = {
  same_moment: { every: 2, lost: 0, refused: 0, ends: 4_000 },
  celebrity: { every: 72, lost: 0, refused: 0, ends: 2_500 },
  cable_cut: { every: 5, lost: 0, refused: 0, ends: 12_500 },
  region_down: { every: 2, lost: 1, refused: 0, ends: 15_000 },
  nightly_batch: { every: 4, lost: 0, refused: 0, ends: 60_000 },
  money: { every: 2, lost: 0, refused: 3, ends: 7_000 },
  skewed_clock: { every: 1, lost: 1, refused: 0, ends: 4_000 },
};

const text = (page, role) => page.locator(`[data-role="${role}"]`).first().textContent();

test('every scenario plays to its end from its link and keeps its promise', async () => {
  const ids = await (async () => {
    const { ctx, page } = await open({ viewport: DESKTOP }, '/');
    const ids = await page.$$eval('[data-role="scenario"]', (els) => els.map((e) => e.dataset.scenario));
    await ctx.close();
    return ids;
  })();
  assert.deepEqual([...ids].sort(), Object.keys(PROMISES).sort(), 'the strip offers the seven scenarios');

  for (const id of ids) {
    const promise = PROMISES[id];
    const { ctx, page } = await open({ viewport: DESKTOP }, `/s/${id}`);
    assert.match(new URL(page.url()).pathname, /^\/r\/[A-Za-z0-9]{22}$/, `${id} lands in a new private room`);
    await page.waitForSelector(`[data-role="scenario-panel"][data-scenario="${id}"]`);
    assert.ok((await text(page, 'scenario-caption')).length > 80, `${id} has its caption`);
    assert.equal(await page.locator(`[data-role="scenario"][data-scenario="${id}"][aria-current="true"]`).count(), 1);
    await page.waitForSelector('[data-role="controls"][data-locked="false"]');
    await page.selectOption('[data-role="time-speed"]', '2');

    const timeout = promise.ends / 2 + 20_000;
    await page.waitForSelector('[data-role="scenario-panel"][data-finished="true"]', { timeout });
    const steps = await page.$$eval('[data-role="scenario-step"]', (els) => els.map((e) => e.dataset.state));
    assert.deepEqual(steps, [...steps.slice(1).map(() => 'done'), 'current'], `${id}: the last step is the current one`);

    const end = await waitForCounts(page, (c) => c.every((n) => n === promise.every), 3000);
    assert.deepEqual(end, REGIONS.map(() => promise.every), `${id}: every region shows ${promise.every}`);
    const lost = await page.waitForSelector('[data-role="verdict-lost"]');
    assert.equal(Number(await lost.textContent()), promise.lost, `${id}: likes lost`);
    const note = await page.locator('[data-role="verdict-acked"] + .fact-note').textContent();
    const refused = Number(note.match(/(\d+) refused/)?.[1] ?? 0);
    assert.equal(refused, promise.refused, `${id}: likes refused (${note})`);
    assert.match(await text(page, 'scenario-status'), /^Finished/);
    await ctx.close();
  }
});

test('picking a scenario in the public room opens a new private room playing it', async () => {
  const { ctx, page } = await open({ viewport: DESKTOP }, '/');
  assert.equal(await page.locator('[data-role="scenario-panel"]').count(), 0, 'no story runs in the public room');
  await Promise.all([page.waitForURL(/\/r\/[A-Za-z0-9]{22}$/), page.click('[data-role="scenario"][data-scenario="cable_cut"]')]);
  await page.waitForSelector('[data-role="scenario-panel"][data-scenario="cable_cut"]');
  assert.match(await text(page, 'scenario-caption'), /cables/);
  // "Play again" is a new room with the same story.
  const first = page.url();
  await Promise.all([page.waitForURL((u) => u.href !== first), page.click('[data-role="scenario-restart"]')]);
  await page.waitForSelector('[data-role="scenario-panel"][data-scenario="cable_cut"]');
  await ctx.close();
});

test('an unknown scenario link says so', async () => {
  const { ctx, page } = await (async () => {
    const ctx = await env.browser.newContext();
    return { ctx, page: await ctx.newPage() };
  })();
  const res = await page.goto(`${env.server.url}/s/teleport`);
  assert.equal(res.status(), 404);
  assert.match(await page.textContent('body'), /no scenario is called "teleport"/);
  await ctx.close();
});

test('pausing stops the story; resuming goes on; the first screen still holds the map and every card', async () => {
  const { ctx, page } = await open({ viewport: DESKTOP }, '/s/cable_cut');
  await page.waitForSelector('[data-role="scenario-panel"]');
  await page.waitForSelector('[data-role="controls"][data-locked="false"]');
  // The first screen: map, six counts, six Like buttons, and the caption.
  const inside = async (selector, what) => {
    const b = await page.locator(selector).first().boundingBox();
    assert.ok(b && b.y >= 0 && b.y + b.height <= DESKTOP.height + 0.5 && b.x + b.width <= DESKTOP.width + 0.5,
      `${what} is outside the first screen: ${JSON.stringify(b)}`);
  };
  await inside('[data-role="map"] .map-frame', 'the map');
  await inside('[data-role="scenario-caption"]', 'the caption');
  for (const r of REGIONS) {
    await inside(`[data-region="${r}"] [data-role="count"]`, `${r}'s count`);
    await inside(`[data-region="${r}"] [data-role="like"]`, `${r}'s Like`);
  }
  // Pause early in the story: no step plays while the room stands still.
  await page.click('[data-role="scenario-pause"]');
  await page.waitForSelector('[data-role="time-resume"]');
  const played = () => page.$$eval('[data-role="scenario-step"]:not([data-state="next"])', (els) => els.length);
  const before = await played();
  await page.screenshot({ path: join(ARTIFACTS, 'scenario-paused-desktop.png') });
  await page.waitForTimeout(2500);
  assert.equal(await played(), before, 'no step plays while the room is paused');
  assert.match(await text(page, 'scenario-status'), /^Paused/);
  await page.click('[data-role="scenario-pause"]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-role="scenario-step"]:not([data-state="next"])').length > n, before);
  await ctx.close();
});

test('screenshots of a scenario running, desktop and phone; axe finds no violation', async () => {
  const shots = [
    [{ viewport: DESKTOP }, 'scenario-desktop.png'],
    [PHONE, 'scenario-phone.png'],
  ];
  for (const [options, file] of shots) {
    const { ctx, page } = await open(options, '/s/cable_cut');
    await page.waitForSelector('[data-role="scenario-step"]:nth-child(4)[data-state="current"]', { timeout: 10000 });
    if (file.includes('phone')) {
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(sideways <= 0, `the phone page scrolls sideways by ${sideways}px`);
    }
    await page.screenshot({ path: join(ARTIFACTS, file) });
    const violations = await axe(page);
    assert.deepEqual(violations, [], `${file}: ${JSON.stringify(violations, null, 1)}`);
    if (file.includes('phone')) {
      // On a phone the story follows the map and the cards.
      await page.locator('[data-role="scenario-panel"]').screenshot({ path: join(ARTIFACTS, 'scenario-phone-panel.png') });
    }
    await ctx.close();
  }
});
