//! The frontend's files (index.html, wasm, JS, CSS): compiled into the
//! binary, or read from a folder.
//!
//! A release build embeds the Trunk output `dist/` with `rust-embed`, so the
//! binary is the whole app: copy one file to a server and run it. `--dist
//! DIR` still serves a folder from disk instead (the demo script and the
//! browser tests use it, so a rebuilt frontend needs no server rebuild).
//!
//! How `rust-embed` behaves (version 8): in release builds the files are
//! in the binary; in debug builds `get` reads the same folder from disk on
//! each call (unless its `debug-embed` feature is on, which we leave off:
//! it would copy the 760 KB of wasm into every debug build of the server).
//!
//! **Building without `dist/`.** The derive fails to compile when the
//! folder is missing, unless `allow_missing = true`, which we set: `cargo
//! test` and `cargo clippy` must work on a fresh checkout where the frontend
//! was never built. Such a binary embeds nothing and says so at startup
//! (see [`Assets::has_index`]). `build.rs` makes sure a release build that
//! *does* find `dist/` is rebuilt when `dist/` changes, including files that
//! appear after the first build (which `include_bytes!` alone would miss).
//!
//! Both sources answer the same way: index.html for the pages, the file with
//! its content type for an asset, 404 for anything else; gzip is applied by
//! the router's compression layer to either.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::{DynRustEmbed, RustEmbed};
use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The Trunk build, embedded at compile time (see the module doc). The
/// folder is relative to this crate's `Cargo.toml`.
#[derive(RustEmbed)]
#[folder = "../dist"]
#[allow_missing = true]
pub struct Frontend;

/// Where the frontend's files come from.
#[derive(Clone)]
pub enum Assets {
    /// A folder on disk (`--dist`), read per request.
    Dir(PathBuf),
    /// A set compiled into the binary: [`Frontend`], or another one in tests.
    Embedded(Arc<dyn DynRustEmbed + Send + Sync>),
}

impl Assets {
    /// The frontend compiled into this binary.
    pub fn embedded() -> Assets {
        Assets::Embedded(Arc::new(Frontend))
    }

    /// Whether there is an index.html to serve.
    pub fn has_index(&self) -> bool {
        match self {
            Assets::Dir(dir) => dir.join("index.html").exists(),
            Assets::Embedded(set) => set.get("index.html").is_some(),
        }
    }

    /// The app's page, the same for every room (the frontend reads the room
    /// from the URL). From a folder it is read per request, so a rebuilt
    /// frontend is picked up without a restart.
    pub async fn index_html(&self) -> Response {
        let html = match self {
            Assets::Dir(dir) => tokio::fs::read_to_string(dir.join("index.html")).await.ok(),
            Assets::Embedded(set) => set.get("index.html").map(|f| String::from_utf8_lossy(&f.data).into_owned()),
        };
        match html {
            Some(html) => ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response(),
            None => (StatusCode::SERVICE_UNAVAILABLE, self.missing_frontend()).into_response(),
        }
    }

    /// What to tell people when there is no frontend to serve.
    pub fn missing_frontend(&self) -> String {
        match self {
            Assets::Dir(dir) => format!(
                "The frontend is not built: {} is missing. Run scripts/demo.sh (or `trunk build --release`) first.",
                dir.join("index.html").display()
            ),
            Assets::Embedded(_) => "This server was built without the frontend (dist/ was missing when it was \
                                    compiled). Build it with `trunk build --release` and rebuild the server, or \
                                    start it with --dist DIR."
                .to_owned(),
        }
    }
}

impl fmt::Debug for Assets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Assets::Dir(dir) => f.debug_tuple("Dir").field(dir).finish(),
            Assets::Embedded(set) => write!(f, "Embedded({} files)", set.names().len()),
        }
    }
}

/// Serves one file from an embedded set (the router's fallback when the
/// assets are embedded; a folder is served by `tower_http`'s `ServeDir`).
pub async fn serve_embedded(
    set: &(dyn DynRustEmbed + Send + Sync),
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")], "only GET and HEAD").into_response();
    }
    // Paths in the set are relative, with `/` separators. Trunk's file
    // names need no percent-decoding; a name that would is simply not found.
    let path = uri.path().trim_start_matches('/');
    let file =
        (!path.is_empty() && !path.split('/').any(|s| s == ".." || s.is_empty())).then(|| set.get(path)).flatten();
    let Some(file) = file else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    // The content hash is a perfect ETag: a browser revalidates (no-cache)
    // and gets a 304 until the file really changes.
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let cache = [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
    let etag_header = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_header)], cache).into_response();
    }
    let body = match file.data {
        _ if method == Method::HEAD => Body::empty(),
        // Release builds: the bytes are in the binary, no copy.
        Cow::Borrowed(bytes) => Body::from(bytes),
        Cow::Owned(bytes) => Body::from(bytes),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type), (header::ETAG, etag_header)], cache, body).into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
