//! The floor under the server's fan-out: what one core pays the kernel to
//! write one message to one of many loopback TCP sockets, with nothing of
//! ours in the way (no tokio, no WebSocket framing, no room).
//!
//! The load report (`scripts/load.sh`) gives the server's CPU per frame per
//! viewer; this gives the part of it no code of ours can remove on this
//! machine. Run it the way `scripts/load.sh` runs the server (the README's
//! "Performance" section has the figures):
//!
//! ```sh
//! cargo build --release -p backend --example sendfloor
//! taskset -c 1 target/release/examples/sendfloor --read 127.0.0.1:18099 --sockets 10000 &
//! taskset -c 0 target/release/examples/sendfloor --write 127.0.0.1:18099 --sockets 10000 --bytes 5000 --seconds 10
//! ```
//!
//! `--write` listens, takes `--sockets` connections, then for `--seconds`
//! writes one `--bytes` message to each socket in turn, round after round,
//! as fast as the kernel takes them (non-blocking; a socket whose buffer is
//! full is skipped and counted). It prints the messages written, per second
//! and per socket per second, and its own CPU time per message, split into
//! user and kernel time (`/proc/self/stat`). `--read` connects the sockets
//! and drains them, on its own core, like the load generator's viewers.
//! Loopback only; at most 12 000 sockets and 120 s.

#[path = "common/proc_stat.rs"]
mod proc_stat;

use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const MAX_SOCKETS: usize = 12_000;
const MAX_SECONDS: u64 = 120;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sockets: usize = value("--sockets").and_then(|v| v.parse().ok()).unwrap_or(10_000).min(MAX_SOCKETS);
    if let Some(addr) = value("--write") {
        let bytes: usize = value("--bytes").and_then(|v| v.parse().ok()).unwrap_or(5_000);
        let seconds: u64 = value("--seconds").and_then(|v| v.parse().ok()).unwrap_or(10).clamp(1, MAX_SECONDS);
        write(&addr, sockets, bytes, Duration::from_secs(seconds));
    } else if let Some(addr) = value("--read") {
        read(&addr, sockets);
    } else {
        eprintln!("usage: sendfloor --write ADDR | --read ADDR  [--sockets N] [--bytes B] [--seconds S]");
        std::process::exit(2);
    }
}

fn loopback(addr: &str) -> bool {
    addr.starts_with("127.") || addr.starts_with("[::1]") || addr.starts_with("localhost:")
}

fn write(addr: &str, sockets: usize, bytes: usize, window: Duration) {
    assert!(loopback(addr), "loopback only");
    let listener = TcpListener::bind(addr).expect("bind");
    let mut conns = Vec::with_capacity(sockets);
    while conns.len() < sockets {
        let (stream, _) = listener.accept().expect("accept");
        // As the server does: every frame goes out at once.
        stream.set_nodelay(true).expect("nodelay");
        stream.set_nonblocking(true).expect("nonblocking");
        conns.push(stream);
    }
    let message = vec![b'x'; bytes];
    let cpu = || proc_stat::cpu_times(std::process::id()).expect("/proc/self/stat");
    let (user0, sys0) = cpu();
    let start = Instant::now();
    let (mut written, mut full) = (0u64, 0u64);
    'window: while start.elapsed() < window {
        for conn in &mut conns {
            match conn.write(&message) {
                Ok(n) if n == bytes => written += 1,
                // A partial write would split a message; count it as full
                // (the reader drains bytes, it does not parse).
                Ok(_) => full += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => full += 1,
                Err(e) => {
                    eprintln!("write failed ({e}): the reader went away; reporting what was measured");
                    break 'window;
                }
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let (user1, sys1) = cpu();
    let (user, sys) = (user1 - user0, sys1 - sys0);
    let per_s = written as f64 / elapsed;
    println!("| metric | value |");
    println!("|---|---|");
    println!("| sockets | {sockets} |");
    println!("| message | {bytes} B |");
    println!("| window | {elapsed:.1} s |");
    println!("| messages written per second | {per_s:.0} |");
    println!("| per socket per second | {:.1} |", per_s / sockets as f64);
    println!("| skipped (socket buffer full) | {full} |");
    println!(
        "| writer CPU | {:.2} cores ({:.0} % in the kernel) |",
        (user + sys) / elapsed,
        100.0 * sys / (user + sys)
    );
    println!(
        "| writer CPU per message | {:.2} µs ({:.2} µs kernel) |",
        1e6 * (user + sys) / written.max(1) as f64,
        1e6 * sys / written.max(1) as f64
    );
}

fn read(addr: &str, sockets: usize) {
    assert!(loopback(addr), "loopback only");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut tasks = Vec::with_capacity(sockets);
        for _ in 0..sockets {
            let stream = connect(addr).await;
            tasks.push(tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut stream = tokio::net::TcpStream::from_std(stream).expect("tokio stream");
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    });
}

/// Connects, retrying while the writer is not listening yet (bounded).
async fn connect(addr: &str) -> std::net::TcpStream {
    for _ in 0..100 {
        if let Ok(stream) = TcpStream::connect(addr) {
            stream.set_nonblocking(true).expect("nonblocking");
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {addr}");
}
