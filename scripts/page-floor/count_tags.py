#!/usr/bin/env python3
"""Counts the elements written in the real frontend's view! blocks.

For every `view!` macro call in frontend/src/**/*.rs (comments skipped), finds
its delimited body and counts, outside string/char literals:
  - element tags: `<name` with a lowercase name (HTML/SVG elements), not preceded by an
    identifier character or `:` (so generics like `Vec<u64>` do not count);
  - component tags: `<Name` (uppercase), same rule;
  - reactive pieces: `move ||` inside the block;
  - event handlers: `on:`.
Prints per file and totals. Nested view! blocks are counted once (each block's own text minus
nested view! blocks is not separated; a nested view! is counted as part of the outer one and
skipped as a separate block).
"""
import re, sys, pathlib

SRC = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent.parent / "frontend" / "src")

def strip_comments(s):
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if s.startswith("//", i):
            j = s.find("\n", i); i = n if j < 0 else j
        elif s.startswith("/*", i):
            j = s.find("*/", i + 2); i = n if j < 0 else j + 2
        elif c == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            out.append(s[i:j + 1]); i = j + 1
        elif s.startswith('r#"', i):
            j = s.find('"#', i + 3); out.append(s[i:j + 2]); i = j + 2
        else:
            out.append(c); i += 1
    return "".join(out)

def blank_strings(s):
    """Replace the contents of string literals and char literals with spaces."""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if s.startswith('r#"', i):
            j = s.find('"#', i + 3); out.append(" " * (j + 2 - i)); i = j + 2
        elif c == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            out.append('"' + " " * (j - i - 1) + '"'); i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", s[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", s[i:i + 4]); out.append(" " * len(m.group(0))); i += len(m.group(0))
        else:
            out.append(c); i += 1
    return "".join(out)

def blocks(s):
    """Yield the bodies of top-level view! { ... } / view!( ... ) calls."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    for m in re.finditer(r"\bview!\s*([\{\(\[])", s):
        start = m.end() - 1
        depth, j = 0, start
        while j < len(s):
            if s[j] in pairs: depth += 1
            elif s[j] in pairs.values():
                depth -= 1
                if depth == 0: break
            j += 1
        yield m.start(), s[start + 1:j]

tag_re = re.compile(r"(?<![A-Za-z0-9_:])<([a-z][a-zA-Z0-9_-]*)")
comp_re = re.compile(r"(?<![A-Za-z0-9_:])<([A-Z][A-Za-z0-9_]*)")
tot = {"blocks": 0, "tags": 0, "comps": 0, "move": 0, "on": 0}
names = {}
for p in sorted(SRC.rglob("*.rs")):
    s = blank_strings(strip_comments(p.read_text()))
    covered_until = -1
    f = {"blocks": 0, "tags": 0, "comps": 0, "move": 0, "on": 0}
    for pos, body in blocks(s):
        if pos < covered_until:
            continue  # nested view! already counted in the outer block
        covered_until = pos + len(body) + 8
        f["blocks"] += 1
        tags = tag_re.findall(body)
        for t in tags: names[t] = names.get(t, 0) + 1
        f["tags"] += len(tags)
        f["comps"] += len(comp_re.findall(body))
        f["move"] += len(re.findall(r"\bmove\s*\|", body))
        f["on"] += len(re.findall(r"\bon:[a-z]", body))
    if f["blocks"]:
        print(f"{str(p.relative_to(SRC)):28s} blocks={f['blocks']:3d} elements={f['tags']:4d} components={f['comps']:3d} closures={f['move']:4d} on:={f['on']:3d}")
        for k in tot: tot[k] += f[k]
print(f"{'TOTAL':28s} blocks={tot['blocks']:3d} elements={tot['tags']:4d} components={tot['comps']:3d} closures={tot['move']:4d} on:={tot['on']:3d}")
print("element names:", ", ".join(f"{k}={v}" for k, v in sorted(names.items(), key=lambda kv: -kv[1])))
