//! [`When`]: Leptos's `<Show>`, compiled once for the whole page.
//!
//! `<Show>` is generic over its condition's closure type and its children's
//! view type, so each of the page's ~40 `<Show>`s compiled its own memo,
//! its own reactive closure and its own either-this-or-that view state.
//! `When` takes the condition as a `Signal<bool>` (a closure converts into
//! one) and the children and fallback already erased (`ChildrenFn`,
//! `ViewFn`), so all of that is compiled once.
//!
//! It behaves like `<Show>`: the condition is memoized, so the children are
//! built when it turns true and dropped when it turns false, and are not
//! rebuilt while it stays true however often what it reads changes.

use leptos::prelude::*;

#[component]
pub fn When(
    /// Whether the children are shown.
    #[prop(into)]
    when: Signal<bool>,
    children: ChildrenFn,
    /// What is shown instead (nothing by default).
    #[prop(optional, into)]
    fallback: ViewFn,
) -> impl IntoView {
    let when = Memo::new(move |_| when.get());
    move || if when.get() { children() } else { fallback.run() }
}
