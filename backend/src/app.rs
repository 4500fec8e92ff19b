//! The HTTP surface: routes, shared state, and the WebSocket upgrade.
//!
//! | route            | what                                                        |
//! |------------------|-------------------------------------------------------------|
//! | `GET /`          | the app, on the shared public room                          |
//! | `GET /r/{room}`  | the app, on a private room (400 for an invalid id)          |
//! | `GET /ws/{room}` | the room's WebSocket (see `shared::protocol`)               |
//! | `GET /healthz`   | liveness, with the number of running rooms                 |
//! | `POST /api/rooms`  | a new, empty private room: `{"room":"<id>","presenter":"<token>"}` |
//! | `POST /api/import` | a run (JSON, ≤ 8 MiB) into a new room: `{"room":"<id>","presenter":"<token>"}` |
//! | `GET /s/{scenario}` | a new private room playing a guided scenario: 303 to `/r/{id}` (404 if unknown) |
//! | `GET /?scenario=…` | the same as `/s/{scenario}`                                  |
//! | anything else    | the frontend's assets (embedded, or `--dist`; see `assets`) |
//!
//! State is one `Arc<AppState>` shared by every handler; it holds nothing
//! mutable but the room registry and the per-address counters, which guard
//! themselves.
//!
//! **How a WebSocket is refused**, checked in this order:
//!
//! | why                                   | answer                                  |
//! |---------------------------------------|-----------------------------------------|
//! | a foreign `Origin` (see `origin`)     | HTTP 403, plain-text reason, no upgrade |
//! | an invalid room id                    | HTTP 400, plain-text reason, no upgrade |
//! | too many connections from the address | upgrade, then close 1013 + reason       |
//! | too many rooms on the server          | upgrade, then close 1013 + reason       |
//! | too many new rooms from the address   | upgrade, then close 1013 + reason       |
//! | the room is full                      | upgrade, then close 1013 + reason       |
//!
//! The first two are mistakes in the request itself; the rest are "not now"
//! (1013 is the WebSocket close code for *try again later*). A browser's
//! WebSocket API never shows a page the HTTP status of a refused handshake
//! (only an error event and close code 1006), while it does show a close
//! frame's code and reason (`CloseEvent.code` / `.reason`). So capacity
//! refusals are sent as a close frame right after the upgrade, where the
//! page can tell the person why; the shared protocol's error codes are not
//! used for them because a refused connection never gets a snapshot, and a
//! close frame is what ends it anyway.

use crate::assets::{self, Assets};
use crate::limits::{self, AddressLimits, PerAddress};
use crate::origin::AllowedOrigins;
use crate::presenter;
use crate::room::RoomSettings;
use crate::rooms::Rooms;
use crate::ws::{self, ConnectionLimits};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::DefaultBodyLimit;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::protocol::RoomId;
use shared::sim::replay::Run;
use shared::sim::SimConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;
use tower_http::trace::TraceLayer;

/// Largest WebSocket message the protocol layer accepts. Anything between
/// `shared::protocol::MAX_CLIENT_MESSAGE_BYTES` and this gets a clear
/// `too_large` error and the connection lives on; beyond it the connection is
/// closed with status 1009 (message too big), since reading it at all would
/// let one client make the server buffer arbitrary amounts.
pub const MAX_WS_MESSAGE_BYTES: usize = 64 * 1024;

/// Each WebSocket's read buffer: client messages are ≤ 1 KiB (see
/// `shared::protocol::MAX_CLIENT_MESSAGE_BYTES`; a larger one makes the
/// buffer grow to fit). With `scripts/load.sh` at 2,000 viewers, the server
/// took ~161 KiB per viewer with the default 128 KiB, ~26 KiB with 4 KiB,
/// ~24 KiB with 1 KiB.
pub const WS_READ_BUFFER_BYTES: usize = 1024;

