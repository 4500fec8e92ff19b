#!/usr/bin/env python3
"""What the browser app's bytes are: function body sizes of a wasm file,
read from its code section and named from its `name` section, summed by
what they belong to, plus the largest functions.

    cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release
    scripts/wasm-profile.py target/wasm32-unknown-unknown/wasm-release/frontend.wasm [TOP]

Run it on cargo's output, before wasm-bindgen and wasm-opt strip the names.
It does what `twiggy top` does for this purpose, with nothing to install. A
function counts toward the first of KEYS that its (mangled) name contains,
so a component's closure that renders a view counts as the app's, and a
derived `Deserialize` of a `shared` type counts as serde's. wasm-bindgen's
`describe` functions are left out: wasm-bindgen runs them at build time to
learn the bindings and then deletes them (~60 KB of cargo's output).

Beside each group's raw bytes it prints what the group adds to the
*gzipped* code: the code section's bodies gzipped in file order with the
group and without it. That is the figure that matters for the download: a
generic's twentieth copy is many raw bytes and few gzipped ones, since gzip
finds the first nineteen; code that is only itself costs nearly its raw
size over three.

Two refinements (docs/page-weight.md):

- **Generic arguments in the names.** With Rust's v0 mangling each
  instantiation of a generic names its type arguments, and with `c++filt`
  installed (binutils) the report adds a table by module of ours: a Leptos
  memo of a component's type, or a view built for a component's closure,
  counts toward that component. Build for it into a separate target folder
  (RUSTFLAGS replaces .cargo/config.toml's flags, so repeat them):

    CARGO_TARGET_DIR=target/v0 \
      RUSTFLAGS="--cfg erase_components -C llvm-args=-inline-threshold=0 -C symbol-mangling-version=v0" \
        cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release

- **The file as shipped.** wasm-opt inlines and merges; to see the final
  sizes with names, run the same two steps as Trunk, keeping the names:

    wasm-bindgen --target web --keep-debug --out-dir /tmp/p target/v0/wasm32-unknown-unknown/wasm-release/frontend.wasm
    .tools/npm/node_modules/.bin/wasm-opt -Os -g /tmp/p/frontend_bg.wasm -o /tmp/p/final.wasm
"""
import collections
import re
import shutil
import signal
import subprocess
import sys
import zlib

# Quietly stop when piped into `head`.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

KEYS = ['frontend', 'serde', 'tachys', 'reactive_graph', 'leptos', 'shared',
        'float', 'flt2dec', 'dec2flt', 'fmt', 'hashbrown', 'indexmap', 'dlmalloc',
        'js_sys', 'web_sys', 'wasm_bindgen', 'futures', 'gloo', 'alloc', 'core', 'std']


def leb(b, i):
    """An unsigned LEB128 number at `i`: (value, next index)."""
    value = shift = 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7f) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def functions(data):
    """(body size, name) of every defined function, and the data size."""
    i, imported, bodies, names, data_size = 8, 0, [], {}, 0
    while i < len(data):
        section = data[i]
        size, i = leb(data, i + 1)
        end = i + size
        if section == 2:  # imports: function indices start after them
            count, j = leb(data, i)
            for _ in range(count):
                for _ in range(2):  # module and field names
                    length, j = leb(data, j)
                    j += length
                kind = data[j]
                j += 1
                if kind == 0:
                    imported += 1
                    _, j = leb(data, j)
                elif kind in (1, 2):  # table, memory: limits
                    if kind == 1:
                        j += 1
                    flags, j = leb(data, j)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:  # global
                    j += 2
        elif section == 10:  # code
            count, j = leb(data, i)
            for _ in range(count):
                length, j = leb(data, j)
                bodies.append(data[j:j + length])
                j += length
        elif section == 11:
            data_size = size
        elif section == 0:  # custom: the `name` section
            length, j = leb(data, i)
            if data[j:j + length] == b'name':
                j += length
                while j < end:
                    sub = data[j]
                    sub_size, j = leb(data, j + 1)
                    if sub == 1:  # function names
                        count, k = leb(data, j)
                        for _ in range(count):
                            index, k = leb(data, k)
                            length, k = leb(data, k)
                            names[index] = data[k:k + length].decode('utf8', 'replace')
                            k += length
                    j += sub_size
        i = end
    return [(body, names.get(imported + n, f'#{n}')) for n, body in enumerate(bodies)], data_size


