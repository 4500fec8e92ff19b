//! Per-address limits: how much of the server one client address may take.
//!
//! A per-connection limit alone is no limit: anyone can open another
//! connection. So the expensive things are also counted per client address:
//!
//! - open WebSockets (`--max-connections-per-ip`), counted exactly with a
//!   slot that is given back when the connection ends;
//! - new private rooms (`--new-rooms-per-minute`): each is a task and a
//!   simulation that lives on for the room TTL after its last viewer
//!   (New room, an import, a scenario link, opening an unused `/r/{id}`,
//!   and a `fork` over the WebSocket alike);
//! - likes and controls (`--likes-per-second-per-ip`), on top of each
//!   connection's own budget (see `ws`), so a hundred tabs cannot flood a
//!   room a hundred times harder than one.
//!
//! The rates use the `governor` crate (GCRA: a token bucket without a timer
//! per key). Its keyed limiters keep one small state per address; a janitor
//! (see [`PerAddress::forget_idle`], run every minute by `serve`) drops the
//! states of addresses that are back to a full bucket, so memory follows the
//! *active* addresses, not every address ever seen.
//!
//! **Which address.** The peer address of the TCP connection, unless
//! `--trust-proxy` is set: then the last entry of `X-Forwarded-For`, the one
//! the reverse proxy itself appended (nginx: `$proxy_add_x_forwarded_for`).
//! Entries to its left were sent by the client and could be anything, so
//! they are never used. Only set `--trust-proxy` when the server is reachable
//! through the proxy alone (e.g. it listens on 127.0.0.1), or anyone could
//! pick their own address.
//!
//! **Which key.** An IPv4 address as is; an IPv6 address by its /64 prefix,
//! since one host or home usually owns a whole /64 and could otherwise rotate
//! through 2^64 "addresses"; an IPv4-mapped IPv6 address as the IPv4 one.

use axum::http::HeaderMap;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Limits per client address. Zero means "no limit" for the rates.
#[derive(Debug, Clone)]
pub struct AddressLimits {
    /// Most WebSockets open at once from one address.
    pub max_connections: u32,
    /// New private rooms one address may start per minute (the public room
    /// never counts).
    pub new_rooms_per_minute: u32,
    /// Likes and controls per second from one address, all its connections
    /// together; the burst is twice that.
    pub likes_per_second: u32,
}

impl Default for AddressLimits {
    fn default() -> Self {
        // 50 connections: a household or an office behind one NAT, many tabs
        // each. 20 new rooms a minute: far more than anyone presses "New
        // room". 100 likes a second: five people clicking as fast as the
        // per-connection limit allows.
        AddressLimits { max_connections: 50, new_rooms_per_minute: 20, likes_per_second: 100 }
    }
}

/// Why an address may not have more; the text is what the client is shown
/// (a WebSocket close reason, so it stays under 123 bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressRefusal {
    #[error("too many connections from your address (limit {0}); close some tabs and try again")]
    TooManyConnections(u32),
    #[error("too many new rooms from your address (limit {0} a minute); try again in a minute")]
    TooManyNewRooms(u32),
}

