//! The Likewise mark: a heart (the like) circled by six dots (the replicas).
//! Inline SVG so it needs no request and inherits the theme's colours.

use leptos::prelude::*;

#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <g class="logo-ring">
                <circle cx="16" cy="2.8" r="2"></circle>
                <circle cx="27.4" cy="9.4" r="2"></circle>
                <circle cx="27.4" cy="22.6" r="2"></circle>
                <circle cx="16" cy="29.2" r="2"></circle>
                <circle cx="4.6" cy="22.6" r="2"></circle>
                <circle cx="4.6" cy="9.4" r="2"></circle>
            </g>
            <path
                class="logo-heart"
                d="M16 23.2s-7.2-4.3-7.2-9.3a3.9 3.9 0 0 1 7.2-2.1 3.9 3.9 0 0 1 7.2 2.1c0 5-7.2 9.3-7.2 9.3z"
            ></path>
        </svg>
    }
}
