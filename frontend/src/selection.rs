//! One memo type for every part of the frame a component selects.
//!
//! Components read the room through [`Connection::select`](crate::connection::Connection::select):
//! a memo of one part of the latest frame, so a frame that leaves that part
//! unchanged re-renders nothing. A Leptos memo, though, is compiled once per
//! type it holds — its comparison, its update, its reads, its drop: ~1.5 KB of
//! wasm each — and the page selects some twenty-five different types (a
//! count, a verdict, a saga view, a pair of flags…).
//!
//! A [`Selection`] keeps the memo's value behind a small trait object that
//! compares as its own type, the way [`keyed_list`](crate::keyed_list) erases
//! keys: every selection is the same `Memo<Option<Part>>`, and what is left
//! per selected type is a downcast and a clone. Reading costs one call
//! through a pointer, and each frame one small allocation per selection —
//! nothing beside the bytes every visitor downloads (docs/page-weight.md).

use crate::connection::Received;
use leptos::prelude::*;
use shared::protocol::view::SimView;
use shared::protocol::Frame;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

/// A selected value of any type, comparable with another of the same type.
trait Value: Any + Send + Sync {
    fn same(&self, other: &dyn Value) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<T: PartialEq + Send + Sync + 'static> Value for T {
    fn same(&self, other: &dyn Value) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// How a selection reads its part out of a frame (`None`: no frame yet).
type Selector = Box<dyn Fn(Option<&Frame>) -> Part + Send + Sync>;

/// The memo's value: one selected part (an `Option<T>`: `None` before the
/// first frame), shared, equal when the parts are.
#[derive(Clone)]
struct Part(Arc<dyn Value>);

impl PartialEq for Part {
    fn eq(&self, other: &Part) -> bool {
        self.0.same(&*other.0)
    }
}

/// A memo of one part of the latest frame (of its room view, or of the
/// whole frame: [`Selection::of_frame`]), typed as what was
/// selected; `None` before the first frame. Copy, like a memo.
pub struct Selection<T> {
    memo: Memo<Part>,
    of: PhantomData<fn() -> T>,
}

impl<T> Clone for Selection<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Selection<T> {}

impl<T: PartialEq + Clone + Send + Sync + 'static> Selection<T> {
    /// Selects `part` of every frame the connection receives.
    pub fn new(frame: ReadSignal<Option<Received>>, part: Box<dyn Fn(&SimView) -> T + Send + Sync>) -> Selection<T> {
        Selection { memo: erased(frame, Box::new(move |f| Part(Arc::new(f.map(|f| part(&f.sim)))))), of: PhantomData }
    }

    /// Selects `part` of every frame, from the whole frame rather than its
    /// room view (the people, the presenter, the changes, the clock).
    pub fn of_frame(frame: ReadSignal<Option<Received>>, part: Box<dyn Fn(&Frame) -> T + Send + Sync>) -> Selection<T> {
        Selection { memo: erased(frame, Box::new(move |f| Part(Arc::new(f.map(&part))))), of: PhantomData }
    }

    /// The selected part (tracked: a reactive closure that reads it runs
    /// again when it changes).
    pub fn get(&self) -> Option<T> {
        self.with(Option::clone)
    }

    /// Reads the selected part in place (tracked).
    pub fn with<R>(&self, read: impl FnOnce(&Option<T>) -> R) -> R {
        self.memo.with(|part| read(downcast(part)))
    }
}

/// The part as the type it was selected as. A `Selection<T>` only ever
/// holds an `Option<T>` (see `new`), so the downcast cannot fail.
fn downcast<T: 'static>(part: &Part) -> &Option<T> {
    // Unreachable; but a wrong type would read as "no frame yet", not panic.
    part.0.as_any().downcast_ref::<Option<T>>().unwrap_or(&None)
}

/// The one memo every selection is: not generic, so compiled once.
fn erased(frame: ReadSignal<Option<Received>>, part: Selector) -> Memo<Part> {
    Memo::new(move |_| frame.with(|r| part(r.as_ref().map(|r| &*r.frame))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_compare_as_their_own_type() {
        let a = Part(Arc::new(3u64));
        assert!(a == Part(Arc::new(3u64)));
        assert!(a != Part(Arc::new(4u64)));
        // The same bits as another type are not the same part.
        assert!(a != Part(Arc::new(3u32)));
        assert!(Part(Arc::new(Some("x".to_owned()))) == Part(Arc::new(Some("x".to_owned()))));
    }

    #[test]
    fn a_part_reads_back_as_its_type_only() {
        let part = Part(Arc::new(Some(vec![1u64, 2])));
        assert_eq!(downcast::<Vec<u64>>(&part), &Some(vec![1, 2]));
        assert_eq!(downcast::<Vec<u32>>(&part), &None);
        assert_eq!(downcast::<u64>(&Part(Arc::new(None::<u64>))), &None);
    }
}
