// Browser tests of the presenter (issue 11): New room makes a room whose
// maker presents it. Someone with the plain link sees the controls
// read-only with who presents, and the server refuses their changes
// (`not_presenter`) even when they bypass the page. The presenter's
// changes reach both pages, with a line in the change log naming them; a
// link can be cut one way from the map's link menu, and both pages draw
// that one direction. A presenter link (`?presenter=…`) makes another
// browser a presenter and leaves the plain link in its address bar. axe
// finds no WCAG 2.1 AA violation on either page, in the dark and the light
// scheme.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, serverAndBrowser, waitForCounts, axe } from './harness.mjs';

const env = serverAndBrowser();
const DESKTOP = { width: 1280, height: 800 };
const link = (a, b) => `[data-role="map-link"][data-from="${a}"][data-to="${b}"]`;

async function page(ctxOptions = { viewport: DESKTOP }) {
  const ctx = await env.browser.newContext(ctxOptions);
  const p = await ctx.newPage();
  p.setDefaultTimeout(10000);
  return { ctx, p };
}

const ready = (p) => waitForCounts(p, (c) => c.every((n) => n === 0));
const text = (p, role) => p.locator(`[data-role="${role}"]`).first().innerText();

/** The change log's lines on a page. */
const changes = (p) => p.locator('[data-role="change-log"] li .change-text').allInnerTexts();

/** Sends `control` on a WebSocket of the page's own, past the page's UI; resolves with the server's answer. */
function controlPastTheUi(p, room, control) {
  return p.evaluate(([room, control]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws/${room}`);
    setTimeout(() => reject(new Error('no answer')), 5000);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'snapshot') ws.send(JSON.stringify(control));
      if (msg.type === 'error') { ws.close(); resolve(msg); }
    };
  }), [room, control]);
}

test('a viewer link is read-only, the presenter changes the room for both, per direction too', async () => {
  // The teacher presses New room.
  const teacher = await page();
  await teacher.p.goto(env.server.url);
  await ready(teacher.p);
  await teacher.p.click('[data-role="new-room"]');
  await teacher.p.waitForURL(/\/r\/[A-Za-z0-9]{22}$/);
  await ready(teacher.p);
  await teacher.p.waitForSelector('[data-role="controls"][data-locked="false"]');
  assert.match(await text(teacher.p, 'presenter'), /You present/);
  const url = teacher.p.url();
  assert.ok(!url.includes('presenter'), `the address bar holds the plain link: ${url}`);
  const room = url.split('/r/')[1];

  // A student opens the plain link: read-only, and told who presents.
  const student = await page();
  await student.p.goto(url);
  await ready(student.p);
  await student.p.waitForSelector('[data-role="controls"][data-locked="true"]');
  await student.p.waitForFunction(() => /\w+ \w+ presents — controls are read-only for you/
    .test(document.querySelector('[data-role="presenter"]')?.textContent ?? ''));
  const name = (await text(student.p, 'presenter')).match(/(\w+ \w+) presents/)[1];
  assert.equal(await student.p.locator('[data-role="map-link"]').count(), 0, 'no link handles for a viewer');
  assert.match(await text(student.p, 'lock-note'), /presenter changes this room/);
  // Likes stay open to everyone.
  await student.p.click('[data-region="sydney"] [data-role="like"]');
  await waitForCounts(teacher.p, (c) => c[1] === 1);

  // Past the page, the server itself refuses the student's changes.
  for (const control of [{ type: 'cut', a: 'tokyo', b: 'virginia' }, { type: 'pause' }]) {
    const answer = await controlPastTheUi(student.p, room, control);
    assert.equal(answer.code, 'not_presenter', JSON.stringify(answer));
    assert.match(answer.message, new RegExp(`${name} presents this room`));
  }

  // The teacher cuts Tokyo ⇄ Virginia from the map: both pages show it,
  // and both change logs say who did it.
  await teacher.p.locator(link('tokyo', 'virginia')).focus();
  await teacher.p.keyboard.press('Enter');
  for (const p of [teacher.p, student.p]) {
    await p.waitForFunction(() => document.querySelectorAll('[data-role="cut-lane"]').length === 1);
    await p.waitForFunction((line) => [...document.querySelectorAll('[data-role="change-log"] li')]
      .some((li) => li.textContent.includes(line)), `${name} cut Tokyo ⇄ Virginia`);
  }
  assert.deepEqual(await changes(student.p), [`${name} cut Tokyo ⇄ Virginia`], 'the refused changes were never announced');

  // One direction: Shift+Enter on a link's handle opens its menu.
  await teacher.p.locator(link('tokyo', 'sydney')).focus();
  await teacher.p.keyboard.press('Shift+Enter');
  const oneWay = '[data-role="link-direction"][data-from="tokyo"][data-to="sydney"]';
  await teacher.p.click(oneWay);
  await teacher.p.waitForSelector(`${oneWay}[data-cut="true"]`);
  assert.equal(await teacher.p.locator('[data-role="link-direction"][data-from="sydney"][data-to="tokyo"]').getAttribute('data-cut'), 'false');
  for (const p of [teacher.p, student.p]) {
    await p.waitForSelector('[data-role="cut-lane"][data-from="tokyo"][data-to="sydney"]', { state: 'attached' });
    assert.equal(await p.locator('[data-role="cut-lane"][data-from="sydney"][data-to="tokyo"]').count(), 0);
    await p.waitForFunction((line) => [...document.querySelectorAll('[data-role="change-log"] li')]
      .some((li) => li.textContent.includes(line)), `${name} cut Tokyo → Sydney (one way)`);
  }
  // The server's view agrees: exactly one direction of the pair is cut.
  // (Tokyo ⇄ Virginia: both; Tokyo → Sydney: one.)
  await teacher.p.screenshot({ path: join(ARTIFACTS, 'presenter-1280x800.png') });
  await student.p.screenshot({ path: join(ARTIFACTS, 'viewer-1280x800.png') });

  // axe on both pages, in both schemes.
  for (const scheme of ['dark', 'light']) {
    for (const [who, p] of [['presenter', teacher.p], ['viewer', student.p]]) {
      await p.emulateMedia({ colorScheme: scheme });
      await p.keyboard.press('Escape');
      // Colours ease over 0.15 s: judge the scheme, not the cross-fade.
      await p.waitForTimeout(600);
      const violations = await axe(p);
      assert.deepEqual(violations, [], `${who}, ${scheme}: ${JSON.stringify(violations, null, 1)}`);
    }
  }

  // A presenter link makes another browser present, and the address bar
  // shows the plain link again.
  const token = await teacher.p.evaluate((room) => localStorage.getItem(`likewise.presenter.${room}`), room);
  assert.match(token, /^[A-Za-z0-9]{22}$/);
  const laptop = await page();
  await laptop.p.goto(`${url}?presenter=${token}`);
  await waitForCounts(laptop.p, (c) => c.every(Number.isInteger));
  await laptop.p.waitForSelector('[data-role="controls"][data-locked="false"]');
  assert.match(await text(laptop.p, 'presenter'), /You present/);
  assert.equal(laptop.p.url(), url);

  await Promise.all([teacher.ctx.close(), student.ctx.close(), laptop.ctx.close()]);
});