/// Everything configurable about the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The built frontend (index.html, wasm, css): embedded or a folder.
    pub assets: Assets,
    pub rooms: RoomSettings,
    pub max_rooms: usize,
    pub limits: ConnectionLimits,
    /// Web origins besides this host's own that may open WebSockets.
    pub allowed_origins: AllowedOrigins,
    /// Limits per client address (see `limits`).
    pub per_address: AddressLimits,
    /// Take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_proxy: bool,
    /// Where rooms are stored; `None` keeps them in memory only.
    pub data_dir: Option<PathBuf>,
    /// Private rooms unused for this long are deleted from storage.
    pub room_retention: Duration,
    /// A Redis URL: serve the rooms together with the other instances on
    /// it, their logs stored there (see `cluster`); `data_dir` is unused.
    pub redis: Option<String>,
    /// Leases and relays, with `redis`.
    pub cluster: crate::cluster::ClusterSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            assets: Assets::embedded(),
            rooms: RoomSettings::default(),
            max_rooms: 10_000,
            limits: ConnectionLimits::default(),
            allowed_origins: AllowedOrigins::default(),
            per_address: AddressLimits::default(),
            trust_proxy: false,
            data_dir: None,
            room_retention: Duration::from_secs(30 * 24 * 3600),
            redis: None,
            cluster: crate::cluster::ClusterSettings::default(),
        }
    }
}

pub struct AppState {
    pub rooms: Arc<Rooms>,
    pub per_address: Arc<PerAddress>,
    pub config: Config,
    /// Flips to `true` when the server is stopping; connections close cleanly.
    pub shutdown: watch::Receiver<bool>,
}

pub fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/", get(public_page))
        .route("/r/{room}", get(private_page))
        .route("/ws/{room}", get(websocket))
        .route("/healthz", get(healthz))
        .route("/api/rooms", post(new_room))
        .route("/api/import", post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)))
        .route("/s/{scenario}", get(scenario_room));
    let routes = match &state.config.assets {
        // The `.br` and `.gz` files build-frontend.sh writes beside each
        // asset are sent to browsers that accept them (see `assets`).
        // `ServeDir` sends them without `Vary`, which a cache in between
        // needs so as not to hand brotli to a client that asked for gzip.
        Assets::Dir(dir) => routes.fallback_service(SetResponseHeader::if_not_present(
            ServeDir::new(dir).precompressed_br().precompressed_gzip(),
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        )),
        Assets::Embedded(_) => routes.fallback(embedded_asset),
    };
    routes
        .layer(CompressionLayer::new())
        // Each request as a span (`RUST_LOG=tower_http=debug` to see them).
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn public_page(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    match query.scenario {
        // A link of the form `/?scenario=cable_cut`, for places that can
        // only add a query to the lab's address.
        Some(id) => open_scenario(&state, peer, &headers, &id),
        None => index_html(&state).await,
    }
}

/// The query parameters `/` understands.
#[derive(Debug, serde::Deserialize)]
struct PageQuery {
    scenario: Option<String>,
}

