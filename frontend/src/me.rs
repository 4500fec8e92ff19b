//! This browser's person: an anonymous id kept in local storage, the name
//! and avatar derived from it, and a home region.
//!
//! The id never leaves this browser except in `like`, `unlike` and `hello`
//! messages; the server and every other page derive the same name from it
//! ([`shared::people::name`]), so nobody picks or sends a name. The home
//! region starts as the nearest one by the browser's time zone
//! ([`shared::people::home_for_time_zone`]) and is the person's to change;
//! it is where the like button asks "do I like this post?".

use leptos::prelude::*;
use shared::crdt::PersonId;
use shared::people::{home_for_time_zone, person_id};
use shared::region::RegionId;

const ID_KEY: &str = "likewise.person";
const HOME_KEY: &str = "likewise.home";

/// The person at this browser. `Copy` and one pointer wide, like
/// [`crate::app::Conn`] and [`crate::lab::Lab`]: a closure over `me` copies
/// one word, not the three parts (see `Conn` for why that matters).
#[derive(Clone, Copy)]
pub struct Me(&'static Person);

/// What [`Me`] points to; its fields read through it (`me.id`).
pub struct Person {
    /// The id as sent on the wire.
    pub key: StoredValue<String>,
    /// The number the simulation knows the person by.
    pub id: PersonId,
    pub home: RwSignal<RegionId>,
}

impl Me {
    /// The person stored in this browser, or a new one (stored at once, so
    /// a reload is the same person).
    pub fn load() -> Me {
        let storage = window().local_storage().ok().flatten();
        let stored = storage.as_ref().and_then(|s| s.get_item(ID_KEY).ok().flatten());
        let (key, id) = match stored.as_deref().map(|k| (k, person_id(k))) {
            Some((k, Ok(id))) => (k.to_owned(), id),
            _ => {
                let key = new_key();
                if let Some(s) = &storage {
                    let _ = s.set_item(ID_KEY, &key);
                }
                let id = person_id(&key).unwrap_or(1);
                (key, id)
            }
        };
        let home = storage
            .as_ref()
            .and_then(|s| s.get_item(HOME_KEY).ok().flatten())
            .and_then(|h| RegionId::parse(&h).ok())
            .unwrap_or_else(guess_home);
        // Leaked on purpose: made once per page, used until it unloads.
        Me(Box::leak(Box::new(Person { key: StoredValue::new(key), id, home: RwSignal::new(home) })))
    }
}

impl std::ops::Deref for Me {
    type Target = Person;
    fn deref(&self) -> &Person {
        self.0
    }
}

impl Person {
    /// Moves the person's home (remembered for next time).
    pub fn set_home(&self, home: RegionId) {
        if let Some(s) = window().local_storage().ok().flatten() {
            let _ = s.set_item(HOME_KEY, home.id());
        }
        self.home.set(home);
    }
}

/// "p_" and 16 random base-36 characters.
fn new_key() -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let tail: String = (0..16)
        .map(|_| DIGITS[(js_sys::Math::random() * DIGITS.len() as f64) as usize % DIGITS.len()] as char)
        .collect();
    format!("p_{tail}")
}

/// The nearest region by the browser's time zone.
fn guess_home() -> RegionId {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    let tz = js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    // `getTimezoneOffset` counts minutes *west* of UTC.
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    home_for_time_zone(&tz, offset)
}
