//! Pure text and number helpers: every sentence the UI builds from numbers.
//!
//! Kept free of Leptos and the DOM so the wording rules (plurals, signs,
//! rounding of durations) are unit-tested natively with `cargo test -p
//! frontend`, and so components stay about layout rather than string
//! plumbing.
//!
//! Every float the page writes (text, SVG coordinates, JSON) goes through
//! [`fixed`], [`coord`] or [`push_json`] (`format/number.rs`), never `{:.N}`, `{}`,
//! `to_string` or an `f64` handed to a view: any one of those would bring
//! Rust's float printer back into the page (see `format/number.rs`).

use shared::protocol::view::Consistency;
use shared::protocol::ErrorCode;
use shared::sim::{OriginJudgement, SwitchNote, Timing, Verdict};
use shared::strategy::{Pending, StrategyKind};

mod number;
pub use number::{coord, fixed, push_json};

/// `1 like`, `2 likes`: the noun agrees with the number.
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How far a replica is from the ground truth, in words.
///
/// `behind` is truth minus the replica's value, as in
/// [`shared::protocol::view::ReplicaView::behind`]: positive means it has not heard of
/// some likes yet, negative means it shows more than was ever accepted.
pub fn behind_text(behind: i64) -> String {
    match behind {
        0 => "in sync".to_owned(),
        b if b > 0 => format!("{} behind", count_of(b.unsigned_abs(), "like", "likes")),
        b => format!("{} over", b.unsigned_abs()),
    }
}

/// A duration for people: `850 ms`, `1.4 s`, `12 s`, `3 min 05 s`.
///
/// One decimal below ten seconds is enough precision to compare links (the
/// slowest is ~2 s); past that, tenths only flicker.
pub fn duration(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 10_000 {
        // Round to tenths by integer arithmetic so 1 950 ms reads "2.0 s",
        // never "1.10 s"-style artefacts of float formatting.
        let tenths = (ms + 50) / 100;
        format!("{}.{} s", tenths / 10, tenths % 10)
    } else if ms < 60_000 {
        format!("{} s", (ms + 500) / 1_000)
    } else {
        let secs = (ms + 500) / 1_000;
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

/// A duration that ticks in place (the "Diverged for …" timer): always one
/// decimal under a minute so the text width does not jump every second.
pub fn ticking(ms: u64) -> String {
    if ms < 60_000 {
        let tenths = ms / 100;
        format!("{}.{} s", tenths / 10, tenths % 10)
    } else {
        duration(ms)
    }
}

/// The room's one status, in words, as the header's pill shows it.
///
/// `idle` (no like taken, refused or in doubt yet) reads "No likes yet"
/// whatever the status says. `now_ms` is the (estimated) simulated time,
/// used to say how long the room has been settling; a clock estimate
/// slightly behind `since` reads as zero rather than going negative. The
/// time in "Settled in" is `took_ms`, which is the verdict's
/// `timing.measured_ms`, so header and verdict always show the same time.
pub fn consistency_label(consistency: &Consistency, idle: bool, now_ms: u64) -> String {
    match *consistency {
        _ if idle => "No likes yet".to_owned(),
        Consistency::Settled { correct: false, .. } => "Settled on a wrong count".to_owned(),
        Consistency::Settled { took_ms: Some(took), .. } => format!("Settled {}", took_text(took)),
        Consistency::Settled { took_ms: None, .. } => "Settled".to_owned(),
        Consistency::Settling { since } => format!("Settling for {}", ticking(now_ms.saturating_sub(since))),
    }
}

/// How long settling took, after "Settled": `in 2.1 s`, or `at once` when no
/// replica changed after what started the clock (a switch or a restart
/// that found every replica already agreeing).
pub fn took_text(ms: u64) -> String {
    match ms {
        0 => "at once".to_owned(),
        ms => format!("in {}", duration(ms)),
    }
}

/// The status as a `data-state` for styling and tests: `idle`, `settled`
/// (green), `wrong` (red) or `settling` (amber).
pub fn consistency_state(consistency: &Consistency, idle: bool) -> &'static str {
    match consistency {
        _ if idle => "idle",
        Consistency::Settled { correct: true, .. } => "settled",
        Consistency::Settled { correct: false, .. } => "wrong",
        Consistency::Settling { .. } => "settling",
    }
}

/// Whether a verdict has nothing to judge: no like taken, refused or in doubt.
pub fn idle(v: &Verdict) -> bool {
    v.acknowledged == 0 && v.in_doubt == 0 && v.refused == 0
}

/// A short heading for a refusal from the server; its message says the rest.
pub fn notice_title(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::RateLimited => "Easy there",
        ErrorCode::Refused => "Like refused",
        ErrorCode::RoomUnavailable => "Room unavailable",
        ErrorCode::Locked => "Locked in the public room",
        ErrorCode::InvalidValue => "Out of range",
        ErrorCode::Storage => "Saved history unavailable",
        ErrorCode::UnknownRegion => "Unknown region",
        ErrorCode::BadPerson => "Unknown person",
        ErrorCode::NotPresenter => "Read-only: someone else presents",
        ErrorCode::BadMessage | ErrorCode::TooLarge | ErrorCode::BinaryFrame => "Not understood",
    }
}

