//! The world the demo runs in: a fixed catalog of regions and the one-way
//! latency of every link between them.
//!
//! Real links between data centres take tens to a couple of hundred
//! milliseconds, which a person cannot see. So the latencies here are derived
//! from real geography (great-circle distance) and then stretched, so that the
//! farthest pair takes about two seconds and the nearest a few hundred
//! milliseconds. Proportions stay true: Tokyo hears from Sydney long before it
//! hears from São Paulo. One knob, the *time scale*, stretches or shrinks every
//! link at once.
//!
//! To change the regions, edit [`CATALOG`]; to change how distance turns into
//! delay, edit [`LATENCY_BASE_MS`] and [`LATENCY_MS_PER_1000_KM`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A data-centre region that holds one replica of the like counter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Region {
    /// Stable, URL-safe id used on the wire and in test hooks (`data-region`).
    pub id: &'static str,
    /// The city the region is named after, shown big on its card.
    pub city: &'static str,
    /// The wider area, shown as a label ("Asia Pacific").
    pub area: &'static str,
    /// Two-letter country code, a compact badge for the UI.
    pub country: &'static str,
    /// Latitude in degrees, north positive (for distances and the map view).
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
}

/// Every region a room replicates to, in display order (roughly west to east
/// of the date line, so neighbours on screen are neighbours on the globe).
pub const CATALOG: [Region; 6] = [
    Region { id: "tokyo", city: "Tokyo", area: "Asia Pacific", country: "JP", lat: 35.68, lon: 139.69 },
    Region { id: "sydney", city: "Sydney", area: "Oceania", country: "AU", lat: -33.87, lon: 151.21 },
    Region { id: "mumbai", city: "Mumbai", area: "South Asia", country: "IN", lat: 19.08, lon: 72.88 },
    Region { id: "frankfurt", city: "Frankfurt", area: "Europe", country: "DE", lat: 50.11, lon: 8.68 },
    Region { id: "virginia", city: "Virginia", area: "North America", country: "US", lat: 38.95, lon: -77.45 },
    Region { id: "saopaulo", city: "São Paulo", area: "South America", country: "BR", lat: -23.55, lon: -46.63 },
];

/// Fixed cost of any hop (queueing, processing), in simulated milliseconds.
pub const LATENCY_BASE_MS: f64 = 250.0;
/// Added per 1000 km of great-circle distance. With the base above the
/// farthest pair in the catalog (Tokyo–São Paulo, ~18 500 km) takes ~1.9 s.
pub const LATENCY_MS_PER_1000_KM: f64 = 90.0;

/// Index of a region in [`CATALOG`]. Cheap to copy and to use as an array
/// index, which is how replicas, counters and links are stored.
///
/// On the wire it is the region's string id (`"tokyo"`), so messages stay
/// readable and do not depend on catalog order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(u8);

/// A region id that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region {0:?}; known regions are {known}", known = known_ids())]
pub struct UnknownRegion(pub String);

fn known_ids() -> String {
    CATALOG.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
}

impl RegionId {
    /// How many regions there are.
    pub const COUNT: usize = CATALOG.len();

    // Each region by name, for data written in the source (the guided
    // scenarios); the catalog order above is what they index.
    pub const TOKYO: RegionId = RegionId(0);
    pub const SYDNEY: RegionId = RegionId(1);
    pub const MUMBAI: RegionId = RegionId(2);
    pub const FRANKFURT: RegionId = RegionId(3);
    pub const VIRGINIA: RegionId = RegionId(4);
    pub const SAO_PAULO: RegionId = RegionId(5);

    /// All regions, in catalog order.
    pub fn all() -> impl Iterator<Item = RegionId> + Clone {
        (0..Self::COUNT as u8).map(RegionId)
    }

    /// The region at `index` in the catalog, if there is one.
    pub fn from_index(index: usize) -> Option<RegionId> {
        (index < Self::COUNT).then_some(RegionId(index as u8))
    }

    /// Looks a region up by its string id.
    pub fn parse(id: &str) -> Result<RegionId, UnknownRegion> {
        CATALOG
            .iter()
            .position(|r| r.id == id)
            .map(|i| RegionId(i as u8))
            .ok_or_else(|| UnknownRegion(id.chars().take(64).collect()))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub fn info(self) -> &'static Region {
        &CATALOG[self.index()]
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }
}

impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for RegionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for RegionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        RegionId::parse(&id).map_err(serde::de::Error::custom)
    }
}

/// Great-circle distance between two regions in kilometres (haversine).
pub fn distance_km(a: RegionId, b: RegionId) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (a, b) = (a.info(), b.info());
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// One-way delay of every directed link, in simulated milliseconds.
///
/// `matrix[a][b]` is the time a message sent by `a` takes to reach `b`; the
/// diagonal is zero. Links are symmetric by default, but stored directed so a
/// fault (or a later issue) can make one direction slower.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyMatrix(pub Vec<Vec<u32>>);

impl LatencyMatrix {
    /// Latencies from geography, multiplied by `time_scale` (1.0 = default;
    /// 0.5 = everything twice as fast; 4.0 = slow motion).
    pub fn from_geography(time_scale: f64) -> Self {
        let scale = if time_scale.is_finite() && time_scale > 0.0 { time_scale } else { 1.0 };
        let rows = RegionId::all()
            .map(|a| {
                RegionId::all()
                    .map(|b| {
                        if a == b {
                            0
                        } else {
                            let ms = LATENCY_BASE_MS + distance_km(a, b) / 1000.0 * LATENCY_MS_PER_1000_KM;
                            (ms * scale).round().max(1.0) as u32
                        }
                    })
                    .collect()
            })
            .collect();
        LatencyMatrix(rows)
    }

    pub fn get(&self, from: RegionId, to: RegionId) -> u32 {
        self.0[from.index()][to.index()]
    }

    /// The largest one-way delay of any link.
    pub fn max(&self) -> u32 {
        self.0.iter().flatten().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_rejected_clearly() {
        for r in RegionId::all() {
            assert_eq!(RegionId::parse(r.id()), Ok(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<RegionId>(&json).unwrap(), r);
        }
        let err = RegionId::parse("mars").unwrap_err();
        assert!(err.to_string().contains("unknown region \"mars\""), "{err}");
        assert!(err.to_string().contains("tokyo"), "{err}");
        assert!(serde_json::from_str::<RegionId>("\"mars\"").is_err());
    }

    #[test]
    fn catalog_ids_are_unique_and_url_safe() {
        for (i, a) in CATALOG.iter().enumerate() {
            assert!(a.id.bytes().all(|b| b.is_ascii_lowercase()), "{}", a.id);
            assert!(CATALOG[i + 1..].iter().all(|b| b.id != a.id), "duplicate {}", a.id);
        }
    }

    #[test]
    fn default_latencies_are_human_visible_and_follow_geography() {
        let m = LatencyMatrix::from_geography(1.0);
        let id = |s| RegionId::parse(s).unwrap();
        for a in RegionId::all() {
            assert_eq!(m.get(a, a), 0);
            for b in RegionId::all().filter(|&b| b != a) {
                let ms = m.get(a, b);
                assert!((300..=2000).contains(&ms), "{a}->{b} = {ms} ms");
                assert_eq!(ms, m.get(b, a), "symmetric by default");
            }
        }
        // Geography is kept in proportion: nearer is faster.
        assert!(m.get(id("tokyo"), id("sydney")) < m.get(id("tokyo"), id("saopaulo")));
        assert!(m.get(id("frankfurt"), id("virginia")) < m.get(id("frankfurt"), id("sydney")));
    }

    #[test]
    fn time_scale_stretches_every_link() {
        let one = LatencyMatrix::from_geography(1.0);
        let two = LatencyMatrix::from_geography(2.0);
        for a in RegionId::all() {
            for b in RegionId::all() {
                let (x, y) = (one.get(a, b) as i64, two.get(a, b) as i64);
                assert!((y - 2 * x).abs() <= 1, "{a}->{b}: {x} vs {y}");
            }
        }
        // Nonsense scales fall back to the default rather than producing zero or NaN delays.
        assert_eq!(LatencyMatrix::from_geography(f64::NAN), one);
        assert_eq!(LatencyMatrix::from_geography(-3.0), one);
    }
}
