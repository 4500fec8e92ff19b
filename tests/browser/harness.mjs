// Shared plumbing for the browser tests: start the real server on a free
// loopback port, launch Debian's chromium through playwright-core, and
// read counts through the UI's stable test hooks.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const REGIONS = ['tokyo', 'sydney', 'mumbai', 'frankfurt', 'virginia', 'saopaulo'];

/**
 * Starts `likewise` on 127.0.0.1 (port 0 = any free port unless given);
 * resolves with its base URL. Rooms are stored in `dataDir`, a fresh
 * temporary directory unless given (pass the old one to restart a server
 * on the same rooms); never in the checkout.
 */
export function startServer({ port = 0, dataDir = mkdtempSync(join(tmpdir(), 'likewise-browser-')) } = {}) {
  const bin = process.env.LIKEWISE_BIN;
  const dist = process.env.LIKEWISE_DIST;
  if (!bin || !dist) throw new Error('set LIKEWISE_BIN and LIKEWISE_DIST (scripts/test.sh does)');
  const child = spawn(bin, ['--addr', `127.0.0.1:${port}`, '--dist', dist, '--data-dir', dataDir], {
    env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 15000);
    const onData = (chunk) => {
      log += chunk;
      const m = log.match(/live on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], port: Number(m[1].split(':').pop()), dataDir, child, stop: () => stopChild(child) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      // No --user-data-dir: playwright refuses it in launch() and already
      // gives every launch a fresh, empty profile of its own.
    ],
  });
}

/** The count shown on each region card, as numbers (NaN if not a bare number). */
export async function counts(page) {
  return page.evaluate((regions) => regions.map((r) => {
    const el = document.querySelector(`[data-region="${r}"] [data-role="count"]`);
    return el && /^\d+$/.test(el.textContent.trim()) ? Number(el.textContent.trim()) : NaN;
  }), REGIONS);
}

/** Polls `counts(page)` until `pred` holds; fails after `ms`. */
export async function waitForCounts(page, pred, ms = 8000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await counts(page);
    if (pred(last)) return last;
    await page.waitForTimeout(25);
  }
  throw new Error(`counts never matched; last seen ${JSON.stringify(last)}`);
}

export function randomRoom(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Registers hooks that start one server and one browser for a test file and
 * stop them after it; the returned object holds both (a test may replace
 * `env.server`, e.g. to restart it).
 */
export function serverAndBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
    if (env.server) rmSync(env.server.dataDir, { recursive: true, force: true });
  });
  return env;
}

/**
 * Opens private room `room` in browser context `ctx` on `env`'s server and
 * waits until its counts are drawn (all zero) and its controls unlocked.
 */
export async function openRoom(env, ctx, room) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(`${env.server.url}/r/${room}`);
  await waitForCounts(page, (c) => c.every((n) => n === 0));
  await page.waitForSelector('[data-role="controls"][data-locked="false"]', { timeout: 5000 });
  return page;
}

/** Two people, each in a browser context of their own, on one private room. */
export async function twoPeople(env, room) {
  const ctxA = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ctxB = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const [a, b] = [await openRoom(env, ctxA, room), await openRoom(env, ctxB, room)];
  return { a, b, close: () => Promise.all([ctxA.close(), ctxB.close()]) };
}

/**
 * Opens `path` in a new browser context of `env` (see `serverAndBrowser`)
 * and waits until the page shows a count on every card.
 */
export async function openPage(env, ctxOptions, path) {
  const ctx = await env.browser.newContext(ctxOptions);
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(`${env.server.url}${path}`);
  await waitForCounts(page, (c) => c.every((n) => Number.isInteger(n)));
  return { ctx, page };
}

/**
 * Runs axe-core's WCAG 2.0/2.1 A and AA rules on the page and returns the
 * violations (axe-core from this package's node_modules, or AXE_CORE: a
 * path to axe.min.js).
 */
export async function axe(page) {
  const path = process.env.AXE_CORE || createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  await page.addScriptTag({ content: readFileSync(path, 'utf8') });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, first: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) }));
  });
}
