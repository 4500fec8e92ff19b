// Browser test of the "who liked" read model (CQRS): in a room of people's
// likes, a bar next to the region cards lists who liked as the projection
// answers, and how far it trails the replicas. With a slow rebuild, a like
// reaches every replica while the read model still lags, saying by how
// many events; it then catches up at its next rebuild. "On every event"
// never lags. Screenshots at 1280×800 and 390×844 go to artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, serverAndBrowser, waitForCounts, randomRoom, openRoom } from './harness.mjs';

const env = serverAndBrowser();
const RM = '[data-role="read-model"]';

const attr = (p, name) => p.getAttribute(RM, name);

test('the read model lags behind the replicas, then catches up at its rebuild', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const p = await openRoom(env, ctx, randomRoom('read-model'));
    // A room of claps has nobody to list: no read model.
    assert.equal(await p.$(RM), null);
    await p.selectOption('[data-role="like-type"]', 'likes_add_wins');
    await p.waitForSelector(RM, { timeout: 5000 });

    // Rebuilt every 15 s: the like reaches all six replicas first.
    await p.selectOption('[data-role="read-model-interval"]', '15000');
    await p.waitForSelector('[data-region="tokyo"] [data-role="like"][data-action="like"]');
    await p.click('[data-region="tokyo"] [data-role="like"]');
    await waitForCounts(p, (c) => c.every((n) => n === 1), 20000);
    await p.waitForFunction((sel) => document.querySelector(sel)?.dataset.behind === '1', RM, { timeout: 5000 });
    assert.equal(await attr(p, 'data-count'), '0', 'the replicas say 1, the read model still 0');
    assert.match(await p.textContent('[data-role="read-model-lag"]'), /1 event · \d+\.\d s behind the replicas/);
    await p.screenshot({ path: join(ARTIFACTS, 'read-model-lagging-1280x800.png') });

    // Every 0.5 s: it catches up at its next run, by itself.
    await p.selectOption('[data-role="read-model-interval"]', '500');
    await p.waitForFunction((sel) => document.querySelector(sel)?.dataset.count === '1', RM, { timeout: 5000 });
    assert.equal(await attr(p, 'data-behind'), '0');
    assert.match(await p.textContent('[data-role="read-model-lag"]'), /up to date/);

    // On every event: never behind, even right after a click.
    await p.selectOption('[data-role="read-model-interval"]', '0');
    await p.waitForSelector('[data-region="sydney"] [data-role="like"][data-action="unlike"]');
    await p.click('[data-region="sydney"] [data-role="like"]');
    await p.waitForFunction((sel) => document.querySelector(sel)?.dataset.count === '0', RM, { timeout: 5000 });
    assert.equal(await attr(p, 'data-behind'), '0');

    await p.setViewportSize({ width: 390, height: 844 });
    await p.locator(RM).scrollIntoViewIfNeeded();
    await p.screenshot({ path: join(ARTIFACTS, 'read-model-390x844.png') });
  } finally {
    await ctx.close();
  }
});
