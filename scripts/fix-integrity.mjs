// Rewrites the integrity hash of one file in a Trunk-built index.html after
// that file was changed in place (build-frontend.sh minifies the JS glue
// after Trunk has hashed it). Fails if the page does not reference the file
// with an integrity attribute: a silent miss would leave a page the browser
// refuses to run.
//
//   node scripts/fix-integrity.mjs dist/index.html dist/frontend-….js
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const [html, file] = process.argv.slice(2);
if (!html || !file) {
  console.error('usage: fix-integrity.mjs INDEX_HTML FILE');
  process.exit(2);
}
const name = basename(file);
const hash = `sha384-${createHash('sha384').update(readFileSync(file)).digest('base64')}`;
const page = readFileSync(html, 'utf8');
let count = 0;
const out = page.replace(/<link\b[^>]*>/g, (tag) => {
  if (!new RegExp(`href="?/${name.replace(/[.]/g, '\\.')}[" >]`).test(tag)) return tag;
  return tag.replace(/integrity=("?)sha384-[A-Za-z0-9+/=]+\1/, () => {
    count += 1;
    return `integrity="${hash}"`;
  });
});
if (count !== 1) {
  console.error(`${html}: expected one <link> to ${name} with an integrity hash, found ${count}`);
  process.exit(1);
}
writeFileSync(html, out);
