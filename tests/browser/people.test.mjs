// Browser tests of people's likes: each browser is a person with a name
// and a home region; a private room switches its likes from claps to one
// like per person. Two people like and unlike in two regions; the cards
// show who liked as each region sees it; the same clicks — a like in a
// cut-off Tokyo while the unlike lands in Virginia — end liked under
// add-wins and not liked under remove-wins; and the verdict explains that
// a set cannot count anyone twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, waitForCounts, randomRoom, openRoom as open, twoPeople as two } from './harness.mjs';

const env = serverAndBrowser();

const card = (r, role) => `[data-region="${r}"] [data-role="${role}"]`;

/** This file's server and browser: see harness.mjs. */
const openRoom = (ctx, room) => open(env, ctx, room);
const twoPeople = (room) => two(env, room);

/** Switches the room's like type from page `p` and waits until `others` show it too. */
async function setType(p, type, others = []) {
  await p.selectOption('[data-role="like-type"]', type);
  for (const page of [p, ...others]) {
    await page.waitForSelector(`[data-role="like-type"][data-type="${type}"]`, { timeout: 5000 });
  }
}

async function setHome(p, region) {
  await p.selectOption('[data-role="home"]', region);
}

/** Clicks the like button of `region` once it offers `action` ("like" or "unlike"). */
async function click(p, region, action) {
  const sel = `[data-region="${region}"] [data-role="like"][data-action="${action}"]`;
  await p.waitForSelector(sel, { timeout: 15000 });
  await p.click(sel);
}

test('two people like and unlike in two regions; each card shows who liked', async () => {
  const { a, b, close } = await twoPeople(randomRoom('people'));
  try {
    const nameA = (await a.textContent('[data-role="me"] .me-name')).trim();
    assert.match(nameA, /^[A-Z][a-z]+ [A-Z][a-z]+$/, 'a generated two-word name');
    await setHome(a, 'tokyo');
    await setHome(b, 'virginia');
    // Each page counts both people by home region.
    await b.waitForFunction(() => {
      const t = document.querySelector('[data-role="people"]')?.textContent ?? '';
      return t.includes('Tokyo 1') && t.includes('Virginia 1');
    }, null, { timeout: 5000 });

    await setType(a, 'likes_add_wins', [b]);
    await click(a, 'tokyo', 'like');
    await click(b, 'virginia', 'like');
    await waitForCounts(a, (c) => c.every((n) => n === 2), 20000);
    // Every region lists both people; the button now offers to take it back.
    await a.click(card('frankfurt', 'likers') + ' summary');
    await a.waitForFunction((n) => document.querySelector('[data-region="frankfurt"] [data-role="likers"]')
      .textContent.includes(n), nameA, { timeout: 5000 });
    assert.equal(await a.getAttribute(card('sydney', 'liked'), 'data-liked'), 'true');
    await a.waitForSelector(`[data-region="mumbai"] [data-role="like"][data-action="unlike"]`);

    // A takes it back in Virginia: one person left, everywhere.
    await click(a, 'virginia', 'unlike');
    await waitForCounts(b, (c) => c.every((n) => n === 1), 20000);
    assert.equal(await a.getAttribute(card('tokyo', 'liked'), 'data-liked'), 'false');
    assert.equal(await b.getAttribute(card('tokyo', 'liked'), 'data-liked'), 'true');
    // Settled: judged by membership, and no double count to show.
    await b.waitForSelector('[data-role="verdict-no-double"]', { timeout: 20000 });
    assert.match(await b.textContent('[data-role="verdict-no-double"]'), /counted twice/);
    assert.equal((await b.textContent('[data-role="verdict-lost"]')).trim(), '0');
  } finally {
    await close();
  }
});

test('the same clicks end liked under add-wins and not liked under remove-wins', async () => {
  const { a, b, close } = await twoPeople(randomRoom('people-bias'));
  try {
    const outcome = {};
    for (const type of ['likes_add_wins', 'likes_remove_wins']) {
      await setType(a, type, [b]);
      await setHome(a, 'virginia');
      await click(a, 'virginia', 'like');
      await waitForCounts(a, (c) => c.every((n) => n === 1), 20000);
      // Tokyo is cut off. A unlikes at home, in Virginia; once Virginia no
      // longer counts her the buttons offer "Like" again, and she likes in
      // Tokyo — which never heard of the unlike: the two are concurrent.
      await a.click(card('tokyo', 'isolate'));
      await a.waitForSelector(card('tokyo', 'isolated'));
      await click(a, 'virginia', 'unlike');
      await a.waitForFunction(() => document.querySelector('[data-region="virginia"] [data-role="count"]')
        ?.textContent.trim() === '0', null, { timeout: 10000 });
      await click(a, 'tokyo', 'like');
      // The other regions disagree with home until Tokyo rejoins.
      await a.click(card('tokyo', 'isolate'));
      const settled = await waitForCounts(b, (c) => c.every((n) => n === c[0]), 30000);
      await b.waitForSelector('[data-role="verdict-no-double"]', { timeout: 30000 });
      outcome[type] = settled[0];
    }
    assert.deepEqual(outcome, { likes_add_wins: 1, likes_remove_wins: 0 });
  } finally {
    await close();
  }
});
