//! Pure text and number helpers: every sentence the UI builds from numbers.
//!
//! Kept free of Leptos and the DOM so the wording rules (plurals, signs,
//! rounding of durations) are unit-tested natively with `cargo test -p
//! frontend`, and so components stay about layout rather than string
//! plumbing.

use shared::protocol::ErrorCode;
use shared::sim::{Consistency, Verdict};
use shared::strategy::StrategyKind;

/// `1 like`, `2 likes`: the noun agrees with the number.
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How far a replica is from the ground truth, in words.
///
/// `behind` is truth minus the replica's value, as in
/// [`shared::sim::ReplicaView::behind`]: positive means it has not heard of
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

/// The consistency status in words, as the header's pill shows it.
///
/// `now_ms` is the (estimated) simulated time, used to say how long the
/// replicas have disagreed; a clock estimate slightly behind `since` reads
/// as zero rather than going negative.
pub fn consistency_label(consistency: &Consistency, now_ms: u64) -> String {
    match *consistency {
        Consistency::Converged { took_ms: Some(took), .. } => format!("Converged in {}", duration(took)),
        Consistency::Converged { took_ms: None, .. } => "In sync".to_owned(),
        Consistency::Diverged { since } => format!("Diverged for {}", ticking(now_ms.saturating_sub(since))),
    }
}

/// A short heading for a refusal from the server; its message says the rest.
pub fn notice_title(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::RateLimited => "Easy there",
        ErrorCode::Refused => "Like refused",
        ErrorCode::RoomUnavailable => "Room unavailable",
        ErrorCode::Locked => "Locked in the public room",
        ErrorCode::InvalidValue => "Out of range",
        ErrorCode::UnknownRegion => "Unknown region",
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

/// Encodes bytes as unpadded base64url (RFC 4648 §5): URL-safe without
/// escaping, and 16 bytes become a 22-character room id, short enough to
/// read out yet far too many (2^128) to guess.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // A chunk of k bytes carries 8k bits, i.e. k + 1 six-bit symbols.
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
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

/// A probability as a whole percentage: `0 %`, `15 %`.
pub fn percent(p: f64) -> String {
    let p = if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.0 };
    format!("{:.0} %", p * 100.0)
}

/// A per-like cost: one decimal below 100, whole numbers above; `—`
/// before the first like.
pub fn per_like(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() && x < 100.0 => format!("{x:.1}"),
        Some(x) if x.is_finite() => format!("{x:.0}"),
        _ => "—".to_owned(),
    }
}

/// Bytes for people: `512 B`, `3.4 KB`, `12 KB`, `1.2 MB`.
pub fn bytes_text(n: u64) -> String {
    if n < 1_000 {
        format!("{n} B")
    } else if n < 10_000 {
        format!("{:.1} KB", n as f64 / 1_000.0)
    } else if n < 1_000_000 {
        format!("{} KB", (n + 500) / 1_000)
    } else {
        format!("{:.1} MB", n as f64 / 1_000_000.0)
    }
}

/// Convergence time against its lower bound: `1.3× the bound`. Below 1 the
/// strategy got lucky with a round's phase (see [`shared::sim::Verdict`]).
pub fn ratio_text(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "—".to_owned();
    }
    format!("{ratio:.1}× the bound")
}

