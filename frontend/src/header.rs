//! The masthead: what this is, and the three numbers that tell the story at
//! a glance — how many likes were accepted (the truth every replica must
//! reach), how far apart the replicas are, and whether they agree.

use crate::connection::Connection;
use crate::logo::Logo;
use crate::status_pill::StatusPill;
use leptos::prelude::*;

#[component]
pub fn Header(conn: Connection, sim_now: Signal<f64>) -> impl IntoView {
    let sim = move |f: fn(&shared::sim::SimView) -> u64| {
        move || conn.frame.with(|r| r.as_ref().map(|r| f(&r.frame.sim).to_string()).unwrap_or_else(|| "—".into()))
    };
    let truth = sim(|s| s.truth.total);
    let divergence = sim(|s| s.divergence);
    let refused = move || conn.frame.with(|r| r.as_ref().map_or(0, |r| r.frame.sim.truth.refused));

    view! {
        <header class="masthead">
            <div class="brand">
                <a class="wordmark" href="/" title="Likewise: the public room">
                    <Logo/>
                    <span>"Likewise"</span>
                </a>
                <p class="tagline">
                    "One post. Six copies of its like counter, a planet apart. "
                    "Like it anywhere and watch the world catch up."
                </p>
            </div>
            <dl class="vitals">
                <div class="vital">
                    <dt>"Likes accepted"</dt>
                    <dd data-role="truth">{truth}</dd>
                    <span class="vital-note">
                        {move || match refused() {
                            0 => "the ground truth".to_owned(),
                            n => format!("ground truth · {n} refused"),
                        }}
                    </span>
                </div>
                <div class="vital">
                    <dt>"Divergence"</dt>
                    <dd data-role="divergence">{divergence}</dd>
                    <span class="vital-note">"highest − lowest count"</span>
                </div>
                <div class="vital vital-status">
                    <dt>"Replicas"</dt>
                    <dd>
                        <StatusPill conn sim_now/>
                    </dd>
                    <span class="vital-note">"all six the same?"</span>
                </div>
            </dl>
        </header>
    }
}
