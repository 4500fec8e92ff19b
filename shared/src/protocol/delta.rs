//! Delta frames: a frame that carries only what changed since the previous
//! one, so a quiet room costs every viewer a few dozen bytes per frame
//! instead of the whole view.
//!
//! # Why at the JSON level
//! The diff works on the JSON *value* of a frame, not on the Rust types: any
//! field added to [`Frame`](super::Frame) or [`SimView`](super::view::SimView)
//! is covered with no code here, and the client can apply a delta without
//! knowing the schema. The cost is one `serde_json::Value` per published
//! frame on the server — per room, not per viewer.
//!
//! # The patch format
//! A patch is an object mirroring the value it changes:
//! - a key whose old and new values are both objects holds a patch of that
//!   object (recursively);
//! - a key whose old and new values are both arrays holds, when that is
//!   shorter than the new array, `{"~":[[index, removed, inserted…], …]}`:
//!   splices applied in order, found from the longest common subsequence of
//!   the two arrays. The lists in a frame (packets in flight, busy links,
//!   replicas) keep most elements from one frame to the next — a packet
//!   stays in the list until it lands — so only newcomers travel;
//! - any other changed or added key holds its new value, whole;
//! - removed keys are listed under the reserved key `"-"`; unchanged keys are
//!   left out.
//!
//! ```
//! use serde_json::json;
//! use shared::protocol::delta::{apply, diff};
//! let old = json!({"seq": 1, "sim": {"now_ms": 100, "divergence": 0, "faults": {"custom": [1]}}});
//! let new = json!({"seq": 2, "sim": {"now_ms": 133, "divergence": 0, "faults": {}}});
//! let patch = diff(&old, &new).unwrap();
//! assert_eq!(patch, json!({"seq": 2, "sim": {"now_ms": 133, "faults": {"-": ["custom"]}}}));
//! let mut view = old.clone();
//! apply(&mut view, &patch).unwrap();
//! assert_eq!(view, new);
//!
//! // A packet landed (the first), another was sent (at the end):
//! let old = json!({"packets": ["tokyo→sydney 5000", "tokyo→mumbai 5000", "tokyo→virginia 5000"]});
//! let new = json!({"packets": ["tokyo→mumbai 5000", "tokyo→virginia 5000", "sydney→tokyo 5100"]});
//! let patch = diff(&old, &new).unwrap();
//! assert_eq!(patch, json!({"packets": {"~": [[0, 1], [2, 0, "sydney→tokyo 5100"]]}}));
//! let mut view = old.clone();
//! apply(&mut view, &patch).unwrap();
//! assert_eq!(view, new);
//! ```
//!
//! # On the wire
//! A delta message is the patch of one frame message against the previous
//! one, with its `"type"` and the `"base"` it applies to:
//! `{"type":"delta","base":41,"seq":42,"sim":{"now_ms":5153,"truth":{…}}}`.
//! A client applies it only when `base` is the `seq` of the frame it holds;
//! otherwise it has missed one and waits for the next full `"frame"` (a
//! keyframe), which the server sends periodically, on join, and to any
//! viewer whose writer skipped a frame (see `backend/src/room.rs`).

use serde_json::{Map, Value};

/// The patch key listing removed keys. No field of the protocol is named so.
pub const REMOVED: &str = "-";

/// The patch key holding an array's splices. No field is named so either.
pub const SPLICES: &str = "~";

/// Past this many element pairs, an array's common subsequence is not
/// searched (it costs `old × new` cells) and the array goes whole. Big
/// enough for a small room's list of messages in flight (600 of them, see
/// `MAX_PACKETS_IN_SMALL_VIEW`).
const MAX_LCS_CELLS: usize = 640 * 640;

/// The patch that turns `old` into `new`, or `None` if they are equal.
pub fn diff(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => Some(Value::Object(diff_objects(old, new))),
        (Value::Array(old), Value::Array(new)) => Some(diff_arrays(old, new)),
        _ => Some(new.clone()),
    }
}

