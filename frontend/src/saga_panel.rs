//! Super likes: your wallet, and the room's recent sagas as rows of steps.
//!
//! A super like is a saga (see `shared::sim::sagas`): debit a coin in
//! Virginia, record the super like in Frankfurt, pay the author in São
//! Paulo. Each row shows the three steps as the orchestrator's log has
//! them — pending, done, failed, compensated (undone) or skipped — so a
//! failure and the compensations that follow it read left to right.
//! Kept to one small list: the verdict panel holds the money figures.

use crate::app::Conn;
use crate::me::Me;
use leptos::prelude::*;
use shared::saga::{Action, StepState, OPENING_COINS};
use shared::sim::{SagaRow, SagasView};

/// Rows shown: the newest few (the verdict counts them all).
const ROWS: usize = 6;

#[component]
pub fn SagaPanel(conn: Conn, me: Me) -> impl IntoView {
    let sagas = conn.select(|s| s.sagas.clone());
    let durable = conn.select(|s| s.faults.durable);
    let coins = move || {
        sagas.with(|s| {
            let wallets = s.as_ref().and_then(|s| s.as_ref()).map(|s| s.wallets.clone()).unwrap_or_default();
            wallets.iter().find(|(p, _)| *p == me.id).map_or(OPENING_COINS, |w| w.1)
        })
    };
    // The rows as markup, in one node: a list that changes a few times a
    // second gains nothing from a reactive view per row, and costs page
    // weight. Only enum labels, city names and generated names go in (see
    // `row_html`), never text a person typed.
    let rows = move || sagas.with(|s| s.as_ref().and_then(|s| s.as_ref()).map(rows_html).unwrap_or_default());
    view! {
        <section class="panel sagas" data-role="sagas" aria-labelledby="sagas-title">
            <div class="panel-head">
                <h2 id="sagas-title">"Super likes"</h2>
                <span class="panel-sub muted">"1 coin each: debit in Virginia → record in Frankfurt → pay the author in São Paulo"</span>
            </div>
            <p class="wallet" data-role="wallet" data-coins=move || coins().to_string()>
                <span class="coin" aria-hidden="true">"¢"</span>
                {move || match coins() {
                    1 => "Your wallet: 1 coin".to_owned(),
                    n => format!("Your wallet: {n} coins"),
                }}
            </p>
            <p class="saga-log-note muted" data-role="saga-log">
                {move || if durable.get().unwrap_or(true) {
                    "Saga log durable: an orchestrator that crashes resumes its sagas when it restarts."
                } else {
                    "Saga log volatile: a crash forgets the sagas its region runs; a coin already debited stays stranded."
                }}
            </p>
            <ol class="saga-list" inner_html=move || rows()></ol>
        </section>
    }
}

/// The newest rows, as list items.
fn rows_html(view: &SagasView) -> String {
    view.rows.iter().take(ROWS).map(row_html).collect()
}

fn row_html(row: &SagaRow) -> String {
    let steps: String = [Action::Debit, Action::Record, Action::Credit]
        .into_iter()
        .zip(row.steps)
        .map(|(a, s)| {
            let (state, mark) = match s {
                StepState::Pending => ("pending", "…"),
                StepState::Done => ("done", "✓"),
                StepState::Failed => ("failed", "✗"),
                StepState::Compensated => ("compensated", "↺"),
                StepState::Skipped => ("skipped", "–"),
            };
            let name = a.label();
            format!(r#"<span class="saga-step" data-step="{state}" title="{name}: {state}">{name} {mark}</span>"#)
        })
        .collect();
    let why = match (row.state.as_str(), row.failed_by.as_deref(), row.now) {
        ("running", _, Some(now)) => format!("sending {}", now.label()),
        ("stranded", _, _) => "forgotten in a crash".to_owned(),
        (state, Some(by), _) => format!("{state} ({by})"),
        (state, None, _) => state.to_owned(),
    };
    // The state is one of four fixed words (see `SagaRow::state`).
    let state = match row.state.as_str() {
        s @ ("running" | "done" | "compensated" | "stranded") => s,
        _ => "running",
    };
    format!(
        r#"<li class="saga" data-role="saga" data-state="{state}"><span class="saga-who">{} · {}</span><span class="saga-steps">{steps}</span><span class="saga-state">{why}</span></li>"#,
        shared::people::name(row.person),
        row.region.info().city,
    )
}

/// The lab switch that closes the author's payouts, forcing every credit
/// to fail (and every super like to compensate).
#[component]
pub fn PayoutsSwitch(conn: Conn, lab: crate::lab::Lab) -> impl IntoView {
    let open = conn.select(|s| s.sagas.as_ref().is_none_or(|s| s.payouts_open));
    let is_open = move || open.get().unwrap_or(true);
    view! {
        <div class="knob-row payouts">
            <span class="knob-label">"Author's payouts"</span>
            <button
                class="tool"
                data-role="payouts"
                data-open=move || is_open().to_string()
                aria-pressed=move || (!is_open()).to_string()
                disabled=move || !lab.usable()
                title="Closed, every super like's last step (pay the author) fails and the saga compensates"
                on:click=move |_| lab.send(shared::protocol::ClientMessage::SetPayouts { open: !is_open() })
            >
                {move || if is_open() { "Open · close them" } else { "Closed · open them" }}
            </button>
        </div>
    }
}
