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

/// The moment a `?t=12.4` query names, in simulated ms (`t` in seconds;
/// anything else, negative or absurd, is no moment at all).
pub fn moment_from_query(query: &str) -> Option<u64> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let t = query.split('&').find_map(|kv| kv.strip_prefix("t="))?;
    let secs: f64 = t.parse().ok()?;
    (secs.is_finite() && (0.0..=1e9).contains(&secs)).then(|| (secs * 1000.0).round() as u64)
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
