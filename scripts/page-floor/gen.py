#!/usr/bin/env python3
"""Generates the floor variants: $FLOOR_DIR/<variant>/{Cargo.toml,Cargo.lock,.cargo/config.toml,src/main.rs}.

Each variant is a small Leptos page built exactly as the real one (same
profile, `--cfg erase_components`, the workspace's Cargo.lock so the crate
versions match): a hello, a counter, a WebSocket "pipe" reading JSON, and the
pipe plus N generated elements, to measure what the stack itself costs and
what an element costs (docs/page-weight.md, "How far from the floor").

    scripts/page-floor/gen.py [VARIANT...]     (all when none is named)
"""
import os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("FLOOR_DIR", "/tmp/likewise-floor")
LOCK = os.path.join(HERE, "..", "..", "Cargo.lock")

PROFILE = """
[profile.wasm-release]
inherits = "release"
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
"""

CONFIG = """[target.wasm32-unknown-unknown]
rustflags = ["--cfg", "erase_components"]
"""

DEPS_BASE = 'leptos = { version = "0.8", features = ["csr"] }\n'
DEPS_PIPE = DEPS_BASE + '''gloo-net = { version = "0.6", default-features = false, features = ["websocket"] }
futures = { version = "0.3", default-features = false, features = ["std", "async-await"] }
'''
DEPS_SERDE = DEPS_PIPE + 'serde_json = "1"\n'
DEPS_JS = DEPS_PIPE + 'js-sys = "0.3"\nwasm-bindgen = "0.2"\n'

HELLO = '''use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(|| view! { <p>"hi"</p> })
}
'''

COUNTER = '''use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(App)
}

#[component]
fn App() -> impl IntoView {
    let (count, set_count) = signal(0u64);
    view! {
        <button on:click=move |_| set_count.update(|n| *n += 1)>"+"</button>
        <p>{move || count.get()}</p>
    }
}
'''

PARSE_SERDE = '''if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    if let Some(n) = v["count"].as_u64() {
                        set_remote.set(n);
                    }
                }'''
PARSE_JS = '''if let Ok(v) = js_sys::JSON::parse(&text) {
                    if let Ok(n) = js_sys::Reflect::get(&v, &wasm_bindgen::JsValue::from_str("count")) {
                        if let Some(n) = n.as_f64() {
                            set_remote.set(n as u64);
                        }
                    }
                }'''

def pipe(parse, extra_view="", extra_items=""):
    return f'''use futures::StreamExt;
use gloo_net::websocket::{{futures::WebSocket, Message}};
use leptos::prelude::*;

fn main() {{
    leptos::mount::mount_to_body(App)
}}

#[component]
fn App() -> impl IntoView {{
    let (count, set_count) = signal(0u64);
    let (remote, set_remote) = signal(0u64);
    leptos::task::spawn_local(async move {{
        let Ok(mut ws) = WebSocket::open("ws://localhost:3000/ws") else {{ return }};
        while let Some(msg) = ws.next().await {{
            if let Ok(Message::Text(text)) = msg {{
                {parse}
            }}
        }}
    }});
    view! {{
        <button on:click=move |_| set_count.update(|n| *n += 1)>"+"</button>
        <p>{{move || count.get()}}</p>
        <p>{{move || remote.get()}}</p>{extra_view}
    }}
}}
{extra_items}'''

def many(lines):
    """The component `Many`, its view the given elements in a section."""
    body = "\n        ".join(lines)
    return f"""
#[component]
fn Many(count: ReadSignal<u64>, set_count: WriteSignal<u64>) -> impl IntoView {{
    view! {{
        <section>
        {body}
        </section>
    }}
}}
"""

def elements(n):
    """Component with n distinct elements, each with a reactive child (or attribute)."""
    lines = []
    for i in range(1, n + 1):
        k = i % 10
        if k == 3:
            lines.append(f'<span class="c-{i}" data-role="r-{i}">"t{i}" {{move || count.get()}}</span>')
        elif k == 6:
            lines.append(f'<button class="c-{i}" data-role="r-{i}" on:click=move |_| set_count.update(|n| *n += {i})>"t{i}" {{move || count.get()}}</button>')
        elif k == 9:
            lines.append(f'<svg class="c-{i}" data-role="r-{i}"><circle cx=move || count.get().to_string() cy="{i}" r="2" /></svg>')
        else:
            lines.append(f'<div class="c-{i}" data-role="r-{i}">"t{i}" {{move || count.get()}}</div>')
    return many(lines)

