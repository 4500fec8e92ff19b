//! The masthead: what this is, and the three numbers that tell the story at
//! a glance — how many likes were accepted (the truth every replica must
//! reach), how far apart the replicas are, and the room's one status (see
//! [`crate::status_pill`]): settling, or settled right or wrong.

use crate::app::Conn;
use crate::logo::Logo;
use crate::selection::Selection;
use crate::status_pill::StatusPill;
use leptos::prelude::*;

#[component]
pub fn Header(conn: Conn, sim_now: Signal<f64>) -> impl IntoView {
    let truth = conn.select(|s| s.truth.total);
    let divergence = conn.select(|s| s.divergence);
    let refused = conn.select(|s| s.truth.refused);
    let number = |m: Selection<u64>| move || m.get().map_or_else(|| "—".to_owned(), |n| n.to_string());

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
                    <dd data-role="truth">{number(truth)}</dd>
                    // A note is a second `dd` of its term: a `dl` may hold
                    // nothing else (axe's definition-list rule).
                    <dd class="vital-note">
                        {move || match refused.get().unwrap_or(0) {
                            0 => "the ground truth".to_owned(),
                            n => format!("ground truth · {n} refused"),
                        }}
                    </dd>
                </div>
                <div class="vital">
                    <dt>"Divergence"</dt>
                    <dd data-role="divergence">{number(divergence)}</dd>
                    <dd class="vital-note">"highest − lowest count"</dd>
                </div>
                <div class="vital vital-status">
                    <dt>"Status"</dt>
                    <dd>
                        <StatusPill conn sim_now/>
                    </dd>
                    <dd class="vital-note">"judged against the ground truth"</dd>
                </div>
            </dl>
        </header>
    }
}
