//! The `likewise` binary: parses the command line, sets up logging, serves.

use anyhow::Context;
use backend::app::Config;
use backend::assets::Assets;
use backend::limits::AddressLimits;
use backend::origin::AllowedOrigins;
use backend::room::RoomSettings;
use backend::ws::ConnectionLimits;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Likewise: watch a replicated like counter diverge and converge, live.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LIKEWISE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Serve the frontend from this folder (the output of `trunk build`)
    /// instead of the copy embedded in the binary.
    #[arg(long, env = "LIKEWISE_DIST")]
    dist: Option<PathBuf>,
    /// Stretch every simulated delay by this factor (2 = slow motion).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Seconds a room lives on after its last viewer leaves.
    #[arg(long, default_value_t = 300)]
    room_ttl: u64,
    /// Most rooms hosted at once; the public room never counts and is always
    /// available.
    #[arg(long, default_value_t = 10_000)]
    max_rooms: usize,
    /// A web origin (scheme://host[:port]) whose pages may open WebSockets,
    /// besides pages served by this host itself; repeat it, or give a
    /// comma-separated list; `*` allows any origin.
    #[arg(long = "allowed-origin", env = "LIKEWISE_ALLOWED_ORIGIN", value_delimiter = ',')]
    allowed_origins: Vec<String>,
    /// Most WebSockets open at once from one client address (IPv6: per /64).
    #[arg(long, default_value_t = 50)]
    max_connections_per_ip: u32,
    /// New private rooms one client address may start per minute (0: no
    /// limit). The public room never counts.
    #[arg(long, default_value_t = 20)]
    new_rooms_per_minute: u32,
    /// Likes and controls per second from one client address, all its
    /// connections together (burst: twice that; 0: no limit). Each
    /// connection also has its own limit of 20 a second, burst 40.
    #[arg(long, default_value_t = 100)]
    likes_per_second_per_ip: u32,
    /// Most viewers in one room; more are refused with close code 1013.
    #[arg(long, default_value_t = 20_000)]
    max_viewers_per_room: usize,
    /// Milliseconds between full frames (keyframes); frames in between are
    /// deltas. 0 sends every frame whole (the load report's comparison).
    #[arg(long, default_value_t = 2_000)]
    keyframe_ms: u64,
    /// Behind a reverse proxy: take the client address from the last entry
    /// of X-Forwarded-For. Only when the server is reachable through the
    /// proxy alone, or clients could choose their own address.
    #[arg(long, env = "LIKEWISE_TRUST_PROXY")]
    trust_proxy: bool,
    /// Seconds between the server's pings on each WebSocket. A reverse
    /// proxy's read timeout must be longer (nginx: proxy_read_timeout).
    #[arg(long, default_value_t = 20)]
    ping_interval: u64,
    /// Seconds of silence (not even a pong) after which a WebSocket is closed.
    #[arg(long, default_value_t = 60)]
    idle_timeout: u64,
    /// Where rooms are stored (SQLite, `likewise.db`); created if missing.
    #[arg(long, env = "LIKEWISE_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Keep rooms in memory only: a restart forgets them.
    #[arg(long)]
    no_storage: bool,
    /// Days after which an unused private room is deleted from storage.
    #[arg(long, default_value_t = 30)]
    room_retention: u64,
    /// Serve the rooms together with every other instance on this Redis
    /// (e.g. redis://127.0.0.1:6379); rooms' logs are then kept in Redis,
    /// not in --data-dir.
    #[arg(long, env = "LIKEWISE_REDIS")]
    redis: Option<String>,
    /// With --redis: milliseconds a room's lease lasts unrenewed, i.e. the
    /// longest a room waits for a new owner after its owner dies.
    #[arg(long, default_value_t = 3000)]
    lease_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args = Args::parse();
    anyhow::ensure!(args.time_scale.is_finite() && args.time_scale > 0.0, "--time-scale must be a positive number");
    anyhow::ensure!(args.max_connections_per_ip > 0, "--max-connections-per-ip must be at least 1");
    anyhow::ensure!(args.max_viewers_per_room > 0, "--max-viewers-per-room must be at least 1");
    anyhow::ensure!(
        args.ping_interval > 0 && args.idle_timeout > args.ping_interval,
        "--ping-interval must be at least 1 and --idle-timeout longer than it"
    );
    let assets = match args.dist {
        Some(dir) => Assets::Dir(dir),
        None => Assets::embedded(),
    };
    if !assets.has_index() {
        tracing::warn!("{}", assets.missing_frontend());
    }
    let config = Config {
        assets,
        rooms: RoomSettings {
            time_scale: args.time_scale,
            idle_ttl: Duration::from_secs(args.room_ttl),
            max_viewers: args.max_viewers_per_room,
            keyframe_interval: Duration::from_millis(args.keyframe_ms),
            ..RoomSettings::default()
        },
        max_rooms: args.max_rooms,
        allowed_origins: AllowedOrigins::parse(&args.allowed_origins)?,
        per_address: AddressLimits {
            max_connections: args.max_connections_per_ip,
            new_rooms_per_minute: args.new_rooms_per_minute,
            likes_per_second: args.likes_per_second_per_ip,
        },
        trust_proxy: args.trust_proxy,
        limits: ConnectionLimits {
            ping_interval: Duration::from_secs(args.ping_interval),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            ..ConnectionLimits::default()
        },
        data_dir: (!args.no_storage).then(|| args.data_dir.clone()),
        room_retention: Duration::from_secs(args.room_retention.saturating_mul(24 * 3600)),
        redis: args.redis.clone(),
        cluster: backend::cluster::ClusterSettings {
            lease: Duration::from_millis(args.lease_ms),
            renew_every: Duration::from_millis(args.lease_ms / 3),
            ..Default::default()
        },
    };
    anyhow::ensure!(args.lease_ms >= 300, "--lease-ms must be at least 300");
    if args.no_storage && args.redis.is_none() {
        tracing::warn!("--no-storage: rooms live in memory only and a restart forgets them");
    }
    let listener =
        tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    tracing::info!("Likewise is live on http://{}", listener.local_addr()?);
    backend::serve(listener, config, async {
        shutdown_signal().await;
        tracing::info!("shutting down: closing connections (clients reconnect by themselves)");
    })
    .await
    .with_context(|| format!("server failed (data directory {})", args.data_dir.display()))
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
