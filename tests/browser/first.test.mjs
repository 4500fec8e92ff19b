// Browser tests of the first screen (issue 11): what a newcomer meets
// before scrolling. At 1280×800 the world map, the six counts and the six
// Like buttons are all inside the viewport; a like sends a message across
// the map's canvas; a tap on a link cuts it for everyone in the room and a
// second tap heals it; the two-group partition splits the world with one
// click and heals it with another; the phone layout puts the map first and
// never scrolls sideways; axe-core finds no WCAG 2.1 AA violation at either
// size, in the public room and in a private one. Screenshots of both sizes
// land in tests/browser/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, REGIONS, serverAndBrowser, counts, waitForCounts, randomRoom, openPage, axe } from './harness.mjs';

const env = serverAndBrowser();
const open = (ctxOptions, path) => openPage(env, ctxOptions, path);
const card = (r, role) => `[data-region="${r}"] [data-role="${role}"]`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true };

/** The bounding box of `selector`, or null when it is not rendered. */
const box = (page, selector) => page.locator(selector).first().boundingBox();

function inside(b, vp, what) {
  assert.ok(b, `${what} is not rendered`);
  assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= vp.width + 0.5 && b.y + b.height <= vp.height + 0.5,
    `${what} is outside the ${vp.width}×${vp.height} first screen: ${JSON.stringify(b)}`);
}

test('at 1280×800 the map, every count and every Like button are on the first screen', async () => {
  for (const path of ['/', `/r/${randomRoom('first')}`]) {
    const { ctx, page } = await open({ viewport: DESKTOP }, path);
    inside(await box(page, '[data-role="map"] .map-frame'), DESKTOP, `the map (${path})`);
    for (const r of REGIONS) {
      inside(await box(page, card(r, 'count')), DESKTOP, `${r}'s count (${path})`);
      inside(await box(page, card(r, 'like')), DESKTOP, `${r}'s Like (${path})`);
      inside(await box(page, `[data-role="map-region"][data-region="${r}"]`), DESKTOP, `${r} on the map (${path})`);
    }
    inside(await box(page, '[data-role="status"]'), DESKTOP, `the status (${path})`);
    await page.screenshot({ path: join(ARTIFACTS, `first-1280x800${path === '/' ? '-public' : '-private'}.png`) });
    await ctx.close();
  }
});

test('a like sends a message across the map canvas', async () => {
  const { ctx, page } = await open({ viewport: DESKTOP }, `/r/${randomRoom('fly')}`);
  // Count the canvas pixels in the like colour before and after a like.
  const likePixels = () => page.evaluate(() => {
    const c = document.querySelector('canvas.flights');
    const like = getComputedStyle(c).getPropertyValue('--like').trim();
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = like;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) < 6 && Math.abs(data[i + 1] - g) < 6 && Math.abs(data[i + 2] - b) < 6 && data[i + 3] > 200) n++;
    }
    return n;
  });
  assert.equal(await likePixels(), 0, 'no like on its way before any click');
  await page.click(card('tokyo', 'like'));
  await page.waitForFunction(() => Number(document.querySelector('[data-role="in-flight"]').textContent) > 0);
  await page.waitForTimeout(250);
  const first = await likePixels();
  assert.ok(first > 20, `a like's dots are drawn (${first} px)`);
  await page.screenshot({ path: join(ARTIFACTS, 'first-like-in-flight.png') });
  await ctx.close();
});

test('tapping a link cuts it for both pages, tapping again heals it', async () => {
  const room = randomRoom('tap');
  const a = await open({ viewport: DESKTOP }, `/r/${room}`);
  const b = await open({ viewport: DESKTOP }, `/r/${room}`);
  await a.page.waitForSelector('[data-role="controls"][data-locked="false"]');
  const link = '[data-role="map-link"][data-from="tokyo"][data-to="virginia"], [data-role="map-link"][data-from="virginia"][data-to="tokyo"]';
  await a.page.locator(link).first().focus();
  await a.page.keyboard.press('Enter');
  for (const p of [a.page, b.page]) {
    await p.waitForSelector(`:is(${link})[data-cut="true"]`);
    await p.waitForFunction(() => document.querySelectorAll('[data-role="cut-lane"]').length === 1);
  }
  // A tap (a click on the handle) heals it again, for both.
  await a.page.locator(link).first().locator('.link-handle').click();
  for (const p of [a.page, b.page]) {
    await p.waitForSelector(`:is(${link})[data-cut="false"]`);
    await p.waitForFunction(() => document.querySelectorAll('[data-role="cut-lane"]').length === 0);
  }
  await a.ctx.close();
  await b.ctx.close();
});

test('the two-group partition splits the world with one click and heals it with another', async () => {
  const { ctx, page } = await open({ viewport: DESKTOP }, `/r/${randomRoom('split')}`);
  await page.waitForSelector('[data-role="controls"][data-locked="false"]');
  // Move Mumbai to the western side: 4 against 2 is 8 links.
  await page.click('[data-role="partition-chip"][data-for="mumbai"]');
  await page.waitForSelector('[data-role="partition-chip"][data-for="mumbai"][data-group="a"]');
  await page.click('[data-role="partition-split"]');
  await page.waitForSelector('[data-role="partition-groups"][data-state="split"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-role="cut-lane"]').length === 8);
  // Likes on both sides stay on their side.
  await page.click(card('tokyo', 'like'));
  await page.click(card('virginia', 'like'));
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(ARTIFACTS, 'first-split.png') });
  await waitForCounts(page, (c) => c.every((n) => n === 1));
  await page.waitForTimeout(1000);
  assert.deepEqual(await counts(page), [1, 1, 1, 1, 1, 1], 'each side holds its own like only');
  await page.click('[data-role="partition-heal"]');
  await page.waitForSelector('[data-role="partition-groups"][data-state="whole"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-role="cut-lane"]').length === 0);
  await waitForCounts(page, (c) => c.every((n) => n === 2), 30000);
  await ctx.close();
});

test('a phone shows the map first, then the counts, and never scrolls sideways', async () => {
  const { ctx, page } = await open(PHONE, `/r/${randomRoom('phone')}`);
  const map = await box(page, '[data-role="map"] .map-frame');
  const firstCard = await box(page, card('virginia', 'count'));
  assert.ok(map.y < firstCard.y, 'the map comes before the cards');
  inside(map, PHONE.viewport, 'the map on a phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
  // The lab's controls are folded in a drawer until asked for.
  assert.equal(await page.isVisible('[data-role="strategy-option"]'), false, 'controls folded on a phone');
  await page.click('[data-role="controls-toggle"]');
  assert.equal(await page.isVisible('[data-role="strategy-option"]'), true, 'controls open on demand');
  await page.click('[data-role="controls-toggle"]');
  await page.screenshot({ path: join(ARTIFACTS, 'first-390x844.png') });
  await ctx.close();
});

test('axe-core finds no WCAG 2.1 AA violations (public, private, phone)', async () => {
  const cases = [
    [{ viewport: DESKTOP }, '/'],
    [{ viewport: DESKTOP }, `/r/${randomRoom('axe')}`],
    [PHONE, `/r/${randomRoom('axephone')}`],
  ];
  for (const [opts, path] of cases) {
    const { ctx, page } = await open(opts, path);
    // A like in flight and a cut, so the checked page has its moving parts.
    await page.click(card('tokyo', 'like'));
    await page.waitForTimeout(300);
    const violations = await axe(page);
    assert.deepEqual(violations, [], `${opts.viewport.width}px ${path}: ${JSON.stringify(violations, null, 1)}`);
    await ctx.close();
  }
});
