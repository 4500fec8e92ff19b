//! One keyed list for the whole page: [`keyed_list`] does what Leptos's
//! `<For>` does (rows matched by key, a kept row left as it is, only new
//! rows built), but every list on the page shares one compiled copy of it.
//!
//! Why: `<For>` is generic over the item, the key, and the closures that
//! list, key and draw the items, so each of the page's dozen lists compiled
//! its own copy of the keyed diff (`tachys::view::keyed`, ~6 KB of wasm
//! each, ~75 KB in all; docs/page-weight.md). Here the items are turned
//! into rows of one type, [`Row`], before they reach `<For>`: a key erased
//! behind [`DynKey`] and a boxed builder of the row's view. What stays
//! generic per list is only that conversion, a few dozen bytes.
//!
//! The behaviour is `<For>`'s own, since it is `<For>` underneath: keys
//! compare with the key type's own `Eq`, a row whose key is kept is not
//! rebuilt (its builder is dropped unused), and each row has its own
//! reactive owner.

use leptos::prelude::*;
use std::any::Any;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A key of any type, compared and hashed as that type. Every key of one
/// list has the same type; keys of different types are never equal.
trait DynKey: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn eq_key(&self, other: &dyn DynKey) -> bool;
    fn hash_key(&self, state: &mut dyn Hasher);
}

impl<K: Eq + Hash + Send + Sync + 'static> DynKey for K {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn eq_key(&self, other: &dyn DynKey) -> bool {
        other.as_any().downcast_ref::<K>() == Some(self)
    }
    fn hash_key(&self, mut state: &mut dyn Hasher) {
        self.hash(&mut state);
    }
}

/// A row's key, cheap to clone (`<For>` takes keys by value).
#[derive(Clone)]
struct Key(Arc<dyn DynKey>);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.0.eq_key(&*other.0)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash_key(state);
    }
}

/// An item ready for `<For>`: its key, and how to draw it if it is new.
struct Row {
    key: Key,
    build: Box<dyn FnOnce() -> AnyView + Send>,
}

/// A keyed list, like `<For each key children>`: `each` lists the items
/// (tracked, so the list follows the signals it reads), `key` names an
/// item across updates, and `row` draws an item the first time its key
/// appears.
pub fn keyed_list<T, K>(
    each: impl Fn() -> Vec<T> + Send + 'static,
    key: impl Fn(&T) -> K + Send + Sync + 'static,
    row: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> AnyView
where
    T: Send + 'static,
    K: Eq + Hash + Send + Sync + 'static,
{
    let row = Arc::new(row);
    list(Box::new(move || {
        each()
            .into_iter()
            .map(|item| {
                let row = Arc::clone(&row);
                Row { key: Key(Arc::new(key(&item))), build: Box::new(move || row(item)) }
            })
            .collect()
    }))
}

/// The one `<For>` the page compiles.
#[inline(never)]
fn list(rows: Box<dyn Fn() -> Vec<Row> + Send>) -> AnyView {
    view! { <For each=rows key=|r: &Row| r.key.clone() children=|r: Row| (r.build)()/> }.into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_compare_and_hash_as_their_own_type() {
        let k = |v: (u64, &'static str)| Key(Arc::new(v));
        assert!(k((1, "a")) == k((1, "a")));
        assert!(k((1, "a")) != k((1, "b")));
        assert!(Key(Arc::new(1u64)) != Key(Arc::new(1u32)), "different types are different keys");
        let set: HashSet<Key> = [k((1, "a")), k((1, "a")), k((2, "a"))].into_iter().collect();
        assert_eq!(set.len(), 2);
    }
}