def gzipped(bodies):
    """The size of function bodies gzipped together, in file order, at the
    server's old level (6)."""
    return len(zlib.compress(b''.join(bodies), 6))


def marginal(funcs, leave_out):
    """What the functions `leave_out` picks (by body and name) add to the
    gzipped code: the code gzipped with everything, minus gzipped without
    them. Unlike raw sizes this counts little for a copy of a generic that
    gzip finds elsewhere in the file."""
    return gzipped([body for body, _ in funcs]) - gzipped([b for b, n in funcs if not leave_out(b, n)])


def demangled(names):
    """The names demangled by c++filt (v0 names keep generic arguments), or
    None without it."""
    if not shutil.which('c++filt'):
        return None
    out = subprocess.run(['c++filt'], input='\n'.join(names), capture_output=True, text=True).stdout
    # Crate disambiguators ([1a2b…]) only make lines long.
    return [re.sub(r'\[[0-9a-f]+\]', '', line) for line in out.split('\n')]


def described(name):
    """Whether a function is one of wasm-bindgen's `describe`s (see the
    module doc), by its mangled or demangled name."""
    return '__wbindgen_describe' in name or re.search(r'WasmDescribe(>|\$GT\$)*::describe$|11WasmDescribe\d*8describe', name)


def crate_of(name):
    """The crate a demangled name's function belongs to: the first path in
    it, so `<tachys::…::RenderEffect<frontend::X>>::new` is tachys's."""
    m = re.match(r'[<&\s]*(?:dyn |mut |impl )?([a-z_][a-z0-9_]*)::', name)
    return m.group(1) if m else 'other'


def crate_key(name):
    """The crate a plain (not v0) name's function is counted toward."""
    return next((k for k in KEYS if k in name), 'other')


def module_of(name):
    """The module of ours a v0 name's function is counted toward."""
    m = re.search(r'frontend::([a-z_]+)', name)
    return m.group(1) if m else ('shared' if 'shared::' in name else '(not ours)')


def table(funcs, group_of, rows, total):
    """Raw bytes and marginal gzip bytes per group, largest raw first."""
    by_group = collections.Counter()
    for body, name in funcs:
        by_group[group_of(name)] += len(body)
    print(f'{"raw":>9} {"share":>7} {"gzip":>8}')
    for key, size in by_group.most_common(rows):
        gz = marginal(funcs, lambda _, name, key=key: group_of(name) == key)
        print(f'{size:9d} {100 * size / total:5.1f} % {gz:8d}  {key}')


def main():
    data = open(sys.argv[1], 'rb').read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    funcs, data_size = functions(data)
    if not any(not name.startswith('#') for _, name in funcs):
        print('(no names: run this on the wasm before wasm-bindgen, or see the module doc)')
    # wasm-bindgen deletes these once it has run them (see the module doc).
    funcs = [(body, name) for body, name in funcs if not described(name)]
    total = sum(len(body) for body, _ in funcs)
    print(f'{total} bytes of code in {len(funcs)} functions ({gzipped([b for b, _ in funcs])} gzipped), '
          f'{data_size} bytes of data')
    print('gzip: what the group adds to the gzipped code (docs/page-weight.md)')
    # Our crate built with v0 names (the standard library always is).
    v0 = any(n.startswith('_R') and 'frontend' in n for _, n in funcs)
    plain = demangled([name for _, name in funcs]) if v0 else None
    if not plain and any(re.search(r'frontend\[[0-9a-f]+\]::', n) for _, n in funcs):
        # wasm-opt -g writes v0 names already demangled.
        plain = [re.sub(r'\[[0-9a-f]+\]', '', name) for _, name in funcs]
    print()
    if plain:
        # v0 names: the crate is the outermost path (generic arguments
        # would otherwise put every instantiation for our types in ours).
        funcs = [(body, name) for (body, _), name in zip(funcs, plain)]
        table(funcs, crate_of, 24, total)
        print()
        print('by module of ours (generic instantiations for our types and closures included):')
        table(funcs, module_of, 30, total)
    else:
        table(funcs, crate_key, 24, total)
    print()
    for body, name in sorted(funcs, key=lambda f: -len(f[0]))[:top]:
        gz = marginal(funcs, lambda other, _, body=body: other is body)
        print(f'{len(body):9d} {gz:8d}  {name[:160]}')


if __name__ == '__main__':
    main()