/// The room's audience, counting the reader.
pub fn viewers_text(n: u32) -> String {
    match n {
        0 | 1 => "Just you here".to_owned(),
        n => format!("{n} people here"),
    }
}

/// Messages on the wire, as a short phrase.
pub fn in_flight_text(n: u32) -> String {
    match n {
        0 => "nothing in flight".to_owned(),
        n => format!("{} in flight", count_of(n.into(), "message", "messages")),
    }
}

/// The countdown shown while the socket is down.
pub fn reconnect_text(in_secs: u32) -> String {
    if in_secs == 0 {
        "Reconnecting…".to_owned()
    } else {
        format!("Reconnecting in {in_secs} s")
    }
}

/// A short, readable form of a long private room id for labels
/// (`Q2x9…fA`): enough to tell two rooms apart at a glance.
pub fn short_room(room: &str) -> String {
    let chars: Vec<char> = room.chars().collect();
    if chars.len() <= 12 {
        room.to_owned()
    } else {
        let head: String = chars[..6].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

/// How often a periodic job runs: `every 2.0 s`, `every minute`, or `off`.
pub fn interval_text(ms: Option<u64>) -> String {
    match ms {
        None => "off".to_owned(),
        Some(60_000) => "every minute".to_owned(),
        Some(ms) => format!("every {}", duration(ms)),
    }
}

/// A clock skew: `none`, `±5 ms`, `±2.0 s`.
pub fn skew_text(ms: Option<u64>) -> String {
    match ms {
        None | Some(0) => "none".to_owned(),
        Some(ms) => format!("±{}", duration(ms)),
    }
}

/// A timeout: `after 5.0 s`.
pub fn after_text(ms: Option<u64>) -> String {
    ms.map_or_else(|| "never".to_owned(), |ms| format!("after {}", duration(ms)))
}

/// A probability as a whole percentage: `0 %`, `15 %`.
pub fn percent(p: f64) -> String {
    let p = if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.0 };
    format!("{} %", fixed(p * 100.0, 0))
}

/// A rate or a ratio: one decimal below 100, whole numbers above.
pub fn decimal(x: f64) -> String {
    match x {
        x if !x.is_finite() => "0".to_owned(),
        x if x < 100.0 => fixed(x, 1),
        x => fixed(x, 0),
    }
}

/// Bytes for people: `512 B`, `3.4 KB`, `12 KB`, `1.2 MB`.
pub fn bytes_text(n: u64) -> String {
    if n < 1_000 {
        format!("{n} B")
    } else if n < 10_000 {
        format!("{} KB", fixed(n as f64 / 1_000.0, 1))
    } else if n < 1_000_000 {
        format!("{} KB", (n + 500) / 1_000)
    } else {
        format!("{} MB", fixed(n as f64 / 1_000_000.0, 1))
    }
}

/// A like's own traffic: `5.7 msgs · 83 B`.
pub fn like_cost_text(messages: f64, bytes: f64) -> String {
    format!("{} msgs · {}", decimal(messages), bytes_text(bytes.max(0.0).round() as u64))
}

/// Background traffic: `3.0 msgs/s · 240 B/s`.
pub fn background_text(messages_per_s: f64, bytes_per_s: f64) -> String {
    format!("{} msgs/s · {}/s", decimal(messages_per_s), bytes_text(bytes_per_s.max(0.0).round() as u64))
}

/// A strategy's name without its parenthesis: short enough for a tab.
pub fn short_name(name: &str) -> &str {
    // Split at the character '(', not the string " (": a string pattern
    // links core's substring searcher (docs/page-weight.md, step 30).
    name.split('(').next().unwrap_or(name).trim()
}

/// A strategy's name inside a sentence: "last writer wins".
///
/// ASCII lowercasing: the names are ASCII (a test says so), and
/// `str::to_lowercase` would bring Unicode's case tables into the page
/// (8.7 KB gzipped, docs/page-weight.md).
pub fn strategy_words(kind: StrategyKind) -> String {
    short_name(kind.info().name).to_ascii_lowercase()
}

/// One thing the room waits for, in words: "1 like on the queues, waiting
/// for the 3 s batch in Virginia".
///
/// `Pending::what` comes in two shapes: a whole sentence that names its
/// own subject ("Sydney has not heard 3 of Tokyo's likes yet", "Mumbai is
/// down: …", capitalised) or a predicate whose subject is `count` likes
/// ("in doubt: …") or messages ("messages on the wire …"). The subject is
/// added only to the second.
pub fn pending_text(p: &Pending) -> String {
    // The simulation writes whole sentences, count included.
    p.what.trim().to_owned()
}

/// One origin's judgement: "Tokyo: 3 acknowledged, 1 lost".
pub fn origin_text(j: &OriginJudgement) -> String {
    let mut parts = vec![format!("{} acknowledged", j.acknowledged)];
    if j.lost > 0 {
        parts.push(format!("{} lost", j.lost));
    }
    if j.double_counted > 0 {
        parts.push(format!("{} double counted", j.double_counted));
    }
    if j.lost == 0 && j.double_counted == 0 {
        parts.push("all counted once".to_owned());
    }
    format!("{}: {}", j.origin.info().city, parts.join(", "))
}

/// Last writer wins: what the lost likes were lost to, e.g. "1 to clock
/// skew, 2 to concurrent writes" (see `Verdict::lost_to_skew`).
pub fn lost_cause_text(lost: u64, lost_to_skew: u64) -> String {
    let skew = lost_to_skew.min(lost);
    let mut parts = Vec::new();
    if skew > 0 {
        parts.push(format!("{skew} to clock skew"));
    }
    if lost > skew {
        parts.push(format!("{} to concurrent writes", lost - skew));
    }
    parts.join(", ")
}

/// What carried a change, by its message label: "gossip (state)".
fn carrier(by: &str, kind: StrategyKind) -> String {
    let what = match (by, kind) {
        ("like", _) => "a push",
        ("state", StrategyKind::BackgroundSync) => "a sync round",
        ("state", StrategyKind::QueueBatch) => "the read model's publication",
        ("state", _) => "gossip",
        ("delta", _) => "a sync round",
        ("total", _) => return "a total".to_owned(),
        ("drain", _) => "a drain to the writer",
        ("forward", _) => "a forward to the leader",
        ("applied", _) => "the leader's answer",
        ("value", _) => "the leader's broadcast",
        ("local", _) => return "a local change".to_owned(),
        ("crash", _) => return "a crash".to_owned(),
        ("switch", _) => return "the switch".to_owned(),
        (other, _) => return format!("a “{other}” message"),
    };
    format!("{what} ({by})")
}

/// The last settled episode's time, broken down against its reference:
/// - `2.1 s after the last like = 1.9 s propagation (Tokyo → São Paulo) + 0.2 s jitter`
/// - `5.0 s after the last like = 3.1 s waiting for the next sync round + 1.9 s propagation (…)`
/// - `14.6 s after the last like: the reference is 1.9 s by push; the last
///   change came by gossip (state) from Mumbai, 12.7 s later — a repair
///   after a message was lost or cut`
///
/// What started the clock is the timing's own `from_what`.
pub fn timing_text(t: &Timing, kind: StrategyKind) -> String {
    let start = if t.from_what.is_empty() { "the last like, heal, restart or switch" } else { &t.from_what };
    if t.measured_ms == 0 && t.extra.is_none() {
        return format!("no replica changed after {start}");
    }
    let head = format!("{} after {start}", duration(t.measured_ms));
    let (Some(r), Some(reference_ms)) = (&t.reference, t.reference_ms) else {
        return format!("{head} (no reference: a region was cut off for part of it)");
    };
    let path = if r.path.is_empty() { String::new() } else { format!(" ({})", r.path) };
    // The reference as its parts, when they add up to it (they do unless
    // the reference was computed for an earlier like than the last one).
    let mut parts = Vec::new();
    if r.wait_ms + r.propagation_ms == reference_ms {
        if r.wait_ms > 0 {
            parts.push(format!("{} waiting for the next {}", duration(r.wait_ms), r.mechanism));
        }
        if r.propagation_ms > 0 {
            parts.push(format!("{} propagation{path}", duration(r.propagation_ms)));
        }
    } else if reference_ms > 0 {
        parts.push(format!("{} by {}{path}", duration(reference_ms), r.mechanism));
    }
    match &t.extra {
        Some(e) if e.late_ms > 0 => {
            let by = t.last_change.as_ref().map_or_else(
                || "a later message".to_owned(),
                |c| {
                    let from = c.from.map_or_else(String::new, |f| format!(" from {}", f.info().city));
                    format!("{}{from}", carrier(&c.by, kind))
                },
            );
            let why = match t.last_change.as_ref().map(|c| c.by.as_str()) {
                Some("state" | "delta" | "total") => "a repair after a message was lost or cut",
                _ => "a message sent later than the reference assumes (a re-send, or a longer path)",
            };
            // A zero reference means the strategy expected nothing more to
            // change ("nothing to repair"): say that rather than "0 ms by".
            let reference = match reference_ms {
                0 => format!("expected no change ({}{path})", r.mechanism),
                ms => format!("is {} by {}{path}", duration(ms), r.mechanism),
            };
            format!(
                "{head}: the reference {reference}; the last change came by {by}, {} later — {why}",
                duration(e.total_ms)
            )
        }
        Some(e) => {
            parts.push(format!("{} jitter", duration(e.jitter_ms)));
            format!("{head} = {}", parts.join(" + "))
        }
        None if t.measured_ms == reference_ms && !parts.is_empty() => format!("{head} = {}", parts.join(" + ")),
        None if t.measured_ms == reference_ms => head,
        // Faster than the reference: a reference is a lower bound, so this
        // should not happen; say so rather than hide it.
        None => format!("{head}, under its reference of {} by {}{path}", duration(reference_ms), r.mechanism),
    }
}

/// The announcement of a strategy switch: "Switched from last writer wins
/// to event push + anti-entropy: 12 messages in flight dropped; 2 likes in
/// doubt acknowledged, 1 refused".
pub fn switch_text(s: &SwitchNote) -> String {
    let dropped = match s.dropped_messages {
        0 => "nothing was in flight".to_owned(),
        n => format!("{} in flight dropped", count_of(n, "message", "messages")),
    };
    // A knob change rebuilds the strategy too, with the same consequences.
    let mut text = if s.from == s.to {
        format!("Restarted {} with new settings: {dropped}", strategy_words(s.to))
    } else {
        format!("Switched from {} to {}: {dropped}", strategy_words(s.from), strategy_words(s.to))
    };
    if s.resolved_acknowledged + s.resolved_refused > 0 {
        text.push_str(&format!(
            "; {} in doubt acknowledged, {} refused",
            count_of(s.resolved_acknowledged, "like", "likes"),
            s.resolved_refused
        ));
    }
    text
}

/// The verdict in one plain sentence: what the replicas settled on and
/// whether that number is the truth, with the usual culprit named when it
/// is not. Before the room settles it judges nothing.
pub fn verdict_sentence(v: &Verdict, kind: StrategyKind) -> String {
    if idle(v) {
        return "No likes yet. Like in a region or two, break something, and see what survives.".to_owned();
    }
    let lo = v.values.iter().min().copied().unwrap_or(0);
    let hi = v.values.iter().max().copied().unwrap_or(0);
    let shown = if lo == hi { format!("{lo}") } else { format!("between {lo} and {hi}") };
    if let Some(set) = &v.set {
        return set_sentence(v, set, &shown);
    }
    let (Some(lost), Some(double), true) = (v.lost, v.double_counted, v.settled) else {
        return format!(
            "Judging once nothing can change any more: the regions show {shown} of {} so far.",
            count_of(v.acknowledged, "acknowledged like", "acknowledged likes")
        );
    };
    let on =
        if lo == hi { format!("Settled on {lo}") } else { format!("Settled with the regions apart ({lo} to {hi})") };
    let mut wrongs = Vec::new();
    if lost > 0 {
        let overwritten = kind == StrategyKind::LastWriterWins
            || v.last_switch.as_ref().is_some_and(|s| s.from == StrategyKind::LastWriterWins);
        let cause = match () {
            _ if v.destroyed_in_crashes >= lost => "a crash without a durable log destroyed them",
            _ if overwritten && kind != StrategyKind::LastWriterWins => {
                "last writer wins overwrote them before the switch"
            }
            _ if overwritten => "last writer wins overwrote them",
            _ if v.destroyed_in_crashes > 0 => "crashes destroyed some, the rest never reached every region",
            _ => "they never reached every region",
        };
        wrongs.push(format!("{} lost ({cause})", were(lost, "acknowledged like")));
    }
    if double > 0 {
        let cause = match kind {
            StrategyKind::EventPush => "counted again without de-duplication",
            _ => "applied more than once",
        };
        wrongs.push(format!("{} counted twice ({cause})", were(double, "like")));
    }
    match (wrongs.is_empty(), v.in_doubt) {
        (true, 0) => format!("{on} — every acknowledged like counted exactly once."),
        (true, n) => format!(
            "{on} — nothing acknowledged was lost or double counted ({} still in doubt).",
            count_of(n, "like", "likes")
        ),
        (false, _) => format!("{on} — {}.", wrongs.join(", and ")),
    }
}

/// The verdict on a room of people's likes, judged by membership.
fn set_sentence(v: &Verdict, set: &shared::sim::SetVerdict, shown: &str) -> String {
    let people = count_of(set.expected, "person likes", "people like");
    let Some(lost) = set.lost.filter(|_| v.settled) else {
        return format!("Judging once nothing can change any more: the regions show {shown}; {people} the post and never took it back.");
    };
    match lost {
        0 => format!("Settled on {shown} — everyone who liked and never unliked is in every region."),
        n => format!(
            "Settled on {shown} — {} missing from some region though they liked and never unliked.",
            count_of(n, "person is", "people are")
        ),
    }
}

/// `1 like was`, `2 likes were`.
fn were(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun} was")
    } else {
        format!("{n} {noun}s were")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::region::RegionId;
    use shared::sim::{Change, Extra};
    use shared::strategy::Reference;

    #[test]
    fn strategy_words_are_lowercase_ascii() {
        // `strategy_words` lowercases ASCII only; a name with another letter
        // would keep its capitals.
        for kind in StrategyKind::ALL {
            assert!(kind.info().name.is_ascii(), "{}", kind.info().name);
        }
        assert_eq!(strategy_words(StrategyKind::ALL[0]), "event push + anti-entropy");
    }

    #[test]
    fn behind_reads_naturally() {
        assert_eq!(behind_text(0), "in sync");
        assert_eq!(behind_text(1), "1 like behind");
        assert_eq!(behind_text(2), "2 likes behind");
        assert_eq!(behind_text(-3), "3 over");
        assert_eq!(behind_text(i64::MIN), "9223372036854775808 over");
    }

    #[test]
    fn durations_round_sensibly() {
        assert_eq!(duration(0), "0 ms");
        assert_eq!(duration(999), "999 ms");
        assert_eq!(duration(1_000), "1.0 s");
        assert_eq!(duration(1_412), "1.4 s");
        assert_eq!(duration(1_950), "2.0 s");
        assert_eq!(duration(9_949), "9.9 s");
        assert_eq!(duration(9_950), "10.0 s");
        assert_eq!(duration(10_000), "10 s");
        assert_eq!(duration(59_499), "59 s");
        assert_eq!(duration(65_000), "1 min 05 s");
    }

    #[test]
    fn ticking_timer_keeps_a_fixed_shape() {
        assert_eq!(ticking(0), "0.0 s");
        assert_eq!(ticking(1_299), "1.2 s");
        assert_eq!(ticking(42_950), "42.9 s");
        assert_eq!(ticking(61_000), "1 min 01 s");
    }

    #[test]
    fn consistency_reads_as_one_status() {
        let fresh = Consistency::Settled { since: 0, took_ms: None, correct: true };
        assert_eq!(consistency_label(&fresh, true, 5_000), "No likes yet");
        assert_eq!(consistency_state(&fresh, true), "idle");
        let settling = Consistency::Settling { since: 5_000 };
        assert_eq!(consistency_label(&settling, false, 8_234), "Settling for 3.2 s");
        assert_eq!(consistency_label(&settling, false, 4_990), "Settling for 0.0 s");
        assert_eq!(consistency_state(&settling, false), "settling");
        let settled = Consistency::Settled { since: 7_012, took_ms: Some(2_112), correct: true };
        assert_eq!(consistency_label(&settled, false, 9_000), "Settled in 2.1 s");
        assert_eq!(consistency_state(&settled, false), "settled");
        let at_once = Consistency::Settled { since: 7_012, took_ms: Some(0), correct: true };
        assert_eq!(consistency_label(&at_once, false, 9_000), "Settled at once");
        let wrong = Consistency::Settled { since: 7_012, took_ms: Some(2_112), correct: false };
        assert_eq!(consistency_label(&wrong, false, 9_000), "Settled on a wrong count");
        assert_eq!(consistency_state(&wrong, false), "wrong");
    }

    #[test]
    fn small_phrases() {
        assert_eq!(viewers_text(1), "Just you here");
        assert_eq!(viewers_text(3), "3 people here");
        assert_eq!(in_flight_text(0), "nothing in flight");
        assert_eq!(in_flight_text(1), "1 message in flight");
        assert_eq!(in_flight_text(7), "7 messages in flight");
        assert_eq!(reconnect_text(3), "Reconnecting in 3 s");
        assert_eq!(reconnect_text(0), "Reconnecting…");
        assert_eq!(count_of(1, "person", "people"), "1 person");
    }

    #[test]
    fn long_room_ids_are_shortened_for_labels() {
        assert_eq!(short_room("public"), "public");
        assert_eq!(short_room("Q2x9abcdefghijklmnopfA"), "Q2x9ab…opfA");
    }

    #[test]
    fn intervals_and_costs_read_naturally() {
        assert_eq!(interval_text(None), "off");
        assert_eq!(interval_text(Some(100)), "every 100 ms");
        assert_eq!(interval_text(Some(2_000)), "every 2.0 s");
        assert_eq!(interval_text(Some(60_000)), "every minute");
        assert_eq!(skew_text(Some(0)), "none");
        assert_eq!(skew_text(Some(5)), "±5 ms");
        assert_eq!(skew_text(Some(2_000)), "±2.0 s");
        assert_eq!(after_text(Some(5_000)), "after 5.0 s");
        assert_eq!(percent(0.15), "15 %");
        assert_eq!(percent(f64::NAN), "0 %");
        assert_eq!(decimal(5.0), "5.0");
        assert_eq!(decimal(250.4), "250");
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(3_400), "3.4 KB");
        assert_eq!(bytes_text(12_345), "12 KB");
        assert_eq!(like_cost_text(5.66, 83.2), "5.7 msgs · 83 B");
        assert_eq!(background_text(3.0, 240.4), "3.0 msgs/s · 240 B/s");
    }

    fn r(id: &str) -> RegionId {
        RegionId::parse(id).unwrap()
    }

    #[test]
    fn pending_work_reads_as_the_simulation_wrote_it() {
        let p = |count, what: &str| Pending { count, what: what.to_owned() };
        assert_eq!(
            pending_text(&p(1, " 1 like on the queues, waiting for the 3 s batch in Virginia ")),
            "1 like on the queues, waiting for the 3 s batch in Virginia"
        );
    }

    #[test]
    fn origins_and_causes_read_naturally() {
        let j = |lost, double_counted| OriginJudgement {
            origin: r("tokyo"),
            acknowledged: 3,
            fewest_held: 3 - lost,
            most_held: 3 + double_counted,
            lost,
            double_counted,
        };
        assert_eq!(origin_text(&j(1, 0)), "Tokyo: 3 acknowledged, 1 lost");
        assert_eq!(origin_text(&j(0, 2)), "Tokyo: 3 acknowledged, 2 double counted");
        assert_eq!(origin_text(&j(0, 0)), "Tokyo: 3 acknowledged, all counted once");
        assert_eq!(lost_cause_text(3, 0), "3 to concurrent writes");
        assert_eq!(lost_cause_text(3, 1), "1 to clock skew, 2 to concurrent writes");
        assert_eq!(lost_cause_text(2, 5), "2 to clock skew");
    }

    fn switch(from: StrategyKind, to: StrategyKind, dropped: u64, acked: u64, refused: u64) -> SwitchNote {
        SwitchNote {
            at: 9_000,
            from,
            to,
            dropped_messages: dropped,
            resolved_acknowledged: acked,
            resolved_refused: refused,
        }
    }

    #[test]
    fn a_switch_is_announced_with_what_it_did() {
        assert_eq!(
            switch_text(&switch(StrategyKind::LastWriterWins, StrategyKind::EventPush, 12, 2, 1)),
            "Switched from last writer wins to event push + anti-entropy: 12 messages in flight dropped; \
             2 likes in doubt acknowledged, 1 refused"
        );
        assert_eq!(
            switch_text(&switch(StrategyKind::EventPush, StrategyKind::QueueBatch, 0, 0, 0)),
            "Switched from event push + anti-entropy to queue + batch writer: nothing was in flight"
        );
        assert_eq!(
            switch_text(&switch(StrategyKind::EventPush, StrategyKind::EventPush, 2, 0, 0)),
            "Restarted event push + anti-entropy with new settings: 2 messages in flight dropped"
        );
    }

    fn timing(from_what: &str, measured_ms: u64, reference: Option<Reference>, last: Option<Change>) -> Timing {
        let reference_ms = reference.as_ref().map(|r| r.at.saturating_sub(10_000));
        let extra = reference_ms.and_then(|rm| {
            let total_ms = measured_ms.checked_sub(rm).filter(|&t| t > 0)?;
            let jitter_ms = last.as_ref().and_then(|c| Some(c.travel_ms? - c.base_ms?)).unwrap_or(0).min(total_ms);
            Some(Extra { total_ms, jitter_ms, late_ms: total_ms - jitter_ms })
        });
        Timing {
            from_ms: 10_000,
            from_what: from_what.to_owned(),
            measured_ms,
            reference,
            reference_ms,
            last_change: last,
            extra,
        }
    }

    fn change(by: &str, from: &str, travel_ms: u64, base_ms: u64) -> Change {
        Change {
            at: 0,
            region: r("saopaulo"),
            by: by.to_owned(),
            from: Some(r(from)),
            travel_ms: Some(travel_ms),
            base_ms: Some(base_ms),
        }
    }

    #[test]
    fn timing_breaks_the_time_down() {
        let push = Reference::new(10_000, 0, 1_900, "Tokyo → São Paulo".into(), "push");
        let exact = timing("the last like", 1_900, Some(push.clone()), Some(change("like", "tokyo", 1_900, 1_900)));
        assert_eq!(
            timing_text(&exact, StrategyKind::EventPush),
            "1.9 s after the last like = 1.9 s propagation (Tokyo → São Paulo)"
        );
        let jittered = timing("the last like", 2_100, Some(push.clone()), Some(change("like", "tokyo", 2_100, 1_900)));
        assert_eq!(
            timing_text(&jittered, StrategyKind::EventPush),
            "2.1 s after the last like = 1.9 s propagation (Tokyo → São Paulo) + 200 ms jitter"
        );
        let repaired = timing("the last like", 14_600, Some(push), Some(change("state", "mumbai", 1_500, 1_500)));
        assert_eq!(
            timing_text(&repaired, StrategyKind::EventPush),
            "15 s after the last like: the reference is 1.9 s by push (Tokyo → São Paulo); the last change came \
             by gossip (state) from Mumbai, 13 s later — a repair after a message was lost or cut"
        );
        let nothing = Reference::new(10_000, 0, 0, String::new(), "nothing to repair");
        let surprise = timing("a heal", 2_000, Some(nothing), Some(change("value", "virginia", 535, 498)));
        assert_eq!(
            timing_text(&surprise, StrategyKind::SingleWriter),
            "2.0 s after a heal: the reference expected no change (nothing to repair); the last change \
             came by the leader's broadcast (value) from Virginia, 2.0 s later — a message sent later than the \
             reference assumes (a re-send, or a longer path)"
        );
        let idle = Reference::new(10_000, 0, 0, String::new(), "nothing to repair");
        assert_eq!(
            timing_text(&timing("the switch", 0, Some(idle), None), StrategyKind::EventPush),
            "no replica changed after the switch"
        );
        let sync = Reference::new(10_000, 1_200, 1_900, "Tokyo → São Paulo".into(), "sync round");
        let waited = timing("the switch", 3_100, Some(sync), Some(change("state", "tokyo", 1_900, 1_900)));
        assert_eq!(
            timing_text(&waited, StrategyKind::BackgroundSync),
            "3.1 s after the switch = 1.2 s waiting for the next sync round + 1.9 s propagation (Tokyo → São Paulo)"
        );
        assert_eq!(
            timing_text(&timing("a restart", 4_000, None, None), StrategyKind::EventPush),
            "4.0 s after a restart (no reference: a region was cut off for part of it)"
        );
    }

    fn verdict(ack: u64, values: &[u64]) -> Verdict {
        let agree = values.windows(2).all(|w| w[0] == w[1]);
        let value = agree.then(|| values[0]);
        Verdict {
            acknowledged: ack,
            values: values.to_vec(),
            settled: agree,
            lost: value.map(|v| ack.saturating_sub(v)),
            double_counted: value.map(|v| v.saturating_sub(ack)),
            ..Verdict::default()
        }
    }

    #[test]
    fn the_verdict_names_what_went_wrong() {
        assert!(verdict_sentence(&Verdict::default(), StrategyKind::EventPush).starts_with("No likes yet"));
        assert_eq!(
            verdict_sentence(&verdict(3, &[3, 3, 2]), StrategyKind::EventPush),
            "Judging once nothing can change any more: the regions show between 2 and 3 of 3 acknowledged likes so far."
        );
        assert_eq!(
            verdict_sentence(&verdict(1, &[0, 0, 0]), StrategyKind::QueueBatch),
            "Settled on 0 — 1 acknowledged like was lost (they never reached every region)."
        );
        let waiting = Verdict { settled: false, lost: None, double_counted: None, ..verdict(1, &[0, 0]) };
        assert!(!verdict_sentence(&waiting, StrategyKind::QueueBatch).contains("lost"));
        assert_eq!(
            verdict_sentence(&verdict(3, &[3, 3, 3]), StrategyKind::EventPush),
            "Settled on 3 — every acknowledged like counted exactly once."
        );
        assert_eq!(
            verdict_sentence(&verdict(9, &[7, 7]), StrategyKind::LastWriterWins),
            "Settled on 7 — 2 acknowledged likes were lost (last writer wins overwrote them)."
        );
        let switched = Verdict {
            last_switch: Some(switch(StrategyKind::LastWriterWins, StrategyKind::EventPush, 0, 0, 0)),
            ..verdict(9, &[7, 7])
        };
        assert!(verdict_sentence(&switched, StrategyKind::EventPush).contains("overwrote them before the switch"));
        assert_eq!(
            verdict_sentence(&verdict(4, &[5, 5]), StrategyKind::EventPush),
            "Settled on 5 — 1 like was counted twice (counted again without de-duplication)."
        );
        let crashed = Verdict { destroyed_in_crashes: 1, ..verdict(2, &[1, 1]) };
        assert!(verdict_sentence(&crashed, StrategyKind::BackgroundSync).contains("crash without a durable log"));
    }
}