async fn private_page(State(state): State<Arc<AppState>>, Path(room): Path<String>) -> Response {
    match RoomId::parse(&room) {
        Ok(_) => index_html(&state).await,
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn index_html(state: &AppState) -> Response {
    state.config.assets.index_html().await
}

async fn embedded_asset(State(state): State<Arc<AppState>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    match &state.config.assets {
        Assets::Embedded(set) => assets::serve_embedded(set.as_ref(), &method, &uri, &headers).await,
        // Not routed here: a folder is served by `ServeDir`.
        Assets::Dir(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn websocket(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
    let key = limits::limit_key(limits::client_ip(peer, &headers, state.config.trust_proxy));
    let upgrade = upgrade
        .max_message_size(MAX_WS_MESSAGE_BYTES)
        .max_frame_size(MAX_WS_MESSAGE_BYTES)
        // Small per-socket buffers: tungstenite's defaults (128 KiB read
        // buffer, zero-filled on the first read) cost ~130 KiB per viewer.
        // A larger incoming message still fits (the buffer grows to it, up
        // to the limit above); writes go out at once, as every send flushes.
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(0)
        // A bound, not an allocation: room for the largest message we send
        // (an export, ≤ 8 MiB) while the socket drains.
        .max_write_buffer_size(2 * MAX_IMPORT_BYTES);
    let slot = match state.per_address.open_connection(key) {
        Ok(slot) => slot,
        Err(refused) => return refuse(upgrade, &refused.to_string()),
    };
    // Join before upgrading, so a refusal costs no room task and no viewer
    // slot; the new-room budget is asked only if the room must be started.
    let joined = match state.rooms.join(&room, || state.per_address.allow_new_room(key)).await {
        Ok(joined) => joined,
        Err(e) => return refuse(upgrade, &e.to_string()),
    };
    let limits = state.config.limits.clone();
    let shutdown = state.shutdown.clone();
    // If the upgrade fails, `joined` and `slot` are dropped: their guards
    // leave the room and give the connection slot back.
    upgrade.on_upgrade(move |socket| ws::serve(socket, joined, slot, limits, shutdown))
}

/// WebSocket close code 1013, "try again later" (RFC 6455 registry).
pub const CLOSE_TRY_AGAIN_LATER: u16 = 1013;

/// Upgrades only to close at once with 1013 and `reason` (see the module
/// doc for why not an HTTP status).
fn refuse(upgrade: WebSocketUpgrade, reason: &str) -> Response {
    tracing::info!(reason, "refused a WebSocket");
    let reason = close_reason(reason);
    upgrade.on_upgrade(move |socket| close_with(socket, CLOSE_TRY_AGAIN_LATER, reason))
}

/// Sends a close frame and waits briefly for the client's answer, so the
/// frame is read before the TCP connection goes (closing at once could
/// reset it and lose the reason).
pub(crate) async fn close_with(mut socket: WebSocket, code: u16, reason: Utf8Bytes) {
    let bounded = Duration::from_secs(2);
    let frame = Message::Close(Some(CloseFrame { code, reason }));
    if let Ok(Ok(())) = tokio::time::timeout(bounded, socket.send(frame)).await {
        let _ = tokio::time::timeout(bounded, async { while let Some(Ok(_)) = socket.recv().await {} }).await;
    }
}

/// A close frame's reason is at most 123 bytes: cut at a char boundary.
pub(crate) fn close_reason(text: &str) -> Utf8Bytes {
    let mut end = text.len().min(123);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Utf8Bytes::from(text[..end].to_owned())
}

/// Largest run `POST /api/import` reads: 200 000 inputs at ~40 bytes.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// `POST /api/import`: a run (as `export` sends it) becomes a new private
/// room. An HTTP request rather than a WebSocket message: a run is up to
/// megabytes, far over the 1 KiB a client message may be, and a file upload
/// is what a browser does best. Answers 201 `{"room":"<id>"}`, 400 with a
/// reason for an invalid run, 413 when too large, 429/503 when the caller
/// or the server may not start another room.
///
/// Reading a run is the expensive part (8 MiB of JSON is tens of ms of a
/// core), so every attempt spends the caller's new-room budget up front,
/// valid or not, and the reading runs off the async workers. Before, a
/// refused run cost nothing: twelve connections posting a 6.8 MB run with
/// a wrong `format` (read whole, then refused) had the server parse ~55 a
/// second and halved the frame rate of a room elsewhere on a two-core
/// machine (`backend/examples/hostile_probe.rs --kind import`).
async fn import(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let key = limits::limit_key(limits::client_ip(peer, &headers, state.config.trust_proxy));
    if let Err(refused) = state.per_address.allow_new_room(key) {
        return (StatusCode::TOO_MANY_REQUESTS, refused.to_string()).into_response();
    }
    let read = tokio::task::spawn_blocking(move || {
        let run: Run = serde_json::from_slice(&body).map_err(|e| format!("not a run ({e})"))?;
        run.validate().map_err(|e| format!("invalid run: {e}"))?;
        Ok::<Run, String>(run)
    })
    .await;
    match read {
        Ok(Ok(run)) => match state.rooms.start_new(run) {
            Ok((room, token)) => created(&room, &token),
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
        },
        Ok(Err(why)) => (StatusCode::BAD_REQUEST, why).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("the run could not be read ({e})")).into_response(),
    }
}

/// `POST /api/rooms`: a new, empty private room with a presenter (the
/// page's New room). Answers 201 `{"room":"<id>","presenter":"<token>"}`:
/// the token goes to whoever made the room, and only to them (see
/// `presenter`); 429/503 as for an import.
async fn new_room(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let config = SimConfig { seed: rand::random(), time_scale: state.config.rooms.time_scale, ..SimConfig::default() };
    let run = Run::empty(config);
    start_new(&state, peer, &headers, run)
}

/// Starts a room from `run` for the caller and answers 201
/// `{"room":"<id>","presenter":"<token>"}` (429/503 as `new_private_room`).
fn start_new(state: &AppState, peer: SocketAddr, headers: &HeaderMap, run: Run) -> Response {
    match new_private_room(state, peer, headers, run) {
        Ok((room, token)) => created(&room, &token),
        Err(refused) => refused.into_response(),
    }
}

/// 201 `{"room":"<id>","presenter":"<token>"}`.
fn created(room: &RoomId, token: &presenter::Token) -> Response {
    let body = serde_json::json!({ "room": room.as_str(), "presenter": token.as_str() });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Starts a new private room from `run` for the caller at `peer`, within
/// their new-room budget and the server's room cap, and makes its presenter
/// token. Every way a person creates a room through HTTP (New room, an
/// import, a scenario) goes through here, so what a room's creator is given
/// lives in one place. The error is the answer to send: 429 over the
/// caller's budget, 503 when the server is full.
fn new_private_room(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    run: Run,
) -> Result<(RoomId, presenter::Token), (StatusCode, String)> {
    let key = limits::limit_key(limits::client_ip(peer, headers, state.config.trust_proxy));
    if let Err(refused) = state.per_address.allow_new_room(key) {
        return Err((StatusCode::TOO_MANY_REQUESTS, refused.to_string()));
    }
    state.rooms.start_new(run).map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
}

/// `GET /s/{scenario}`: a new private room playing a guided scenario (see
/// `shared::scenario`), and a redirect to it. A GET that creates something
/// is unusual; it is what makes a scenario a plain link to paste in a
/// slide or a chat. Crawlers that follow it spend the address's new-room
/// budget like anyone, and an unused room expires.
async fn scenario_room(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    open_scenario(&state, peer, &headers, &id)
}

fn open_scenario(state: &AppState, peer: SocketAddr, headers: &HeaderMap, id: &str) -> Response {
    let Some(scenario) = shared::scenario::find(id) else {
        let known: Vec<&str> = shared::scenario::CATALOGUE.iter().map(|s| s.id).collect();
        let shown: String = id.chars().take(64).collect();
        let text = format!("no scenario is called {shown:?}; the scenarios are: {}", known.join(", "));
        return (StatusCode::NOT_FOUND, text).into_response();
    };
    // Scenarios are timed for the regions' real delays (time scale 1):
    // their step list says what the room shows at each step.
    let config = scenario.config(rand::random(), 1.0);
    let run = Run::empty(config);
    // Whoever opens the link presents the new room: the page keeps the
    // token from the address and puts the plain link back.
    match new_private_room(state, peer, headers, run) {
        Ok((room, token)) => {
            let to = format!("/r/{room}?presenter={}", token.as_str());
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        Err(refused) => refused.into_response(),
    }
}

async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    Json(serde_json::json!({
        "status": "ok",
        "rooms": state.rooms.len(),
        "addresses_connected": state.per_address.addresses_connected(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::AddressRefusal;
    use crate::rooms::JoinError;

    #[test]
    fn close_reasons_fit_in_a_close_frame() {
        assert_eq!(close_reason("short").as_str(), "short");
        let long = "é".repeat(100); // 200 bytes
        let cut = close_reason(&long);
        assert!(cut.len() <= 123 && cut.as_str().chars().all(|c| c == 'é'), "{}", cut.len());
        // Every refusal the server sends fits whole, with the largest numbers.
        for text in [
            AddressRefusal::TooManyConnections(u32::MAX).to_string(),
            AddressRefusal::TooManyNewRooms(u32::MAX).to_string(),
            JoinError::TooManyRooms(usize::MAX).to_string(),
            JoinError::RoomFull(crate::room::RoomFull(usize::MAX)).to_string(),
            JoinError::Unavailable.to_string(),
        ] {
            assert!(text.len() <= 123, "{} bytes: {text}", text.len());
        }
    }
}
