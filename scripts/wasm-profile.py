#!/usr/bin/env python3
"""What the browser app's bytes are: function body sizes of a wasm file,
read from its code section and named from its `name` section, summed by
what they belong to, plus the largest functions.

    cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release
    scripts/wasm-profile.py target/wasm32-unknown-unknown/wasm-release/frontend.wasm [TOP]

Run it on cargo's output, before wasm-bindgen and wasm-opt strip the names
(the shares carry over to the final file; README, "Page weight"). It does
what `twiggy top` does for this purpose, with nothing to install. A function
counts toward the first of KEYS that its (mangled) name contains, so a
component's closure that renders a view counts as the app's, and a derived
`Deserialize` of a `shared` type counts as serde's.
"""
import collections
import sys

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
                bodies.append(length)
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
    return [(size, names.get(imported + n, f'#{n}')) for n, size in enumerate(bodies)], data_size


def main():
    data = open(sys.argv[1], 'rb').read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    funcs, data_size = functions(data)
    total = sum(size for size, _ in funcs)
    print(f'{total} bytes of code in {len(funcs)} functions, {data_size} bytes of data')
    if not any(not name.startswith('#') for _, name in funcs):
        print('(no names: run this on the wasm before wasm-bindgen)')
    by_key = collections.Counter()
    for size, name in funcs:
        by_key[next((k for k in KEYS if k in name), 'other')] += size
    print()
    for key, size in by_key.most_common():
        print(f'{size:9d} {100 * size / total:5.1f} %  {key}')
    print()
    for size, name in sorted(funcs, reverse=True)[:top]:
        print(f'{size:9d}  {name[:160]}')


if __name__ == '__main__':
    main()
