//! Likewise's server: hosts rooms of simulated regional replicas and pushes
//! their state to browsers over WebSockets.
//!
//! - [`app`]: routes and shared state;
//! - [`rooms`]: the registry that starts and forgets rooms;
//! - [`room`]: one room's actor task, which owns its simulation;
//! - [`presenter`]: the token that lets a room's maker change it;
//! - [`store`]: the durable room logs (SQLite) and their writer thread;
//! - [`cluster`]: several instances serving the same rooms through Redis;
//! - [`ws`]: one viewer's connection (reader loop + writer task);
//! - [`origin`]: which web pages may open a WebSocket here;
//! - [`limits`]: how much one client address may take;
//! - [`assets`]: the frontend's files, embedded in the binary or from a folder.
//!
//! The simulation itself lives in the `shared` crate and knows nothing of
//! sockets or clocks; this crate feeds it wall-clock time and fans its frames
//! out to viewers.

pub mod app;
pub mod assets;
pub mod base;
pub mod cluster;
pub mod limits;
pub mod origin;
pub mod presenter;
pub mod room;
pub mod rooms;
pub mod store;
pub mod ws;

use app::{AppState, Config};
use limits::PerAddress;
use rooms::Rooms;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serves the app on `listener` until `shutdown` completes, then closes every
/// WebSocket with "going away" (clients reconnect to the next server) and
/// returns once connections are done.
///
/// With `config.data_dir`, rooms are stored there (see [`store`]); a
/// database that cannot be opened fails here, before anything is served.
/// With `config.redis`, rooms and their logs are shared with the other
/// instances on that Redis (see [`cluster`]); Redis out of reach fails here.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let rooms = match &config.redis {
        Some(url) => {
            let settings = cluster::ClusterSettings { retention: config.room_retention, ..config.cluster.clone() };
            let cluster = cluster::Cluster::connect(url, settings).await.map_err(std::io::Error::other)?;
            Rooms::clustered(config.rooms.clone(), config.max_rooms, cluster)
        }
        None => {
            let store = match &config.data_dir {
                Some(dir) => Store::open(dir, config.room_retention).map_err(std::io::Error::other)?,
                None => Store::memory(),
            };
            Rooms::new(config.rooms.clone(), config.max_rooms, store)
        }
    };
    let per_address = PerAddress::new(config.per_address.clone());
    let state = Arc::new(AppState { rooms, per_address: per_address.clone(), config, shutdown: stopped.clone() });
    let app = app::router(state);
    // The rate limiters' janitor: forgets addresses that are limited no more.
    let mut janitor_stop = stopped.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(limits::JANITOR_PERIOD);
        loop {
            tokio::select! {
                _ = every.tick() => per_address.forget_idle(),
                _ = janitor_stop.wait_for(|stop| *stop) => return,
            }
        }
    });
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let mut stopped_signal = stopped;
    // No Nagle: a frame or an answer is one small write, often right after
    // another one still unacknowledged; with Nagle it would wait for the
    // peer's delayed ACK (40 ms on Linux) — measured as a 40 ms p99 on seeks.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    // With the peer address, for the per-address limits.
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = stopped_signal.wait_for(|stop| *stop).await;
        })
        .await
}