/// The splices that turn `old` into `new`, or `new` whole if that is
/// shorter on the wire.
fn diff_arrays(old: &[Value], new: &[Value]) -> Value {
    let whole = || Value::Array(new.to_vec());
    // The common prefix and suffix need no search.
    let pre = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suf = old[pre..].iter().rev().zip(new[pre..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (o, n) = (&old[pre..old.len() - suf], &new[pre..new.len() - suf]);
    if o.len() * n.len() > MAX_LCS_CELLS {
        return whole();
    }
    // lcs[i][j]: length of the longest common subsequence of o[i..], n[j..],
    // searched over hashes of the elements (comparing JSON values cell by
    // cell would cost ~20 ms for two lists of 600). A collision can only
    // make the patch longer, never wrong: the walk below compares the
    // values themselves, and the table only steers which edit it picks.
    let (ho, hn): (Vec<u64>, Vec<u64>) = (o.iter().map(hash).collect(), n.iter().map(hash).collect());
    let w = n.len() + 1;
    let mut lcs = vec![0u16; (o.len() + 1) * w];
    for i in (0..o.len()).rev() {
        for j in (0..n.len()).rev() {
            lcs[i * w + j] = if ho[i] == hn[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    // Walk the alignment; `pos` is the index in the array as patched so far.
    let mut splices: Vec<Value> = Vec::new();
    let mut open: Option<(usize, usize, Vec<Value>)> = None;
    let (mut i, mut j, mut pos) = (0, 0, pre);
    let close = |open: &mut Option<(usize, usize, Vec<Value>)>, pos: &mut usize, splices: &mut Vec<Value>| {
        if let Some((at, removed, inserted)) = open.take() {
            *pos = at + inserted.len();
            let mut op = vec![Value::from(at), Value::from(removed)];
            op.extend(inserted);
            splices.push(Value::Array(op));
        }
    };
    while i < o.len() || j < n.len() {
        if i < o.len() && j < n.len() && o[i] == n[j] {
            close(&mut open, &mut pos, &mut splices);
            i += 1;
            j += 1;
            pos += 1;
        } else if j < n.len() && (i == o.len() || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j]) {
            open.get_or_insert((pos, 0, Vec::new())).2.push(n[j].clone());
            j += 1;
        } else {
            open.get_or_insert((pos, 0, Vec::new())).1 += 1;
            i += 1;
        }
    }
    close(&mut open, &mut pos, &mut splices);
    let mut patch = Map::new();
    patch.insert(SPLICES.to_owned(), Value::Array(splices));
    let patch = Value::Object(patch);
    if patch.to_string().len() < Value::Array(new.to_vec()).to_string().len() {
        patch
    } else {
        whole()
    }
}

/// A hash of a JSON value, by its text (equal values print equally).
fn hash(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}

fn diff_objects(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    for (key, value) in new {
        match old.get(key) {
            Some(before) => {
                if let Some(change) = diff(before, value) {
                    patch.insert(key.clone(), change);
                }
            }
            None => {
                patch.insert(key.clone(), value.clone());
            }
        }
    }
    let removed: Vec<Value> = old.keys().filter(|k| !new.contains_key(*k)).map(|k| Value::String(k.clone())).collect();
    if !removed.is_empty() {
        patch.insert(REMOVED.to_owned(), Value::Array(removed));
    }
    patch
}

/// A patch that does not fit the value it is applied to: a splice out of
/// bounds or not of the form `[index, removed, inserted…]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the delta does not fit the frame held")]
pub struct Misfit;

/// Applies a patch made by [`diff`]: `apply(&mut old, &diff(&old, &new)?)`
/// leaves `old == new`. A patch that does not fit leaves `target` partly
/// patched and says so: the caller must wait for a full value.
pub fn apply(target: &mut Value, patch: &Value) -> Result<(), Misfit> {
    apply_change(target, patch.clone())
}

// The patch is applied by value, its parts moved into the target: the page
// owns each delta it reads and applies it with `apply_frame_delta_owned`,
// so it links no deep copy of a JSON value (docs/page-weight.md); the
// borrowing functions copy the patch once, up front.
fn apply_change(target: &mut Value, change: Value) -> Result<(), Misfit> {
    match (target, change) {
        // Both objects: the change is a patch of it (see the module doc).
        (Value::Object(target), Value::Object(patch)) => apply_object(target, patch, &[]),
        (Value::Array(target), Value::Object(mut patch)) if patch.contains_key(SPLICES) => {
            splice(target, patch.remove(SPLICES).unwrap_or(Value::Null))
        }
        (target, change) => {
            *target = change;
            Ok(())
        }
    }
}

/// Applies `[[index, removed, inserted…], …]` in order.
fn splice(target: &mut Vec<Value>, splices: Value) -> Result<(), Misfit> {
    let Value::Array(splices) = splices else { return Err(Misfit) };
    for op in splices {
        let Value::Array(op) = op else { return Err(Misfit) };
        let at = op.first().and_then(Value::as_u64).ok_or(Misfit)? as usize;
        let removed = op.get(1).and_then(Value::as_u64).ok_or(Misfit)? as usize;
        let end = at.checked_add(removed).filter(|&end| end <= target.len()).ok_or(Misfit)?;
        target.splice(at..end, op.into_iter().skip(2));
    }
    Ok(())
}

/// Applies an object patch, ignoring the top-level keys in `skip`.
fn apply_object(target: &mut Map<String, Value>, mut patch: Map<String, Value>, skip: &[&str]) -> Result<(), Misfit> {
    if let Some(Value::Array(removed)) = patch.remove(REMOVED) {
        for key in removed.iter().filter_map(Value::as_str) {
            target.remove(key);
        }
    }
    for (key, change) in patch {
        if skip.contains(&key.as_str()) {
            continue;
        }
        match target.get_mut(&key) {
            Some(slot) => apply_change(slot, change)?,
            None => {
                target.insert(key, change);
            }
        }
    }
    Ok(())
}

/// The delta message from frame message `prev` to frame message `next`
/// (both `{"type":"frame","seq":…}` values), or `None` when either is not
/// such an object.
pub fn frame_delta(prev: &Value, next: &Value) -> Option<Value> {
    let base = prev.get("seq")?.as_u64()?;
    next.get("seq")?.as_u64()?;
    let (Value::Object(prev), Value::Object(next)) = (prev, next) else { return None };
    let mut patch = diff_objects(prev, next);
    patch.insert("type".into(), Value::from("delta"));
    patch.insert("base".into(), Value::from(base));
    Some(Value::Object(patch))
}

/// Why a delta could not be applied: the client must wait for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeltaGap {
    // `held` in words, not `{held:?}`: the page logs this, and `Debug` of an
    // `Option` is formatting code it would link for this alone.
    #[error("the delta applies to frame {base}, but {}", held_words(*held))]
    WrongBase { base: u64, held: Option<u64> },
    #[error("not a delta message")]
    NotADelta,
    #[error(transparent)]
    Misfit(#[from] Misfit),
}

/// The frame held, in [`DeltaGap::WrongBase`]'s message.
fn held_words(held: Option<u64>) -> String {
    match held {
        Some(seq) => format!("the frame held is {seq}"),
        None => "the frame held has no seq".to_owned(),
    }
}

/// Applies a delta message to the frame message `frame` (as held by a
/// client) if it was made against it; `frame` is left unchanged otherwise.
pub fn apply_frame_delta(frame: &mut Value, delta: &Value) -> Result<(), DeltaGap> {
    apply_frame_delta_owned(frame, delta.clone())
}

/// [`apply_frame_delta`] for a caller that is done with the delta: its
/// parts are moved into `frame` rather than copied.
pub fn apply_frame_delta_owned(frame: &mut Value, delta: Value) -> Result<(), DeltaGap> {
    let Some(base) = delta.get("base").and_then(Value::as_u64) else { return Err(DeltaGap::NotADelta) };
    let held = frame.get("seq").and_then(Value::as_u64);
    if held != Some(base) {
        return Err(DeltaGap::WrongBase { base, held });
    }
    match (frame, delta) {
        (Value::Object(frame), Value::Object(delta)) => Ok(apply_object(frame, delta, &["type", "base"])?),
        _ => Err(DeltaGap::NotADelta),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Frame, ServerMessage, TimeView};
    use crate::region::RegionId;
    use crate::sim::{SimConfig, Simulation};
    use proptest::prelude::*;
    use serde_json::json;

    /// Arbitrary JSON, small enough to shrink well; keys from a small
    /// alphabet so old and new values share keys often.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0u64..5).prop_map(Value::from),
            (-3i64..3).prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-e]", inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn applying_the_diff_gives_the_new_value(old in json_value(), new in json_value()) {
            let mut view = old.clone();
            if let Some(patch) = diff(&old, &new) {
                prop_assert_eq!(apply(&mut view, &patch), Ok(()));
            }
            prop_assert_eq!(view, new);
        }

        /// Arrays that share runs of elements, as lists in consecutive
        /// frames do: the splices rebuild the new one.
        #[test]
        fn splices_rebuild_arrays(old in prop::collection::vec(0u8..6, 0..30), new in prop::collection::vec(0u8..6, 0..30)) {
            let (old, new) = (serde_json::to_value(&old).unwrap(), serde_json::to_value(&new).unwrap());
            let mut view = json!({"a": old});
            let patch = diff(&view, &json!({"a": new.clone()}));
            if let Some(patch) = patch {
                prop_assert_eq!(apply(&mut view, &patch), Ok(()));
            }
            prop_assert_eq!(&view["a"], &new);
        }

        /// Garbage never panics the applier.
        #[test]
        fn any_patch_applies_or_misfits_without_panicking(old in json_value(), patch in json_value(), ops in json_value()) {
            let mut view = old.clone();
            let _ = apply(&mut view, &patch);
            let mut view = json!({"a": [1, 2, 3]});
            let _ = apply(&mut view, &json!({"a": {"~": ops}}));
        }

        /// Random rooms: likes in random regions at random times, with
        /// random loss; every frame rebuilt from its predecessor by a delta
        /// equals the frame itself, as a `Frame` and as JSON.
        #[test]
        fn deltas_rebuild_every_frame_of_a_random_room(
            seed in any::<u64>(),
            loss in 0.0f64..0.5,
            steps in prop::collection::vec((0u64..400, prop::option::of(0usize..RegionId::COUNT)), 1..40),
        ) {
            let mut sim = Simulation::new(SimConfig { seed, ..SimConfig::default() });
            sim.apply(crate::protocol::Control::SetAllLinks { loss, duplicate: 0.0, jitter_ms: None });
            let message = |sim: &Simulation, seq: u64| {
                let frame = Frame { seq, viewers: 1 + (seq % 3) as u32, sim: sim.view(), time: TimeView::default(), history: None, people: Vec::new(), presenter: None, changes: Vec::new() };
                serde_json::to_value(ServerMessage::Frame(frame)).unwrap()
            };
            let mut held = message(&sim, 1);
            let mut t = 0;
            for (seq, (dt, like)) in (2..).zip(steps) {
                t += dt;
                sim.advance(t);
                if let Some(i) = like {
                    let region = RegionId::all().nth(i).unwrap();
                    let _ = sim.like(region, t);
                }
                let next = message(&sim, seq);
                let delta = frame_delta(&held, &next).unwrap();
                apply_frame_delta(&mut held, &delta).unwrap();
                prop_assert_eq!(&held, &next);
                let typed: ServerMessage = serde_json::from_value(held.clone()).unwrap();
                prop_assert!(matches!(typed, ServerMessage::Frame(f) if f.seq == seq));
            }
        }
    }

    #[test]
    fn a_delta_for_another_frame_is_refused_and_changes_nothing() {
        let one = json!({"type": "frame", "seq": 1, "viewers": 1});
        let two = json!({"type": "frame", "seq": 2, "viewers": 2});
        let three = json!({"type": "frame", "seq": 3, "viewers": 3});
        let delta = frame_delta(&two, &three).unwrap();
        assert_eq!(delta, json!({"type": "delta", "base": 2, "seq": 3, "viewers": 3}));
        let mut held = one.clone();
        assert_eq!(apply_frame_delta(&mut held, &delta), Err(DeltaGap::WrongBase { base: 2, held: Some(1) }));
        assert_eq!(held, one);
        let mut held = two;
        assert_eq!(apply_frame_delta(&mut held, &delta), Ok(()));
        assert_eq!(held, three, "type stays \"frame\", base is not copied in");
        assert_eq!(apply_frame_delta(&mut held, &json!({"type": "frame"})), Err(DeltaGap::NotADelta));
    }

    #[test]
    fn a_quiet_room_sends_a_small_delta() {
        let mut sim = Simulation::new(SimConfig::default());
        sim.like(RegionId::parse("tokyo").unwrap(), 0).unwrap();
        sim.advance(10_000);
        let msg = |seq, sim: &Simulation| {
            serde_json::to_value(ServerMessage::Frame(Frame {
                seq,
                viewers: 1,
                sim: sim.view(),
                time: TimeView::default(),
                history: None,
                people: Vec::new(),
                presenter: None,
                changes: Vec::new(),
            }))
            .unwrap()
        };
        let a = msg(1, &sim);
        sim.advance(10_033);
        let b = msg(2, &sim);
        let full = serde_json::to_string(&b).unwrap().len();
        let delta = serde_json::to_string(&frame_delta(&a, &b).unwrap()).unwrap().len();
        assert!(delta * 10 < full, "delta {delta} B against a {full} B frame");
    }

    #[test]
    fn a_splice_out_of_bounds_is_a_misfit() {
        let mut view = json!({"a": [1, 2]});
        assert_eq!(apply(&mut view, &json!({"a": {"~": [[1, 5]]}})), Err(Misfit));
        assert_eq!(apply(&mut view, &json!({"a": {"~": [[3, 0, 9]]}})), Err(Misfit));
        assert_eq!(apply(&mut view, &json!({"a": {"~": [["x"]]}})), Err(Misfit));
        assert_eq!(apply(&mut view, &json!({"a": {"~": [[usize::MAX, 2]]}})), Err(Misfit));
        assert_eq!(view, json!({"a": [1, 2]}));
        assert_eq!(apply(&mut view, &json!({"a": {"~": [[2, 0, 3]]}})), Ok(()));
        assert_eq!(view, json!({"a": [1, 2, 3]}));
    }
}
