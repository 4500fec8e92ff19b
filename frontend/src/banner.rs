//! Page-level notices that replace or sit above the normal view: the app is
//! out of date, or the link does not name a room.

use crate::connection::Status;
use crate::route::BadRoute;
use leptos::prelude::*;

/// Shown when the server speaks a newer protocol: this page would misread
/// its frames, so it stops and asks for a reload rather than guessing.
#[component]
pub fn OutdatedBanner(status: ReadSignal<Status>) -> impl IntoView {
    // Written inside `view!` so the erased build compiles this closure as
    // the page's shared reactive-closure type (docs/page-weight.md).
    view! {{move || {
        matches!(status.get(), Status::Outdated { .. }).then(|| {
            view! {
                <div class="banner" role="alert" data-role="outdated">
                    <span>"Likewise was updated — reload to get the new version."</span>
                    <button class="button button-primary" on:click=move |_| drop(window().location().reload())>
                        "Reload"
                    </button>
                </div>
            }
            .into_any()
        })
    }}}
}

/// The whole page when the address names no room.
#[component]
pub fn BadLink(route: BadRoute) -> impl IntoView {
    let detail = match route {
        BadRoute::BadRoomId(id) => format!(
            "“{}” is not a room id. Room ids are 1 to 64 letters, digits, “-” or “_”.",
            id.chars().take(80).collect::<String>()
        ),
        BadRoute::UnknownPath(path) => {
            format!("There is nothing at “{}”.", path.chars().take(80).collect::<String>())
        }
    };
    view! {
        <main class="bad-link" data-role="bad-room">
            <h1>"This link does not lead to a room"</h1>
            <p>{detail}</p>
            <p>
                <a class="button button-primary" href="/">"Go to the public room"</a>
            </p>
        </main>
    }
}
