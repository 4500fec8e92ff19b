//! Geometry of the "messages in flight" map: where a region sits on screen,
//! which curve a message follows, and how far along it is at a given time.
//!
//! The map is an equirectangular projection (one unit of longitude is one
//! of latitude, so the land outlines look as people know them) cropped to
//! the longitudes and latitudes the regions span, so the six cities use
//! the whole width. The land itself is a path in `index.html` (see
//! `scripts/make-land.mjs`), in quarter degrees; [`land_transform`] puts it
//! onto this crop. Each *directed* link gets its own
//! lane, a curve bowing to the left of the direction of travel, so traffic
//! Tokyo → Frankfurt and Frankfurt → Tokyo never overlap and a viewer can
//! tell which way a dot is going. Pure maths, unit-tested natively.

use crate::format::fixed;

/// The crop of the world the map shows, in degrees. Chosen to frame the
/// catalog (Virginia at −77° to Sydney at 151°, São Paulo at −24° to
/// Frankfurt at 50°) with room for labels, and wide enough for a desktop
/// screen: about 2.6 : 1.
const LON_WEST: f64 = -128.0;
const LON_EAST: f64 = 178.0;
const LAT_NORTH: f64 = 66.0;
const LAT_SOUTH: f64 = -50.0;

/// The SVG user-space size of the map (its `viewBox`); the height keeps a
/// degree of latitude as long as one of longitude.
pub const MAP_W: f64 = 1000.0;
pub const MAP_H: f64 = MAP_W * (LAT_NORTH - LAT_SOUTH) / (LON_EAST - LON_WEST);

/// Map units per degree.
const SCALE: f64 = MAP_W / (LON_EAST - LON_WEST);

/// The SVG `transform` that puts the land path (quarter degrees, y = −4·lat)
/// onto this map's crop.
pub fn land_transform() -> String {
    let (k, tx, ty) = land_matrix();
    let (k, tx, ty) = (fixed(k, 5), fixed(tx, 2), fixed(ty, 2));
    format!("matrix({k} 0 0 {k} {tx} {ty})")
}

/// Scale and translation of [`land_transform`]: x = k·u + tx, y = k·v + ty.
fn land_matrix() -> (f64, f64, f64) {
    (SCALE / 4.0, -LON_WEST * SCALE, LAT_NORTH * SCALE)
}

/// A point in map coordinates (SVG user units, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Where a latitude/longitude lands on the strip.
pub fn project(lat: f64, lon: f64) -> Point {
    Point {
        x: (lon - LON_WEST) / (LON_EAST - LON_WEST) * MAP_W,
        y: (LAT_NORTH - lat) / (LAT_NORTH - LAT_SOUTH) * MAP_H,
    }
}

/// The graticule lines to draw behind the regions: meridians and parallels
/// every 30°, as `(x1, y1, x2, y2, is_equator)`.
pub fn graticule() -> Vec<(f64, f64, f64, f64, bool)> {
    let meridians = (-120..=150).step_by(30).map(|lon| {
        let top = project(LAT_NORTH, f64::from(lon));
        let bottom = project(LAT_SOUTH, f64::from(lon));
        (top.x, top.y, bottom.x, bottom.y, false)
    });
    let parallels = (-30..=60).step_by(30).map(|lat| {
        let west = project(f64::from(lat), LON_WEST);
        let east = project(f64::from(lat), LON_EAST);
        (west.x, west.y, east.x, east.y, lat == 0)
    });
    meridians.chain(parallels).collect()
}

/// The regions from west to east: the order of the cards under the map
/// (each sits roughly under its city) and of the keys 1–6.
pub fn west_to_east() -> Vec<shared::region::RegionId> {
    let mut ids: Vec<_> = shared::region::RegionId::all().collect();
    crate::sort::sort_by_key(&mut ids, |id| crate::sort::f64_key(id.info().lon));
    ids
}

/// A quadratic Bézier curve: the lane one directed link's messages travel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lane {
    pub from: Point,
    pub control: Point,
    pub to: Point,
}

impl Lane {
    /// The lane from `from` to `to`, bowing to the left of travel by a
    /// fraction of its length (capped, so the longest links stay on the map).
    pub fn between(from: Point, to: Point) -> Lane {
        let (dx, dy) = (to.x - from.x, to.y - from.y);
        let len = dx.hypot(dy);
        let mid = Point { x: (from.x + to.x) / 2.0, y: (from.y + to.y) / 2.0 };
        if len < f64::EPSILON {
            return Lane { from, control: mid, to };
        }
        let bow = (len * 0.18).min(MAP_W * 0.075);
        // With y pointing down, (dy, -dx) is the left-hand normal of (dx, dy).
        let control = Point { x: mid.x + dy / len * bow, y: mid.y - dx / len * bow };
        Lane { from, control, to }
    }

