//! People: who clicked. Each browser is an anonymous person — an id it
//! keeps in local storage, shown as a generated name ("Teal Otter") — so
//! that a set of likes can hold each person once, and a person can take
//! their like back.
//!
//! The id a browser sends is a short string; the simulation keys people by
//! a number derived from it ([`person_id`]). The name is derived from that
//! number, so the server and every browser show the same name for the same
//! person without sending names around (and nobody can pick a name).

use crate::crdt::PersonId;
use crate::region::RegionId;
use serde::{Deserialize, Serialize};

/// The person behind a click that came with no id (a room of sets counts
/// every anonymous click as this one person's).
pub const ANONYMOUS: PersonId = 0;

/// Shortest and longest id a browser may send.
pub const MIN_ID_LEN: usize = 8;
pub const MAX_ID_LEN: usize = 64;

/// Why a person id is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum BadPerson {
    #[error("a person id has {MIN_ID_LEN} to {MAX_ID_LEN} characters, this one {0}")]
    Length(usize),
    #[error("a person id is made of A-Z, a-z, 0-9, '_' and '-'")]
    Charset,
}

/// The person an id names: FNV-1a over the id, cut to 53 bits so that the
/// number survives a trip through JavaScript, and never [`ANONYMOUS`].
pub fn person_id(id: &str) -> Result<PersonId, BadPerson> {
    if !(MIN_ID_LEN..=MAX_ID_LEN).contains(&id.len()) {
        return Err(BadPerson::Length(id.chars().count()));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(BadPerson::Charset);
    }
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    Ok((hash & ((1 << 53) - 1)).max(1))
}

const COLOURS: [&str; 16] = [
    "Teal", "Amber", "Coral", "Indigo", "Olive", "Crimson", "Azure", "Ivory", "Jade", "Ochre", "Plum", "Sage", "Slate",
    "Ruby", "Saffron", "Cobalt",
];

const ANIMALS: [&str; 16] = [
    "Otter", "Heron", "Lynx", "Panda", "Falcon", "Gecko", "Marten", "Puffin", "Badger", "Koala", "Ibis", "Walrus",
    "Raven", "Tapir", "Wombat", "Yak",
];

/// The name shown for a person: "Teal Otter". 256 names, so two people may
/// share one; the avatar's colour and the id tell them apart.
pub fn name(person: PersonId) -> String {
    if person == ANONYMOUS {
        return "Anonymous".to_owned();
    }
    let colour = COLOURS[(person % 16) as usize];
    let animal = ANIMALS[((person >> 4) % 16) as usize];
    format!("{colour} {animal}")
}

/// The avatar's hue (0..360) for a person.
pub fn hue(person: PersonId) -> u32 {
    ((person >> 8) % 360) as u32
}

/// A person's default home region: the nearest one, guessed from the
/// browser's time zone name (`"Europe/Paris"`) and, when the name says
/// nothing useful, its offset from UTC in minutes (east positive). The
/// person can change it; this is only a first guess.
pub fn home_for_time_zone(tz: &str, utc_offset_min: i32) -> RegionId {
    const SOUTH_AMERICA: [&str; 12] = [
        "Sao_Paulo",
        "Argentina",
        "Buenos_Aires",
        "Santiago",
        "Montevideo",
        "Bogota",
        "Lima",
        "Caracas",
        "La_Paz",
        "Asuncion",
        "Recife",
        "Fortaleza",
    ];
    const SOUTH_ASIA: [&str; 12] = [
        "Kolkata",
        "Calcutta",
        "Karachi",
        "Dubai",
        "Dhaka",
        "Colombo",
        "Kathmandu",
        "Tashkent",
        "Riyadh",
        "Tehran",
        "Kabul",
        "Muscat",
    ];
    let id = match tz.split('/').next().unwrap_or("") {
        "Australia" | "Pacific" | "Antarctica" => "sydney",
        "America" | "US" | "Canada" | "Brazil" | "Chile" if SOUTH_AMERICA.iter().any(|c| mentions(tz, c)) => "saopaulo",
        "Brazil" | "Chile" => "saopaulo",
        "America" | "US" | "Canada" => "virginia",
        "Europe" | "Africa" | "Atlantic" => "frankfurt",
        "Asia" | "Indian" if SOUTH_ASIA.iter().any(|c| mentions(tz, c)) => "mumbai",
        "Indian" => "mumbai",
        "Asia" => "tokyo",
        _ => match utc_offset_min / 60 {
            h if h >= 10 => "sydney",
            h if h >= 7 => "tokyo",
            h if h >= 3 => "mumbai",
            h if h >= -1 => "frankfurt",
            h if h >= -3 => "saopaulo",
            _ => "virginia",
        },
    };
    RegionId::parse(id).unwrap_or(RegionId::from_index(0).expect("catalog is not empty"))
}

/// Whether `name` occurs in `tz`, as `tz.contains(name)`, compared byte
/// by byte: `str::contains` with a string links core's two-way substring
/// searcher into the page, for these few short names (docs/page-weight.md,
/// step 30).
fn mentions(tz: &str, name: &str) -> bool {
    tz.as_bytes().windows(name.len()).any(|w| w == name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_is_guessed_from_the_time_zone() {
        let home = |tz, off| home_for_time_zone(tz, off).id();
        assert_eq!(home("Europe/Paris", 60), "frankfurt");
        assert_eq!(home("America/New_York", -300), "virginia");
        assert_eq!(home("America/Argentina/Buenos_Aires", -180), "saopaulo");
        assert_eq!(home("Asia/Kolkata", 330), "mumbai");
        assert_eq!(home("Asia/Seoul", 540), "tokyo");
        assert_eq!(home("Australia/Sydney", 600), "sydney");
        assert_eq!(home("UTC", 0), "frankfurt");
        assert_eq!(home("Etc/GMT-9", 540), "tokyo");
    }

    #[test]
    fn ids_are_checked_and_stable() {
        let a = person_id("p_3kX9a0Qz").unwrap();
        assert_eq!(person_id("p_3kX9a0Qz"), Ok(a));
        assert_ne!(person_id("p_3kX9a0Qy").unwrap(), a);
        assert!(a < 1 << 53 && a != ANONYMOUS);
        assert_eq!(person_id("short"), Err(BadPerson::Length(5)));
        assert_eq!(person_id(&"x".repeat(65)), Err(BadPerson::Length(65)));
        assert_eq!(person_id("has space!"), Err(BadPerson::Charset));
        assert_eq!(name(ANONYMOUS), "Anonymous");
        assert_eq!(name(a).split(' ').count(), 2);
    }
}
