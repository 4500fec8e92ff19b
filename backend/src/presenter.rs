//! Presenter tokens: who may change a shared private room.
//!
//! A class follows a teacher's room; if everyone in it could cut links and
//! switch strategies, nobody could follow anything. So the room's maker
//! gets a *presenter token*, and the room takes controls only from a
//! connection that showed it (`present`, see `shared::protocol`). Everyone
//! with the plain link still likes and watches.
//!
//! **Issued in one place.** Every room that is made on purpose — `POST
//! /api/rooms` (the page's New room), a fork, an import, and any future way
//! such as guided scenarios — is started by [`crate::rooms::Rooms::start_new`],
//! which calls [`issue`] and hands the token to whoever asked. The token is
//! 22 random alphanumerics (~131 bits, like a room id): it cannot be
//! guessed, only given.
//!
//! **Stored as a hash, with the room.** The room's row keeps the SHA-256 of
//! the token (`rooms.presenter` in SQLite, the `presenter` field of the
//! room's meta hash in Redis), written before the room takes anyone in. So
//! the check survives a restart (the room is restored from its row) and a
//! cluster handover (the new owner loads the same row); and it happens in
//! the room actor, which runs on the owning instance, so a relay forwards a
//! `present` like any other command. A leaked database does not leak
//! working tokens.
//!
//! **Rooms without a token** — made before this existed, or by opening an
//! unused `/r/{id}` by hand — have no presenter: everyone in them may
//! change them, as before. Nobody becomes their presenter by arriving
//! first: a room's presenter is decided when it is made, never later.

use sha2::{Digest, Sha256};

/// A presenter token, as issued to a room's maker (never stored as is).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the room's row keeps.
    pub fn hash(&self) -> String {
        hash(&self.0)
    }
}

/// Not printed in logs: it is a key.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// A fresh token for a new room.
pub fn issue() -> Token {
    use rand::distr::{Alphanumeric, SampleString};
    Token(Alphanumeric.sample_string(&mut rand::rng(), 22))
}

/// The SHA-256 of `token`, in hex.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `token` is the one whose hash the room keeps. Compares hashes,
/// so the time it takes says nothing about the token.
pub fn matches(stored: &str, token: &str) -> bool {
    hash(token) == stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_its_own_hash_only() {
        let (a, b) = (issue(), issue());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert!(matches(&a.hash(), a.as_str()));
        assert!(!matches(&a.hash(), b.as_str()));
        assert!(!matches(&a.hash(), ""));
        assert_eq!(format!("{a:?}"), "Token(..)");
        // SHA-256 of "abc", a published test vector.
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
