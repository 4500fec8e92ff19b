//! Which room a URL path means.
//!
//! The app has two kinds of address: `/` is the shared public room, and
//! `/r/{room}` is a private room whose id is the unguessable part of the
//! link. Everything else is a bad link, and saying so beats silently joining
//! some other room. Pure, so the rules are unit-tested natively.

use shared::protocol::RoomId;

/// Why a path does not name a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRoute {
    /// `/r/…` with an id that breaks [`RoomId::parse`]'s rules.
    BadRoomId(String),
    /// A path this app does not serve.
    UnknownPath(String),
}

/// The room a location path names.
///
/// One trailing slash is forgiven (`/r/abc/`), because people edit links by
/// hand and it is unambiguous.
pub fn room_from_path(path: &str) -> Result<RoomId, BadRoute> {
    if let Some(rest) = path.strip_prefix("/r/") {
        let id = rest.strip_suffix('/').unwrap_or(rest);
        return RoomId::parse(id).map_err(|_| BadRoute::BadRoomId(id.to_owned()));
    }
    match path {
        "" | "/" | "/index.html" => Ok(RoomId::public()),
        _ => Err(BadRoute::UnknownPath(path.to_owned())),
    }
}

/// The moment a `?t=12.4` query names, in simulated ms (`t` in seconds,
/// a plain decimal, rounded to the nearest ms; anything else, negative or
/// absurd, is no moment at all).
///
/// Read digit by digit rather than through `f64`'s parser, whose code
/// (several KB of wasm) nothing else on the page needs.
pub fn moment_from_query(query: &str) -> Option<u64> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let t = query.split('&').find_map(|kv| kv.strip_prefix("t="))?;
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + frac.len() == 0 || !digits(whole) || !digits(frac) || whole.len() > 10 {
        return None;
    }
    let secs: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    // Milliseconds from the first three decimals, rounded half up by the
    // fourth.
    let ms = frac.bytes().chain(std::iter::repeat(b'0')).take(4).fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    let ms = secs * 1000 + (ms + 5) / 10;
    (ms <= 1_000_000_000_000).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_in_the_query() {
        assert_eq!(moment_from_query("?t=12.4"), Some(12_400));
        assert_eq!(moment_from_query("?x=1&t=3"), Some(3_000));
        assert_eq!(moment_from_query(""), None);
        assert_eq!(moment_from_query("?t=-1"), None);
        assert_eq!(moment_from_query("?t=NaN"), None);
        assert_eq!(moment_from_query("?t=abc"), None);
        assert_eq!(moment_from_query("?t=0"), Some(0));
        assert_eq!(moment_from_query("?t=.5"), Some(500));
        assert_eq!(moment_from_query("?t=7."), Some(7_000));
        assert_eq!(moment_from_query("?t=1.2345"), Some(1_235));
        assert_eq!(moment_from_query("?t=0.0004"), Some(0));
        assert_eq!(moment_from_query("?t=1000000000"), Some(1_000_000_000_000), "1e9 s is the limit");
        assert_eq!(moment_from_query("?t=1000000000.1"), None);
        assert_eq!(moment_from_query("?t=."), None);
        assert_eq!(moment_from_query("?t="), None);
        assert_eq!(moment_from_query("?t=1.2.3"), None);
    }

    #[test]
    fn root_is_the_public_room() {
        assert_eq!(room_from_path("/"), Ok(RoomId::public()));
        assert_eq!(room_from_path(""), Ok(RoomId::public()));
        assert_eq!(room_from_path("/index.html"), Ok(RoomId::public()));
    }

    #[test]
    fn private_rooms_are_validated() {
        let room = room_from_path("/r/Ab_9-z").unwrap();
        assert_eq!(room.as_str(), "Ab_9-z");
        assert_eq!(room_from_path("/r/Ab_9-z/"), Ok(room.clone()));
        assert_eq!(room_from_path("/r/"), Err(BadRoute::BadRoomId(String::new())));
        assert_eq!(room_from_path("/r/a.b"), Err(BadRoute::BadRoomId("a.b".into())));
        assert_eq!(room_from_path("/r/a/b"), Err(BadRoute::BadRoomId("a/b".into())));
        assert_eq!(room_from_path("/r/%41"), Err(BadRoute::BadRoomId("%41".into())));
    }

    #[test]
    fn other_paths_are_unknown() {
        assert_eq!(room_from_path("/rooms/x"), Err(BadRoute::UnknownPath("/rooms/x".into())));
        assert_eq!(room_from_path("/about"), Err(BadRoute::UnknownPath("/about".into())));
    }
}