    /// The point a fraction `t` (0 = origin, 1 = destination) along the lane.
    pub fn at(&self, t: f64) -> Point {
        let t = t.clamp(0.0, 1.0);
        let u = 1.0 - t;
        Point {
            x: u * u * self.from.x + 2.0 * u * t * self.control.x + t * t * self.to.x,
            y: u * u * self.from.y + 2.0 * u * t * self.control.y + t * t * self.to.y,
        }
    }

    /// SVG path data for the lane.
    pub fn path(&self) -> String {
        format!(
            "M{} {} Q{} {} {} {}",
            fixed(self.from.x, 1),
            fixed(self.from.y, 1),
            fixed(self.control.x, 1),
            fixed(self.control.y, 1),
            fixed(self.to.x, 1),
            fixed(self.to.y, 1)
        )
    }
}

/// The point halfway along the straight line from `a` to `b`: where the
/// map puts the handle that cuts or heals the link between two regions.
pub fn midpoint(a: Point, b: Point) -> Point {
    Point { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 }
}

/// How far a message sent at `sent_at` and due at `arrive_at` has travelled
/// by `now` (all in simulated ms), from 0 to 1. Clamped: a message the
/// server still lists waits at its destination rather than overshooting, so
/// the picture never shows an arrival the server has not reported.
pub fn progress(now: f64, sent_at: u64, arrive_at: u64) -> f64 {
    if arrive_at <= sent_at {
        return 1.0;
    }
    ((now - sent_at as f64) / (arrive_at - sent_at) as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::region::CATALOG;

    fn close(a: Point, b: Point) -> bool {
        (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9
    }

    #[test]
    fn every_region_is_inside_the_map_with_room_for_a_label() {
        for r in CATALOG {
            let p = project(r.lat, r.lon);
            assert!((30.0..=MAP_W - 30.0).contains(&p.x), "{} x={}", r.id, p.x);
            assert!((20.0..=MAP_H - 20.0).contains(&p.y), "{} y={}", r.id, p.y);
        }
    }

    #[test]
    fn land_units_land_where_the_projection_puts_them() {
        let (k, tx, ty) = land_matrix();
        for (lat, lon) in [(0.0, 0.0), (35.68, 139.69), (-23.55, -46.63)] {
            let p = project(lat, lon);
            let (u, v) = (4.0 * lon, -4.0 * lat);
            assert!(close(p, Point { x: k * u + tx, y: k * v + ty }), "{lat},{lon}");
        }
    }

    #[test]
    fn cards_run_from_virginia_to_sydney() {
        let order: Vec<&str> = west_to_east().iter().map(|r| r.id()).collect();
        assert_eq!(order, ["virginia", "saopaulo", "frankfurt", "mumbai", "tokyo", "sydney"]);
    }

    #[test]
    fn projection_keeps_compass_directions() {
        let frankfurt = project(50.11, 8.68);
        let sydney = project(-33.87, 151.21);
        assert!(sydney.x > frankfurt.x, "east is right");
        assert!(sydney.y > frankfurt.y, "south is down");
    }

    #[test]
    fn lanes_start_and_end_at_their_regions() {
        let (a, b) = (Point { x: 10.0, y: 100.0 }, Point { x: 410.0, y: 100.0 });
        let lane = Lane::between(a, b);
        assert!(close(lane.at(0.0), a));
        assert!(close(lane.at(1.0), b));
        assert!(close(lane.at(-1.0), a), "clamped");
        assert!(close(lane.at(2.0), b), "clamped");
    }

    #[test]
    fn opposite_directions_use_opposite_lanes() {
        let (a, b) = (Point { x: 10.0, y: 100.0 }, Point { x: 410.0, y: 100.0 });
        let east = Lane::between(a, b).at(0.5);
        let west = Lane::between(b, a).at(0.5);
        assert!(east.y < 100.0, "eastbound bows north (left of travel)");
        assert!(west.y > 100.0, "westbound bows south");
    }

    #[test]
    fn degenerate_lane_does_not_produce_nan() {
        let p = Point { x: 5.0, y: 5.0 };
        let lane = Lane::between(p, p);
        assert!(close(lane.at(0.3), p));
    }

    #[test]
    fn progress_is_linear_in_time_and_clamped() {
        assert_eq!(progress(1_000.0, 1_000, 2_000), 0.0);
        assert_eq!(progress(1_500.0, 1_000, 2_000), 0.5);
        assert_eq!(progress(2_500.0, 1_000, 2_000), 1.0);
        assert_eq!(progress(500.0, 1_000, 2_000), 0.0);
        assert_eq!(progress(500.0, 2_000, 2_000), 1.0);
    }
}