def ranges(n):
    """Component with n range inputs, each with its own signal, a prop:value and an on:input."""
    sigs = "\n    ".join(f"let (v{i}, s{i}) = signal({i}u32);" for i in range(1, n + 1))
    inputs = "\n        ".join(
        f'<input type="range" class="k-{i}" min="0" max="{100 + i}" prop:value=move || v{i}.get().to_string() '
        f'on:input=move |ev| s{i}.set(event_target_value(&ev).parse().unwrap_or(0)) />'
        for i in range(1, n + 1))
    return f'''
#[component]
fn Ranges() -> impl IntoView {{
    {sigs}
    view! {{
        <section>
        {inputs}
        </section>
    }}
}}
'''

VARIANTS = {
    "hello": (DEPS_BASE, HELLO),
    "counter": (DEPS_BASE, COUNTER),
    "pipe": (DEPS_SERDE, pipe(PARSE_SERDE)),
    "pipe-jsonparse": (DEPS_JS, pipe(PARSE_JS)),
}
for n in (40, 80):
    VARIANTS[f"pipe-n{n}"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Many count=count set_count=set_count />", elements(n)))
    VARIANTS[f"pipe-range{n}"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Ranges />", ranges(n)))


TAGS = ["div", "span", "p", "li", "strong", "em", "h3", "dd", "dt", "label", "section", "article", "small", "b", "kbd", "h2", "figcaption", "td", "th", "code"]

def varied(n):
    """n elements that differ in tag, attribute names and kinds of reactive parts (closer to a real page)."""
    lines = []
    for i in range(1, n + 1):
        t = TAGS[i % len(TAGS)]
        k = i % 8
        if k == 0:
            body = f'<{t} class="c-{i}" data-role="r-{i}">"t{i}" {{move || count.get()}}</{t}>'
        elif k == 1:
            body = f'<{t} class="c-{i}" class:on=move || count.get() % {i + 1} == 0>"t{i}"</{t}>'
        elif k == 2:
            body = f'<{t} title="x{i}" aria-label={{move || if count.get() > {i} {{ "a{i}" }} else {{ "b{i}" }}}}>"t{i}"</{t}>'
        elif k == 3:
            body = f'<button class="c-{i}" type="button" disabled=move || count.get() == {i} on:click=move |_| set_count.update(|n| *n += {i})>"t{i}"</button>'
        elif k == 4:
            body = f'<svg class="c-{i}" viewBox="0 0 10 10"><circle cx="{i}" cy=move || count.get().to_string() r="2" /><path d="M0 {i}h4" /></svg>'
        elif k == 5:
            body = f'<{t} id="i{i}" style:width=move || format!("{{}}px", count.get() + {i})>"t{i}"</{t}>'
        elif k == 6:
            body = f'<{t} data-role="r-{i}">{{move || if count.get() % 2 == 0 {{ "even{i}" }} else {{ "odd{i}" }}}}</{t}>'
        else:
            body = f'<{t} class="c-{i}"><span>"t{i}"</span> {{move || count.get()}}</{t}>'
        lines.append(body)
    return many(lines)

def comps(n):
    """n distinct components, each one element with a reactive child, each used once."""
    defs = "".join(f"""
#[component]
fn C{i}(count: ReadSignal<u64>) -> impl IntoView {{
    view! {{ <div class="k-{i}">"t{i}" {{move || count.get()}}</div> }}
}}
""" for i in range(1, n + 1))
    uses = " ".join(f"<C{i} count=count />" for i in range(1, n + 1))
    return f"""
#[component]
fn Many(count: ReadSignal<u64>) -> impl IntoView {{
    view! {{ <section>{uses}</section> }}
}}
{defs}"""

for n in (40, 80):
    VARIANTS[f"pipe-varied{n}"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Many count=count set_count=set_count />", varied(n)))
    VARIANTS[f"pipe-comp{n}"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Many count=count />", comps(n)))

import random

REAL_TAGS = ["span"] * 12 + ["div"] * 8 + ["button"] * 4 + ["p"] * 4 + ["dd", "dt", "li", "h3", "section", "label", "strong", "h2", "article", "ul", "em", "kbd", "small", "a"]
STATIC_ATTRS = ["class", "title", "aria-label", "role", "data-kind", "id", "aria-hidden", "tabindex", "data-region", "hidden"]

def realistic(n, seed=7):
    """n HTML elements in small nested groups with a seeded mix of static attributes, reactive
    attributes, reactive children (about 0.5 closures and 0.1 handlers per element, the real
    frontend's ratios) and static text. The first n elements of realistic(80) are realistic(40)."""
    rnd = random.Random(seed)
    items, made = [], 0
    def element(i):
        t = rnd.choice(REAL_TAGS)
        attrs = []
        for a in rnd.sample(STATIC_ATTRS, rnd.randint(0, 3)):
            attrs.append(f'{a}="{a[:2]}{i}"')
        r = rnd.random()
        if r < 0.10:
            attrs.append(f'class:on{i}=move || count.get() % {i + 2} == 0')
        elif r < 0.17:
            attrs.append(f'aria-pressed={{move || if count.get() > {i} {{ "true" }} else {{ "false" }}}}')
        elif r < 0.22:
            attrs.append(f'style:opacity={{move || if count.get() > {i} {{ "1" }} else {{ "0.5" }}}}')
        elif r < 0.27:
            attrs.append(f'data-n=move || count.get().to_string()')
        if t == "button" or rnd.random() < 0.04:
            attrs.append(f'on:click=move |_| set_count.update(|n| *n += {i})')
        c = rnd.random()
        if c < 0.25:
            child = f'{{move || count.get()}}'
        elif c < 0.30:
            child = f'{{move || if count.get() % 2 == 0 {{ "e{i}" }} else {{ "o{i}" }}}}'
        elif c < 0.80:
            child = f'"t{i}"'
        else:
            child = f'"t{i}" {{move || count.get()}}' if c < 0.85 else ""
        return t, (" " + " ".join(attrs)) if attrs else "", child
    i = 0
    while i < n:
        size = min(rnd.randint(1, 4), n - i)
        t, a, c = element(i + 1)
        inner = []
        for k in range(1, size):
            t2, a2, c2 = element(i + 1 + k)
            inner.append(f"<{t2}{a2}>{c2}</{t2}>")
        if inner:
            t = "div" if t in ("button", "a", "label", "span", "em", "strong", "small", "kbd") else t
            items.append(f"<{t}{a}>{c}{' '.join(inner)}</{t}>")
        else:
            items.append(f"<{t}{a}>{c}</{t}>")
        i += size
    return many(items)

for n in (40, 80, 160):
    VARIANTS[f"pipe-real{n}"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Many count=count set_count=set_count />", realistic(n)))
    VARIANTS[f"pipe-realb{n}"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Many count=count set_count=set_count />", realistic(n, seed=11)))

def realistic_split(n, per=40, seed=7):
    """n elements as realistic() makes them, in components of `per` elements each (like the real
    page's ~50 components), each component from its own seed."""
    parts, uses, k = [], [], 0
    while k * per < n:
        m = min(per, n - k * per)
        src = realistic(m, seed=seed + k).replace("fn Many(", f"fn Many{k}(")
        parts.append(src)
        uses.append(f"<Many{k} count=count set_count=set_count />")
        k += 1
    return f"""
#[component]
fn Many(count: ReadSignal<u64>, set_count: WriteSignal<u64>) -> impl IntoView {{
    view! {{ <main>{' '.join(uses)}</main> }}
}}
""" + "".join(parts)

VARIANTS["pipe-real567"] = (DEPS_SERDE, pipe(PARSE_SERDE, "\n        <Many count=count set_count=set_count />", realistic_split(567)))

def write(name):
    deps, src = VARIANTS[name]
    d = os.path.join(ROOT, name)
    os.makedirs(os.path.join(d, "src"), exist_ok=True)
    os.makedirs(os.path.join(d, ".cargo"), exist_ok=True)
    crate = "floor_" + name.replace("-", "_")
    with open(os.path.join(d, "Cargo.toml"), "w") as f:
        f.write(f'[package]\nname = "{crate}"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n[dependencies]\n{deps}{PROFILE}')
    if not os.path.exists(os.path.join(d, "Cargo.lock")):
        shutil.copy(LOCK, os.path.join(d, "Cargo.lock"))
    with open(os.path.join(d, ".cargo", "config.toml"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(d, "src", "main.rs"), "w") as f:
        f.write(src)

for name in (sys.argv[1:] or VARIANTS):
    write(name)
