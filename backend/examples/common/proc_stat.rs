//! A process's CPU time, read from `/proc/<pid>/stat`: what the load
//! generator (the server's CPU) and the send floor (its own) measure with.
//! Shared by `#[path]` inclusion, since examples cannot import each other.

/// CPU time `pid` has used so far, user and kernel, in seconds.
pub fn cpu_times(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses (and may hold
    // spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime, stime are fields 14 and 15 of the whole line (11, 12 here).
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    let tick = clock_ticks();
    Some((user as f64 / tick, system as f64 / tick))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux if that fails).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}
