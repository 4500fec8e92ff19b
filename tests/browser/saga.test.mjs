// Browser test of the super like, a saga across three regions: with the
// author's payouts closed, a super like clicked in Virginia debits a coin,
// records the super like (every card's count rises), fails to pay the
// author, and is compensated — the count falls back, the coin comes home,
// the timeline marks the moment the doomed super like became visible, and
// the verdict says money was conserved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serverAndBrowser, randomRoom, openRoom as open, ARTIFACTS, REGIONS } from './harness.mjs';

const env = serverAndBrowser();

/** The super likes each card shows, in catalog order. */
async function superCounts(page) {
  return page.evaluate((regions) => regions.map((r) => {
    const el = document.querySelector(`[data-region="${r}"] [data-role="super-count"]`);
    return el ? Number(el.textContent.trim()) : NaN;
  }), REGIONS);
}

async function waitForSupers(page, pred, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await superCounts(page);
    if (pred(last)) return last;
    await page.waitForTimeout(25);
  }
  throw new Error(`super-like counts never matched; last seen ${JSON.stringify(last)}`);
}

test('a super like with payouts closed is compensated and the coin comes back', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await open(env, ctx, randomRoom('saga'));
    await page.waitForSelector('[data-role="wallet"][data-coins="3"]');
    await page.click('[data-role="payouts"]');
    await page.waitForSelector('[data-role="payouts"][data-open="false"]', { timeout: 5000 });

    await page.click('[data-region="virginia"] [data-role="super-like"]');
    // Wallets lives in Virginia: the debit is local, at once.
    await page.waitForSelector('[data-role="saga"][data-state="running"]', { timeout: 5000 });
    await page.waitForSelector('[data-role="wallet"][data-coins="2"]', { timeout: 5000 });
    // Recorded in Frankfurt and pushed everywhere: the count rises …
    const risen = await waitForSupers(page, (c) => c.some((n) => n === 1), 15000);
    assert.ok(risen.some((n) => n === 1), `a card showed the super like: ${risen}`);
    await page.screenshot({ path: join(ARTIFACTS, 'saga-running-1280x800.png') });
    // … São Paulo refuses the credit, the saga compensates …
    await page.waitForSelector('[data-role="saga"][data-state="compensated"]', { timeout: 30000 });
    const steps = await page.$$eval('[data-role="saga"] [data-step]', (els) => els.map((e) => e.dataset.step));
    assert.deepEqual(steps, ['compensated', 'compensated', 'failed']);
    // … the coin comes back and every card falls back to zero.
    await page.waitForSelector('[data-role="wallet"][data-coins="3"]', { timeout: 10000 });
    await waitForSupers(page, (c) => c.every((n) => n === 0), 20000);

    const money = page.locator('[data-role="money-conserved"]');
    assert.equal(await money.getAttribute('data-state'), 'yes');
    assert.match(await money.textContent(), /3 in wallets \+ 0 paid \+ 0 in flight = 3 issued/);
    assert.match(await money.textContent(), /1 compensated/);
    assert.match(await money.textContent(), /1 super like seen, then taken back/);

    // The timeline: the super-like line rose and fell, and a mark sits
    // where the super like that was taken back became visible.
    await page.waitForSelector('[data-role="timeline-taken-back"][data-n="1"]', { timeout: 5000 });
    const d = await page.getAttribute('[data-role="timeline-super"]', 'd');
    const levels = [...d.matchAll(/V([\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(levels.length >= 2, `the line moved: ${d}`);
    assert.ok(Math.min(...levels) < levels[levels.length - 1], `it rose, then fell back: ${d}`);
    await page.locator('[data-role="sagas"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'saga-compensated-1280x800.png') });
  } finally {
    await ctx.close();
  }
});

test('open payouts: the super like completes and the coin pays the author', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await open(env, ctx, randomRoom('saga'));
    await page.click('[data-region="virginia"] [data-role="super-like"]');
    await page.waitForSelector('[data-role="saga"][data-state="done"]', { timeout: 30000 });
    await page.waitForSelector('[data-role="wallet"][data-coins="2"]', { timeout: 5000 });
    await waitForSupers(page, (c) => c.every((n) => n === 1), 20000);
    assert.match(await page.textContent('[data-role="money-conserved"]'), /2 in wallets \+ 1 paid \+ 0 in flight = 3 issued/);
    await page.locator('[data-role="sagas"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'saga-done-390x844.png') });
  } finally {
    await ctx.close();
  }
});
