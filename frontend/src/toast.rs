//! Small, self-dismissing notices for input the server refused (a like too
//! many, a region that cannot take writes). They explain without
//! interrupting: the connection and the room carry on, so nothing here
//! needs a click.

use crate::connection::Notice;
use crate::format::notice_title;
use crate::keyed_list::keyed_list;
use leptos::prelude::*;
use shared::protocol::ErrorCode;
use std::time::Duration;

/// How long a notice stays up; the CSS fade-out is timed to end with it.
const VISIBLE: Duration = Duration::from_millis(4_000);
/// Beyond this many, the oldest goes first: a burst of refusals should not
/// bury the page.
const MAX_VISIBLE: usize = 3;

#[component]
pub fn Toaster(notice: ReadSignal<Option<Notice>>) -> impl IntoView {
    let toasts = RwSignal::new(Vec::<Notice>::new());
    Effect::new(move |_| {
        let Some(n) = notice.get() else { return };
        let serial = n.serial;
        toasts.update(|t| {
            t.push(n);
            if t.len() > MAX_VISIBLE {
                t.remove(0);
            }
        });
        set_timeout(
            move || {
                toasts.try_update(|t| t.retain(|x| x.serial != serial));
            },
            VISIBLE,
        );
    });
    view! {
        <div class="toasts" role="status" aria-live="polite">
            {keyed_list(move || toasts.get(), |n| n.serial, |n| view! {
                <div class="toast" data-role="toast" data-code=code_name(n.code)>
                    <strong>
                        {notice_title(n.code)}
                        {(n.count > 1).then(|| format!(" ×{}", n.count))}
                    </strong>
                    <span>{n.message}</span>
                </div>
            }.into_any())}
        </div>
    }
}

/// The refusal's code as the toast's `data-code` names it: the variant's
/// name, as `{:?}` wrote it before. Spelled out rather than formatted with
/// `Debug`, whose machinery the page would otherwise link for this alone
/// (docs/page-weight.md); a new code fails to compile here.
fn code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadMessage => "BadMessage",
        ErrorCode::TooLarge => "TooLarge",
        ErrorCode::BinaryFrame => "BinaryFrame",
        ErrorCode::UnknownRegion => "UnknownRegion",
        ErrorCode::RateLimited => "RateLimited",
        ErrorCode::Refused => "Refused",
        ErrorCode::RoomUnavailable => "RoomUnavailable",
        ErrorCode::Locked => "Locked",
        ErrorCode::InvalidValue => "InvalidValue",
        ErrorCode::Storage => "Storage",
        ErrorCode::BadPerson => "BadPerson",
        ErrorCode::NotPresenter => "NotPresenter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_are_the_variant_names() {
        let all = [
            ErrorCode::BadMessage,
            ErrorCode::TooLarge,
            ErrorCode::BinaryFrame,
            ErrorCode::UnknownRegion,
            ErrorCode::RateLimited,
            ErrorCode::Refused,
            ErrorCode::RoomUnavailable,
            ErrorCode::Locked,
            ErrorCode::InvalidValue,
            ErrorCode::Storage,
            ErrorCode::BadPerson,
            ErrorCode::NotPresenter,
        ];
        for code in all {
            assert_eq!(code_name(code), format!("{code:?}"));
        }
    }
}