/// The verdict in one plain sentence: what the replicas agreed on and
/// whether that number is the truth, with the strategy's usual culprit
/// named when it is not.
pub fn verdict_sentence(v: &Verdict, kind: StrategyKind) -> String {
    if v.acknowledged == 0 && v.in_doubt == 0 && v.refused == 0 {
        return "No likes yet. Like in a region or two, break something, and see what survives.".to_owned();
    }
    let Some(value) = v.converged_value.filter(|_| v.converged) else {
        let lo = v.values.iter().min().copied().unwrap_or(0);
        let hi = v.values.iter().max().copied().unwrap_or(0);
        return format!(
            "Not converged yet: the regions show between {lo} and {hi} of {} — the verdict comes once they agree.",
            count_of(v.acknowledged, "acknowledged like", "acknowledged likes")
        );
    };
    let mut wrongs = Vec::new();
    if v.lost > 0 {
        let cause = if v.lost_in_crashes >= v.lost {
            "a crash without a durable log destroyed them"
        } else if kind == StrategyKind::LastWriterWins {
            "last writer wins overwrote them"
        } else if v.lost_in_crashes > 0 {
            "crashes and overwrites"
        } else {
            "they never reached every region"
        };
        wrongs.push(format!("{} lost ({cause})", were(v.lost, "acknowledged like")));
    }
    if v.double_counted > 0 {
        let cause = if kind == StrategyKind::EventPush {
            "duplicated messages applied again without de-duplication"
        } else {
            "applied more than once"
        };
        wrongs.push(format!("{} counted twice ({cause})", were(v.double_counted, "like")));
    }
    if wrongs.is_empty() {
        if v.in_doubt > 0 {
            format!(
                "Converged to {value} — nothing acknowledged was lost or double counted ({} still in doubt).",
                count_of(v.in_doubt, "like", "likes")
            )
        } else {
            format!("Converged to {value} — every acknowledged like counted exactly once.")
        }
    } else {
        format!("Converged to {value} — {}.", wrongs.join(", and "))
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
    use shared::protocol::RoomId;

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
    fn consistency_reads_as_a_status() {
        let fresh = Consistency::Converged { since: 0, took_ms: None };
        assert_eq!(consistency_label(&fresh, 5_000), "In sync");
        let diverged = Consistency::Diverged { since: 5_000 };
        assert_eq!(consistency_label(&diverged, 6_234), "Diverged for 1.2 s");
        assert_eq!(consistency_label(&diverged, 4_990), "Diverged for 0.0 s");
        let converged = Consistency::Converged { since: 7_012, took_ms: Some(1_412) };
        assert_eq!(consistency_label(&converged, 9_000), "Converged in 1.4 s");
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
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 §10 test vectors, unpadded.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected);
        }
        // The two symbols that differ from standard base64.
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn generated_room_ids_are_valid_room_ids() {
        let id = base64url(&[0xff; 16]);
        assert_eq!(id.len(), 22);
        assert!(RoomId::parse(&id).is_ok(), "{id}");
        let id = base64url(&(0u8..16).collect::<Vec<_>>());
        assert!(RoomId::parse(&id).is_ok(), "{id}");
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
        assert_eq!(percent(0.15), "15 %");
        assert_eq!(percent(f64::NAN), "0 %");
        assert_eq!(per_like(None), "—");
        assert_eq!(per_like(Some(5.0)), "5.0");
        assert_eq!(per_like(Some(250.4)), "250");
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(3_400), "3.4 KB");
        assert_eq!(bytes_text(12_345), "12 KB");
        assert_eq!(ratio_text(1.26), "1.3× the bound");
    }

    fn verdict(ack: u64, values: &[u64]) -> Verdict {
        let converged = values.windows(2).all(|w| w[0] == w[1]);
        let value = converged.then(|| values[0]);
        Verdict {
            acknowledged: ack,
            values: values.to_vec(),
            converged,
            converged_value: value,
            lost: value.map_or(0, |v| ack.saturating_sub(v)),
            double_counted: value.map_or(0, |v| v.saturating_sub(ack)),
            ..Verdict::default()
        }
    }

    #[test]
    fn the_verdict_names_what_went_wrong() {
        assert!(verdict_sentence(&Verdict::default(), StrategyKind::EventPush).starts_with("No likes yet"));
        assert_eq!(
            verdict_sentence(&verdict(3, &[3, 3, 2]), StrategyKind::EventPush),
            "Not converged yet: the regions show between 2 and 3 of 3 acknowledged likes — the verdict comes once they agree."
        );
        assert_eq!(
            verdict_sentence(&verdict(3, &[3, 3, 3]), StrategyKind::EventPush),
            "Converged to 3 — every acknowledged like counted exactly once."
        );
        assert_eq!(
            verdict_sentence(&verdict(9, &[7, 7]), StrategyKind::LastWriterWins),
            "Converged to 7 — 2 acknowledged likes were lost (last writer wins overwrote them)."
        );
        assert_eq!(
            verdict_sentence(&verdict(4, &[5, 5]), StrategyKind::EventPush),
            "Converged to 5 — 1 like was counted twice (duplicated messages applied again without de-duplication)."
        );
        let crashed = Verdict { lost_in_crashes: 1, ..verdict(2, &[1, 1]) };
        assert!(verdict_sentence(&crashed, StrategyKind::BackgroundSync).contains("crash without a durable log"));
    }
}
