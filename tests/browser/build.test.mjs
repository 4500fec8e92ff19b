// Checks of the release build itself (dist/, no browser): the exports
// index.html has wasm-opt remove are gone, nothing in the page could still
// call them, the integrity hashes are the shipped files', the imports carry
// the short names build-frontend.sh gave them, and the server sends the
// precompressed variants it wrote.
//
// Why: Leptos always enables server_fn's "browser" feature, which links
// wasm-streams, whose #[wasm_bindgen] classes IntoUnderlyingSource,
// IntoUnderlyingByteSource and IntoUnderlyingSink are wasm *exports*: they
// and the futures they drive stayed in the wasm although the page has no
// server functions. index.html's data-wasm-opt-params removes those exports
// (docs/page-weight.md, step 23). That is only safe while the page's Rust
// code never hands one of these objects to JavaScript; wasm-bindgen's glue
// then has a `Class.__wrap(` for it, which this test forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startServer } from './harness.mjs';

const CLASSES = ['IntoUnderlyingSource', 'IntoUnderlyingByteSource', 'IntoUnderlyingSink'];

function dist() {
  const dir = process.env.LIKEWISE_DIST;
  if (!dir) throw new Error('set LIKEWISE_DIST (scripts/test.sh does)');
  const one = (suffix) => {
    const found = readdirSync(dir).filter((f) => f.endsWith(suffix));
    assert.equal(found.length, 1, `one ${suffix} in ${dir}: ${found}`);
    return join(dir, found[0]);
  };
  return { dir, wasm: one('_bg.wasm'), js: one('.js'), html: join(dir, 'index.html') };
}

test("the wasm exports nothing of wasm-streams' classes, and the page never creates one", () => {
  const { wasm, js } = dist();
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasm))).map((e) => e.name);
  const left = exports.filter((name) => /intounderlying/i.test(name));
  assert.deepEqual(left, [], 'index.html data-wasm-opt-params should remove these exports');
  // The glue still defines the classes (wasm-bindgen writes them before
  // wasm-opt runs), but only Rust handing one to JavaScript would use them.
  const glue = readFileSync(js, 'utf8');
  for (const name of CLASSES) {
    assert.ok(!glue.includes(`${name}.__wrap(`),
      `the page now hands a ${name} to JavaScript: its methods would call removed exports (index.html)`);
  }
  // And every export the glue calls outside those classes is still there.
  const called = new Set([...glue.matchAll(/\bwasm\.([A-Za-z0-9_$]+)/g)].map((m) => m[1]));
  const missing = [...called].filter((name) => !exports.includes(name) && !/intounderlying/i.test(name));
  assert.deepEqual(missing, [], 'the JS glue calls wasm exports that are not there');
});

test("index.html's integrity hashes are the shipped wasm's and JS's", () => {
  // The JS is minified after Trunk hashed it (build-frontend.sh, docs/page-weight.md,
  // step 36), so its hash is rewritten there.
  const { wasm, js, html } = dist();
  const page = readFileSync(html, 'utf8');
  for (const path of [wasm, js]) {
    const file = path.split('/').pop();
    const link = page.match(new RegExp(`<link[^>]*href="?/${file}"?[^>]*>`));
    assert.ok(link, `index.html preloads ${file}`);
    const integrity = link[0].match(/integrity="?(sha384-[^" >]+)/);
    assert.ok(integrity, `the preload of ${file} has an integrity hash`);
    const actual = `sha384-${createHash('sha384').update(readFileSync(path)).digest('base64')}`;
    assert.equal(integrity[1], actual, file);
  }
});

test("the wasm's imports have short names, each one a key of the glue's import object (step 39)", () => {
  const { wasm, js } = dist();
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasm)));
  const glue = readFileSync(js, 'utf8');
  const functions = imports.filter((i) => i.kind === 'function');
  assert.ok(functions.length > 100, `the page imports its DOM bindings: ${functions.length}`);
  for (const { name } of functions) {
    assert.match(name, /^_[0-9a-z]+$/, 'scripts/short-imports.mjs renames every imported function');
    assert.ok(new RegExp(`[{,]${name}:`).test(glue), `the glue provides ${name}`);
  }
});

// One GET with a given Accept-Encoding; the body as sent (not decoded).
function get(url, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {};
    request(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

test('the server sends each file of the page as its precompressed variant (docs/page-weight.md, step 35)', async () => {
  const { dir, wasm, js } = dist();
  const css = join(dir, readdirSync(dir).find((f) => f.endsWith('.css')));
  const server = await startServer();
  try {
    for (const file of [wasm, js, css]) {
      const name = file.split('/').pop();
      const plain = readFileSync(file);
      const cases = [
        ['gzip, deflate, br, zstd', 'br', `${file}.br`, brotliDecompressSync],
        ['gzip, deflate', 'gzip', `${file}.gz`, gunzipSync],
      ];
      for (const [accept, coding, variant, decode] of cases) {
        const res = await get(`${server.url}/${name}`, accept);
        assert.equal(res.status, 200, `${name} (${accept})`);
        assert.equal(res.headers['content-encoding'], coding, `${name} (${accept})`);
        assert.match(res.headers.vary ?? '', /accept-encoding/i, `${name} (${accept})`);
        assert.ok(res.body.equals(readFileSync(variant)), `${name} (${accept}): the bytes of ${variant}`);
        assert.ok(decode(res.body).equals(plain), `${name} (${accept}): decodes to the file`);
      }
      const res = await get(`${server.url}/${name}`, '');
      assert.equal(res.headers['content-encoding'], undefined, `${name} without Accept-Encoding`);
      assert.ok(res.body.equals(plain), `${name} without Accept-Encoding: the file itself`);
    }
  } finally {
    await server.stop();
  }
});
