//! The link delays, as a heat-shaded matrix plus the one line most people
//! want from it: the slowest and the fastest link.
//!
//! The delays come from the snapshot (`latency_ms`), not from the catalog
//! compiled into this page, so a server that stretches time (its *time
//! scale*) is shown as it really runs. The wire data is read defensively: a
//! short row shows as a gap, never a crash.

use crate::app::Conn;
use crate::format::{duration, fixed};
use leptos::prelude::*;
use shared::region::{LatencyMatrix, RegionId};

/// A directed link and its one-way delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub from: RegionId,
    pub to: RegionId,
    pub ms: u32,
}

/// One delay, if the matrix has it.
fn delay(m: &LatencyMatrix, from: RegionId, to: RegionId) -> Option<u32> {
    m.0.get(from.index()).and_then(|row| row.get(to.index())).copied()
}

/// The slowest and the fastest link between two different regions.
pub fn extremes(m: &LatencyMatrix) -> Option<(Link, Link)> {
    let links = RegionId::all()
        .flat_map(|from| RegionId::all().map(move |to| (from, to)))
        .filter(|(from, to)| from != to)
        .filter_map(|(from, to)| delay(m, from, to).map(|ms| Link { from, to, ms }));
    let mut extremes: Option<(Link, Link)> = None;
    for link in links {
        extremes = Some(match extremes {
            None => (link, link),
            Some((slow, fast)) => {
                (if link.ms > slow.ms { link } else { slow }, if link.ms < fast.ms { link } else { fast })
            }
        });
    }
    extremes
}

#[component]
pub fn LatencyTable(conn: Conn) -> impl IntoView {
    // The base delays, with the links someone set by hand (the lab's "One
    // link") written over them, so the table shows what the room runs.
    let matrix = Memo::new(move |_| {
        let mut m = conn.room.with(|r| r.as_ref().map(|r| r.latency_ms.clone()))?;
        // The frame's custom links read in place, not copied out first.
        let edited = conn.frame.with(|f| {
            let custom = f.as_ref().map_or(&[][..], |f| &f.frame.sim.faults.custom[..]);
            custom
                .iter()
                .filter_map(|s| {
                    let cell = m.0.get_mut(s.link.from.index())?.get_mut(s.link.to.index())?;
                    *cell = s.conditions.latency_ms;
                    Some((s.link.from, s.link.to))
                })
                .collect::<Vec<_>>()
        });
        Some((m, edited))
    });
    view! {{move || match matrix.get() {
        None => view! { <p class="muted">"Link delays arrive with the first snapshot."</p> }.into_any(),
        Some((m, edited)) => view! { <Matrix m edited/> }.into_any(),
    }}}
}

#[component]
fn Matrix(m: LatencyMatrix, edited: Vec<(RegionId, RegionId)>) -> impl IntoView {
    let note = (!edited.is_empty()).then_some(" Outlined cells were set by hand.");
    let is_edited = |from: RegionId, to: RegionId| edited.contains(&(from, to));
    let max = f64::from(m.max().max(1));
    let summary = extremes(&m).map(|(slow, fast)| {
        format!(
            "Slowest link: {} → {}, {} one way. Fastest: {} → {}, {}.",
            slow.from.info().city,
            slow.to.info().city,
            duration(slow.ms.into()),
            fast.from.info().city,
            fast.to.info().city,
            duration(fast.ms.into()),
        )
    });
    let header = RegionId::all()
        .map(|r| view! { <th scope="col" title=r.info().city>{r.info().country}</th> })
        .map(IntoAny::into_any)
        .collect::<Vec<_>>();
    let rows = RegionId::all()
        .map(|from| {
            let cells = RegionId::all()
                .map(|to| match delay(&m, from, to) {
                    _ if from == to => view! { <td class="self">"·"</td> }.into_any(),
                    None => view! { <td>"?"</td> }.into_any(),
                    Some(ms) => {
                        let heat = format!("--heat:{}", fixed(f64::from(ms) / max, 2));
                        let hand = if is_edited(from, to) { " (set by hand)" } else { "" };
                        let title = format!("{} → {}: {} ms{hand}", from.info().city, to.info().city, ms);
                        view! {
                            <td style=heat title=title class:edited=is_edited(from, to)>
                                {fixed(f64::from(ms) / 1000.0, 1)}
                            </td>
                        }
                        .into_any()
                    }
                })
                .map(IntoAny::into_any)
                .collect::<Vec<_>>();
            view! {
                <tr>
                    <th scope="row" title=from.info().city>{from.info().city}</th>
                    {cells}
                </tr>
            }
        })
        .map(IntoAny::into_any)
        .collect::<Vec<_>>();
    view! {
        <p class="latency-summary" data-role="slowest-link">{summary}</p>
        <div class="table-scroll">
            <table class="latency">
                <caption>"One-way delay in seconds: rows send, columns receive." {note}</caption>
                <thead>
                    <tr>
                        <th scope="col"><span class="visually-hidden">"From"</span></th>
                        {header}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_slowest_and_fastest_links() {
        let m = LatencyMatrix::from_geography(1.0);
        let (slow, fast) = extremes(&m).unwrap();
        let id = |s| RegionId::parse(s).unwrap();
        // The farthest pair in the catalog, per shared::region's docs.
        assert_eq!((slow.from, slow.to), (id("tokyo"), id("saopaulo")));
        assert_eq!(slow.ms, m.max());
        assert!(fast.ms < slow.ms && fast.ms > 0);
    }

    #[test]
    fn malformed_matrices_do_not_panic() {
        assert_eq!(extremes(&LatencyMatrix(vec![])), None);
        let (slow, fast) = extremes(&LatencyMatrix(vec![vec![0, 7]])).unwrap();
        assert_eq!((slow.ms, fast.ms), (7, 7));
    }
}
