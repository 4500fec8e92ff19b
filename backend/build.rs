//! Build script: keeps the frontend embedded in a release binary up to date.
//!
//! `src/assets.rs` embeds `../dist` (the Trunk build) with `rust-embed`.
//! In a release build the files are `include_bytes!`-ed, so cargo notices
//! when one of them changes, but not when a file is added or when `dist/`
//! appears after a first build without it: the binary would silently keep
//! the old (or no) frontend. Watching the folder here closes that gap. The
//! folder is created when missing, because cargo treats a watched path that
//! does not exist as changed on every build (a full rebuild each time);
//! an empty `dist/` is harmless (Trunk replaces its contents, and it is in
//! .gitignore). Debug builds read the folder at run time, so they do not
//! watch it and are not rebuilt when the frontend is.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else { return };
    let dist = PathBuf::from(manifest_dir).join("..").join("dist");
    if !dist.exists() {
        // If this fails (a read-only checkout), `allow_missing` still lets
        // the crate compile, and cargo just reruns this script each build.
        let _ = std::fs::create_dir_all(&dist);
    }
    println!("cargo:rerun-if-changed={}", dist.display());
}
