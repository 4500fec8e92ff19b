//! Geometry of the "messages in flight" map: where a region sits on screen,
//! which curve a message follows, and how far along it is at a given time.
//!
//! The map is a schematic strip, not a cartographic map: an equirectangular
//! projection cropped to the longitudes and latitudes the regions span, so
//! the six cities use the whole width. Each *directed* link gets its own
//! lane, a curve bowing to the left of the direction of travel, so traffic
//! Tokyo → Frankfurt and Frankfurt → Tokyo never overlap and a viewer can
//! tell which way a dot is going. Pure maths, unit-tested natively.

/// The SVG user-space size of the map (its `viewBox`).
pub const MAP_W: f64 = 720.0;
pub const MAP_H: f64 = 300.0;

/// The crop of the world the strip shows, in degrees. Chosen to frame the
/// catalog (Virginia at −77° to Sydney at 151°, São Paulo at −24° to
/// Frankfurt at 50°) with room for labels.
const LON_WEST: f64 = -105.0;
const LON_EAST: f64 = 178.0;
const LAT_NORTH: f64 = 68.0;
const LAT_SOUTH: f64 = -52.0;

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
    let meridians = (-90..=150).step_by(30).map(|lon| {
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
        let bow = (len * 0.18).min(56.0);
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
            "M{:.1} {:.1} Q{:.1} {:.1} {:.1} {:.1}",
            self.from.x, self.from.y, self.control.x, self.control.y, self.to.x, self.to.y
        )
    }
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
