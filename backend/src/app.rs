//! The HTTP surface: routes, shared state, and the WebSocket upgrade.
//!
//! | route            | what                                                        |
//! |------------------|-------------------------------------------------------------|
//! | `GET /`          | the app, on the shared public room                          |
//! | `GET /r/{room}`  | the app, on a private room (400 for an invalid id)          |
//! | `GET /ws/{room}` | the room's WebSocket (see `shared::protocol`)               |
//! | `GET /healthz`   | liveness, with the number of running rooms                 |
//! | anything else    | static assets from the Trunk build (`dist/`)                |
//!
//! State is one `Arc<AppState>` shared by every handler; it holds nothing
//! mutable but the room registry, which guards itself.

use crate::origin::AllowedOrigins;
use crate::room::RoomSettings;
use crate::rooms::{JoinError, Rooms};
use crate::ws::{self, ConnectionLimits};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shared::protocol::RoomId;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// Largest WebSocket message the protocol layer accepts. Anything between
/// `shared::protocol::MAX_CLIENT_MESSAGE_BYTES` and this gets a clear
/// `too_large` error and the connection lives on; beyond it the connection is
/// closed with status 1009 (message too big), since reading it at all would
/// let one client make the server buffer arbitrary amounts.
pub const MAX_WS_MESSAGE_BYTES: usize = 64 * 1024;

/// Everything configurable about the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder with the built frontend (index.html, wasm, css).
    pub dist: PathBuf,
    pub rooms: RoomSettings,
    pub max_rooms: usize,
    pub limits: ConnectionLimits,
    /// Web origins besides this host's own that may open WebSockets.
    pub allowed_origins: AllowedOrigins,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dist: PathBuf::from("dist"),
            rooms: RoomSettings::default(),
            max_rooms: 10_000,
            limits: ConnectionLimits::default(),
            allowed_origins: AllowedOrigins::default(),
        }
    }
}

pub struct AppState {
    pub rooms: Arc<Rooms>,
    pub config: Config,
    /// Flips to `true` when the server is stopping; connections close cleanly.
    pub shutdown: watch::Receiver<bool>,
}

pub fn router(state: Arc<AppState>) -> Router {
    let assets = ServeDir::new(&state.config.dist);
    Router::new()
        .route("/", get(public_page))
        .route("/r/{room}", get(private_page))
        .route("/ws/{room}", get(websocket))
        .route("/healthz", get(healthz))
        .fallback_service(assets)
        .layer(CompressionLayer::new())
        // Each request as a span (`RUST_LOG=tower_http=debug` to see them).
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn public_page(State(state): State<Arc<AppState>>) -> Response {
    index_html(&state).await
}

async fn private_page(State(state): State<Arc<AppState>>, Path(room): Path<String>) -> Response {
    match RoomId::parse(&room) {
        Ok(_) => index_html(&state).await,
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// The app's page. It is the same for every room: the frontend reads the
/// room from the URL. Read per request so a rebuilt frontend is picked up
/// without a restart (it is a small file).
async fn index_html(state: &AppState) -> Response {
    let path = state.config.dist.join("index.html");
    match tokio::fs::read_to_string(&path).await {
        Ok(html) => ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "The frontend is not built: {} is missing. Run scripts/demo.sh (or `trunk build --release`) first.",
                path.display()
            ),
        )
            .into_response(),
    }
}

async fn websocket(
    State(state): State<Arc<AppState>>,
    Path(room): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // First, before anything is spent on the request: is the page that asks
    // allowed to connect at all? (see `origin`)
    if let Err(refused) = state.config.allowed_origins.check(headers.get(header::ORIGIN), headers.get(header::HOST)) {
        tracing::info!(origin = %refused.origin, "refused a WebSocket from a foreign origin");
        return (StatusCode::FORBIDDEN, refused.to_string()).into_response();
    }
    let room = match RoomId::parse(&room) {
        Ok(room) => room,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    // Join before upgrading, so "too many rooms" is a plain HTTP error the
    // client can show, not a socket that opens and dies.
    let joined = match state.rooms.join(&room).await {
        Ok(joined) => joined,
        Err(e @ (JoinError::TooManyRooms(_) | JoinError::Unavailable)) => {
            return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        }
    };
    let limits = state.config.limits.clone();
    let shutdown = state.shutdown.clone();
    upgrade
        .max_message_size(MAX_WS_MESSAGE_BYTES)
        .max_frame_size(MAX_WS_MESSAGE_BYTES)
        // If the upgrade fails, `joined` is dropped and its guard leaves the room.
        .on_upgrade(move |socket| ws::serve(socket, joined, limits, shutdown))
}

async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok", "rooms": state.rooms.len() }))
}
