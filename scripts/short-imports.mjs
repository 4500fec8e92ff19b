// Gives the wasm's imports short names, in the wasm and in wasm-bindgen's
// JS glue alike (docs/page-weight.md, step 39).
//
// wasm-bindgen names each function the wasm imports from its glue after the
// Rust binding plus a 16-hex-digit hash (`__wbg_appendChild_d22bc7af6b96b3f1`):
// ~200 of them, 6.5 KB of names in the wasm's import section and again as
// the keys of the glue's import object, hashes that gzip cannot shorten. The
// names mean nothing at run time: the glue hands the wasm an object whose
// keys must equal the import names, and that is the only place they meet.
// This renames import i to `_i` (base 36) in both files.
//
// It refuses (exit 1) unless every old name occurs exactly once in the glue,
// as an object key: a wasm-bindgen that wrote its glue otherwise would make
// this rename unsafe, and the build must stop rather than ship a page that
// cannot link.
//
//   node scripts/short-imports.mjs dist/frontend-….wasm dist/frontend-….js
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, jsPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error('usage: short-imports.mjs WASM JS');
  process.exit(2);
}
const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, 'utf8');

function readU32(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, pos];
  }
}
function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}
const name = (text) => Buffer.concat([u32(Buffer.byteLength(text)), Buffer.from(text)]);

if (wasm.readUInt32BE(0) !== 0x0061736d) throw new Error(`${wasmPath} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
let pos = 8;
let renamed = 0;
while (pos < wasm.length) {
  const id = wasm[pos];
  const [size, start] = readU32(wasm, pos + 1);
  const end = start + size;
  if (id !== 2) {
    parts.push(wasm.subarray(pos, end));
    pos = end;
    continue;
  }
  // The import section: (module, name, description) per import.
  const [count, first] = readU32(wasm, start);
  const body = [u32(count)];
  let p = first;
  for (let i = 0; i < count; i++) {
    const [moduleLength, m] = readU32(wasm, p);
    const module = wasm.subarray(m, m + moduleLength);
    const [nameLength, n] = readU32(wasm, m + moduleLength);
    const old = wasm.subarray(n, n + nameLength).toString();
    p = n + nameLength;
    // The description: its kind, then what that kind carries.
    const descStart = p;
    const kind = wasm[p++];
    if (kind === 0) [, p] = readU32(wasm, p); // function: type index
    else if (kind === 1 || kind === 2) { // table or memory: (element type), limits
      if (kind === 1) p += 1;
      const [flags, q] = readU32(wasm, p);
      [, p] = readU32(wasm, q);
      if (flags & 1) [, p] = readU32(wasm, p);
    } else if (kind === 3) p += 2; // global: value type, mutability
    else throw new Error(`import ${old}: unknown kind ${kind}`);
    let fresh = old;
    if (kind === 0) {
      fresh = `_${i.toString(36)}`;
      const uses = js.split(old).length - 1;
      const asKey = new RegExp(`[{,]${old}:`).test(js);
      if (uses !== 1 || !asKey) {
        console.error(`${jsPath}: the import ${old} occurs ${uses} times (${asKey ? 'once' : 'never'} as an object key); not renaming`);
        process.exit(1);
      }
      js = js.replace(new RegExp(`([{,])${old}:`), `$1${fresh}:`);
      renamed++;
    }
    body.push(u32(module.length), module, name(fresh), wasm.subarray(descStart, p));
  }
  if (p !== end) throw new Error('the import section did not end where its size said');
  const section = Buffer.concat(body);
  parts.push(Buffer.from([2]), u32(section.length), section);
  pos = end;
}
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(jsPath, js);
console.error(`short-imports: ${renamed} imports renamed`);