/// The counters and rate limiters for every client address.
#[derive(Debug)]
pub struct PerAddress {
    limits: AddressLimits,
    connections: Mutex<HashMap<IpAddr, u32>>,
    new_rooms: Option<DefaultKeyedRateLimiter<IpAddr>>,
    likes: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl PerAddress {
    pub fn new(limits: AddressLimits) -> Arc<PerAddress> {
        let new_rooms = NonZeroU32::new(limits.new_rooms_per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        let likes = NonZeroU32::new(limits.likes_per_second)
            .map(|n| RateLimiter::keyed(Quota::per_second(n).allow_burst(n.saturating_mul(TWO))));
        Arc::new(PerAddress { limits, connections: Mutex::default(), new_rooms, likes })
    }

    /// Takes one of `key`'s connection slots, given back when the returned
    /// slot is dropped.
    pub fn open_connection(self: &Arc<Self>, key: IpAddr) -> Result<ConnectionSlot, AddressRefusal> {
        let mut open = self.lock();
        let count = open.get(&key).copied().unwrap_or(0);
        if count >= self.limits.max_connections {
            return Err(AddressRefusal::TooManyConnections(self.limits.max_connections));
        }
        // Only addresses with a connection open have an entry.
        open.insert(key, count + 1);
        Ok(ConnectionSlot { per_address: Arc::clone(self), key })
    }

    /// Whether `key` may start one more private room now (and counts it).
    pub fn allow_new_room(&self, key: IpAddr) -> Result<(), AddressRefusal> {
        match &self.new_rooms {
            Some(limiter) if limiter.check_key(&key).is_err() => {
                Err(AddressRefusal::TooManyNewRooms(self.limits.new_rooms_per_minute))
            }
            _ => Ok(()),
        }
    }

    /// Whether `key` may send one more like or control now (and counts it).
    pub fn allow_like(&self, key: IpAddr) -> bool {
        self.likes.as_ref().is_none_or(|limiter| limiter.check_key(&key).is_ok())
    }

    pub fn limits(&self) -> &AddressLimits {
        &self.limits
    }

    /// How many addresses have a connection open.
    pub fn addresses_connected(&self) -> usize {
        self.lock().len()
    }

    /// Forgets rate-limit state that no longer limits anyone.
    pub fn forget_idle(&self) {
        for limiter in [&self.new_rooms, &self.likes].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        // Every critical section is one counter update: a panic cannot leave
        // the map half-changed, so a poisoned lock is safe to keep using.
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One open connection's claim on its address's connection budget, and its
/// way to the address's like budget.
#[derive(Debug)]
pub struct ConnectionSlot {
    per_address: Arc<PerAddress>,
    key: IpAddr,
}

impl ConnectionSlot {
    pub fn key(&self) -> IpAddr {
        self.key
    }

    /// Whether this connection's address may send one more like now.
    pub fn allow_like(&self) -> bool {
        self.per_address.allow_like(self.key)
    }

    /// The per-address like rate, for error messages.
    pub fn likes_per_second(&self) -> u32 {
        self.per_address.limits.likes_per_second
    }

    /// Whether this connection's address may start one more private room
    /// now (and counts it): a `fork` starts one, just like New room.
    pub fn allow_new_room(&self) -> Result<(), AddressRefusal> {
        self.per_address.allow_new_room(self.key)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.per_address.lock();
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The client's address: the TCP peer, or with `trust_proxy` the address
/// the proxy appended last to `X-Forwarded-For` (see the module doc).
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty());
        if let Some(ip) = last.and_then(parse_forwarded) {
            return ip;
        }
    }
    peer.ip()
}

fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The key limits are counted under (see the module doc).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

const TWO: NonZeroU32 = NonZeroU32::new(2).unwrap();

/// How often `serve` runs [`PerAddress::forget_idle`].
pub const JANITOR_PERIOD: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn connection_slots_are_counted_and_given_back() {
        let per = PerAddress::new(AddressLimits { max_connections: 2, ..AddressLimits::default() });
        let a = per.open_connection(ip("10.0.0.1")).unwrap();
        let _b = per.open_connection(ip("10.0.0.1")).unwrap();
        assert_eq!(per.open_connection(ip("10.0.0.1")).unwrap_err(), AddressRefusal::TooManyConnections(2));
        let _other = per.open_connection(ip("10.0.0.2")).expect("another address has its own budget");
        drop(a);
        let _c = per.open_connection(ip("10.0.0.1")).expect("a closed connection gives its slot back");
        drop((_b, _c, _other));
        assert_eq!(per.addresses_connected(), 0, "no entry left behind");
        let none = PerAddress::new(AddressLimits { max_connections: 0, ..AddressLimits::default() });
        assert!(none.open_connection(ip("10.0.0.1")).is_err());
        assert_eq!(none.addresses_connected(), 0, "a refusal leaves no entry either");
    }

    #[test]
    fn new_rooms_and_likes_are_rate_limited_per_address() {
        let per = PerAddress::new(AddressLimits { max_connections: 1, new_rooms_per_minute: 3, likes_per_second: 5 });
        let a = ip("10.0.0.1");
        assert!((0..3).all(|_| per.allow_new_room(a).is_ok()));
        assert_eq!(per.allow_new_room(a), Err(AddressRefusal::TooManyNewRooms(3)));
        assert!(per.allow_new_room(ip("10.0.0.2")).is_ok());
        // The burst is twice the rate.
        assert_eq!((0..50).filter(|_| per.allow_like(a)).count(), 10);
        per.forget_idle();
        let unlimited =
            PerAddress::new(AddressLimits { max_connections: 1, new_rooms_per_minute: 0, likes_per_second: 0 });
        assert!((0..1000).all(|_| unlimited.allow_like(a) && unlimited.allow_new_room(a).is_ok()));
    }

    #[test]
    fn the_proxy_address_is_used_only_when_trusted() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        assert_eq!(client_ip(peer, &headers, false), ip("127.0.0.1"));
        // The rightmost entry: the one the proxy appended, not the client's.
        assert_eq!(client_ip(peer, &headers, true), ip("203.0.113.7"));
        headers.append("x-forwarded-for", "[2001:db8::1]:4711".parse().unwrap());
        assert_eq!(client_ip(peer, &headers, true), ip("2001:db8::1"));
        let mut junk = HeaderMap::new();
        junk.append("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_ip(peer, &junk, true), ip("127.0.0.1"), "unparsable: the peer");
    }

    #[test]
    fn ipv6_is_keyed_by_its_64_prefix() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
