#!/usr/bin/env node
// Converts Natural Earth's 1:110m land (public domain, via the npm package
// `world-atlas`) into one compact SVG path for the map, once; the output is
// written into index.html's `<path id="land" d="…">` and committed, so the
// page never fetches map data at run time and the wasm never carries it
// (the map and the loading skeleton both draw it with `<use href="#land">`).
//
// Coordinates are equirectangular in quarter degrees (x = 4·lon, y = −4·lat,
// so the whole world is the box −720 −360 1440 720) rounded to integers:
// at the map's ~4 px per degree on a desktop that is about one pixel, and
// integers with relative moves keep the path a few KB gzipped. Rings whose
// area is under MIN_AREA square quarter-degrees (specks of islands) are
// dropped. frontend/src/geo.rs maps these units onto the map's crop.
//
// Usage (installs the two packages into a temporary directory):
//   node scripts/make-land.mjs            # rewrites the path in index.html
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIN_AREA = 12;
// Douglas–Peucker tolerance, in quarter degrees: a point closer than this to
// the line through its neighbours' simplified run adds nothing visible.
const TOLERANCE = 0.9;

let dir = process.env.LAND_NODE_MODULES_DIR;
if (!dir || !existsSync(join(dir, 'node_modules', 'world-atlas'))) {
  dir = mkdtempSync(join(tmpdir(), 'likewise-land-'));
  execFileSync('npm', ['install', '--silent', '--prefix', dir, 'world-atlas@2.0.2', 'topojson-client@3.1.0'], { stdio: 'inherit' });
}
const require = createRequire(join(dir, 'node_modules', 'x.js'));
const { feature } = require('topojson-client');
const topology = JSON.parse(readFileSync(require.resolve('world-atlas/land-110m.json'), 'utf8'));
const land = feature(topology, topology.objects.land);

const polygons = land.features.flatMap((f) =>
  f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates,
);

// Douglas–Peucker on an open run of points (the ring's first point is kept).
function simplify(pts) {
  if (pts.length < 4) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = pts[a];
    const [bx, by] = pts[b];
    const len = Math.hypot(bx - ax, by - ay);
    let worst = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      // A closed ring starts and ends on one point: then the distance to it.
      const dist =
        len === 0
          ? Math.hypot(pts[i][0] - ax, pts[i][1] - ay)
          : Math.abs((bx - ax) * (ay - pts[i][1]) - (ax - pts[i][0]) * (by - ay)) / len;
      if (dist > worst) [worst, at] = [dist, i];
    }
    if (worst > TOLERANCE) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

function area(ring) {
  let a = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % ring.length];
    a += x1 * y2 - x2 * y1;
  }
  return Math.abs(a / 2);
}

let d = '';
let rings = 0;
let points = 0;
for (const polygon of polygons) {
  for (const ring of polygon) {
    // Antarctica lies wholly south of every map's crop: leave it out.
    if (ring.every(([, lat]) => lat < -56)) continue;
    // A ring that crosses the antimeridian (Russia's far east, Fiji) jumps
    // from +180 to −180: unwrap it so it runs on past ±180 instead of
    // drawing a line across the whole world.
    const raw = [];
    let shift = 0;
    for (const [lon, lat] of ring) {
      const prev = raw.at(-1);
      if (prev && lon * 4 + shift - prev[0] > 720) shift -= 1440;
      else if (prev && lon * 4 + shift - prev[0] < -720) shift += 1440;
      raw.push([lon * 4 + shift, -lat * 4]);
    }
    // Keep the bulk of the ring on the ordinary side of the antimeridian.
    const mean = raw.reduce((sum, [x]) => sum + x, 0) / raw.length;
    const recentre = mean > 720 ? -1440 : mean < -720 ? 1440 : 0;
    for (const p of raw) p[0] += recentre;
    const pts = [];
    for (const [x, y] of simplify(raw)) {
      const p = [Math.round(x), Math.round(y)];
      const last = pts[pts.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
    }
    // The ring closes itself with `z`.
    if (pts.length > 1 && pts[0][0] === pts.at(-1)[0] && pts[0][1] === pts.at(-1)[1]) pts.pop();
    if (pts.length < 3 || area(pts) < MIN_AREA) continue;
    rings++;
    points += pts.length;
    d += `M${pts[0][0]} ${pts[0][1]}l`;
    let prev = pts[0];
    const steps = [];
    for (const p of pts.slice(1)) {
      steps.push(`${p[0] - prev[0]} ${p[1] - prev[1]}`);
      prev = p;
    }
    // Negative numbers need no separator; positive ones do.
    d += steps.join(' ').replace(/ -/g, '-') + 'z';
  }
}

const html = join(ROOT, 'index.html');
const before = readFileSync(html, 'utf8');
const re = /(<path id="land" d=")[^"]*(")/;
if (!re.test(before)) throw new Error('index.html has no <path id="land" d="…"> to fill');
writeFileSync(html, before.replace(re, `$1${d}$2`));
console.log(`land: ${rings} rings, ${points} points, ${d.length} bytes of path data`);
