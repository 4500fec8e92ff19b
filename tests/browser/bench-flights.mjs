// Frame-time benchmark of the map (issue 11): puts ~500 messages in flight
// and measures how smoothly the map animates them in headless Chromium.
// Not part of the test suite (a timing on a shared machine is not a
// pass/fail fact); run it on a quiet machine and put the figure in the
// README:
//
//   scripts/build-frontend.sh && cargo build --release -p backend --bin likewise
//   LIKEWISE_BIN=$PWD/target/release/likewise LIKEWISE_DIST=$PWD/dist \
//     node tests/browser/bench-flights.mjs [seconds=5]
//
// How: a private room whose 30 directed links all take 60 s (the longest a
// control may set), then 100 likes spread over the six regions. Under the
// default strategy (event push) each like sends one message to each of the
// five other regions, so ~500 messages are on the wire for a minute. Then
// `requestAnimationFrame` timestamps are collected for the given seconds;
// the script prints the frame rate's median (p50) and its 5th percentile
// (p5: the slowest frames), the longest frame, the messages in flight as
// the page's map reports them, and how many of them the frames list for
// drawing (a room of up to 40 viewers lists up to 600 per frame).
import { rmSync } from 'node:fs';
import { startServer, launchBrowser, waitForCounts, randomRoom, REGIONS } from './harness.mjs';

const seconds = Number(process.argv[2] ?? 5);
const LIKES = 100;

const server = await startServer();
const browser = await launchBrowser();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  const room = randomRoom('bench');
  await page.goto(`${server.url}/r/${room}`);
  await waitForCounts(page, (c) => c.every((n) => n === 0));

  // Slow every link, then a burst of likes, on sockets of the page's own
  // (several, so no single connection's rate limit refuses any).
  const listed = await page.evaluate(async ([room, regions, likes]) => {
    const open = () => new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws/${room}`);
      ws.onmessage = (ev) => { if (JSON.parse(ev.data).type === 'snapshot') resolve(ws); };
      ws.onerror = reject;
    });
    const sockets = await Promise.all([0, 1, 2, 3].map(open));
    const errors = [];
    for (const ws of sockets) ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'error') errors.push(msg.message);
    });
    const slow = { latency_ms: 60000, jitter_ms: 0, loss: 0, duplicate: 0, cut: false };
    let n = 0;
    for (const from of regions) for (const to of regions) {
      if (from !== to) sockets[n++ % 4].send(JSON.stringify({ type: 'set_link', from, to, conditions: slow }));
    }
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < likes; i++) {
      sockets[i % 4].send(JSON.stringify({ type: 'like', region: regions[i % regions.length] }));
    }
    // Most packets any full frame lists, over the next two keyframes.
    let most = 0;
    sockets[0].addEventListener('message', (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'frame') most = Math.max(most, msg.sim.packets.length);
    });
    await new Promise((r) => setTimeout(r, 4500));
    if (errors.length) throw new Error(`the server refused: ${errors.slice(0, 3).join('; ')}`);
    window.__benchSockets = sockets; // kept open: the room stays as it is
    return most;
  }, [room, REGIONS, LIKES]);

  const inFlight = async () => Number((await page.locator('[data-role="in-flight"]').innerText()).replace(/\D/g, ''));
  const before = await inFlight();
  const times = await page.evaluate((ms) => new Promise((resolve) => {
    const stamps = [];
    const start = performance.now();
    const tick = (t) => {
      stamps.push(t);
      if (t - start < ms) requestAnimationFrame(tick); else resolve(stamps);
    };
    requestAnimationFrame(tick);
  }), seconds * 1000);
  const after = await inFlight();

  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const at = (q) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))];
  const fps = (ms) => (1000 / ms).toFixed(1);
  console.log(`messages in flight: ${before} at the start, ${after} at the end; listed for drawing per frame: up to ${listed}`);
  console.log(`frames: ${gaps.length} in ${seconds} s`);
  console.log(`fps p50: ${fps(at(0.5))}   fps p5: ${fps(at(0.95))}   longest frame: ${gaps[gaps.length - 1].toFixed(1)} ms`);
  await ctx.close();
} finally {
  await browser.close();
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
}
