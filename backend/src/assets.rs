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
//! its content type for an asset, 404 for anything else.
//!
//! **Compressed once, at build time.** `scripts/build-frontend.sh` writes
//! each wasm, JS and CSS file twice more beside itself: `NAME.br` (brotli,
//! quality 11) and `NAME.gz` (zopfli, gzip's format at its densest). Both
//! sources send the variant the browser accepts (`Accept-Encoding`, q-values
//! honoured, brotli first on a tie) with `Content-Encoding` and `Vary`, and
//! the file itself to a client that accepts neither. Compressing per request
//! instead (the router's compression layer, still there for the page and
//! the API's answers) cost the server ~50 ms of CPU per page load against
//! ~2 ms precompressed (`scripts/page-cpu.sh`), and sent 5 % more bytes
//! (docs/page-weight.md, step 35).
//! A folder is served by `tower_http`'s `ServeDir`, which negotiates the
//! same way; the embedded set by [`serve_embedded`].

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::EmbeddedFile;
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
    // The type is the file's own, whichever variant is sent.
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    // Each precompressed variant the set has, looked up once.
    let variants: Vec<(&'static str, EmbeddedFile)> = PRECOMPRESSED
        .iter()
        .filter_map(|&(coding, ext)| set.get(&format!("{path}.{ext}")).map(|variant| (coding, variant)))
        .collect();
    let has_variants = !variants.is_empty();
    let (encoding, file) = match preferred(variants, headers) {
        Some((coding, variant)) => (Some(coding), variant),
        None => (None, file),
    };
    // The content hash is a perfect ETag: a browser revalidates (no-cache)
    // and gets a 304 until the file really changes. Each variant hashes its
    // own bytes, so a cache never answers a brotli request with gzip.
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let cache = [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
    let mut negotiated = HeaderMap::new();
    if has_variants {
        negotiated.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(coding) = encoding {
        // With this header set, the router's compression layer leaves the
        // body alone.
        negotiated.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    let etag_header = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_header)], cache, negotiated).into_response();
    }
    let body = match file.data {
        _ if method == Method::HEAD => Body::empty(),
        // Release builds: the bytes are in the binary, no copy.
        Cow::Borrowed(bytes) => Body::from(bytes),
        Cow::Owned(bytes) => Body::from(bytes),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type), (header::ETAG, etag_header)], cache, negotiated, body)
        .into_response()
}

/// The precompressed variants `scripts/build-frontend.sh` writes beside an
/// asset: the content coding and the file's extension, preferred first.
const PRECOMPRESSED: [(&str, &str); 2] = [("br", "br"), ("gzip", "gz")];

/// The variant to send of those an asset has (in `PRECOMPRESSED`'s
/// order), if the request accepts one: the highest q-value wins, the first
/// (brotli) on a tie.
fn preferred(variants: Vec<(&'static str, EmbeddedFile)>, headers: &HeaderMap) -> Option<(&'static str, EmbeddedFile)> {
    let mut best: Option<(u16, &'static str, EmbeddedFile)> = None;
    for (coding, variant) in variants {
        let q = accepted_quality(headers, coding);
        if q > 0 && best.as_ref().is_none_or(|(best_q, ..)| q > *best_q) {
            best = Some((q, coding, variant));
        }
    }
    best.map(|(_, coding, variant)| (coding, variant))
}

/// How much a request's `Accept-Encoding` wants `coding`, in thousandths
/// (its q-value): 0 when it is not acceptable, 1000 when it is named
/// without a q. A coding named outright beats `*`; no header accepts none
/// of the compressed variants (RFC 9110 lets a server pick anything then,
/// but a client that sent nothing is safest with the plain file).
fn accepted_quality(headers: &HeaderMap, coding: &str) -> u16 {
    let mut wildcard = 0;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut params = item.split(';');
            let name = params.next().unwrap_or_default().trim();
            let q = params.find_map(|p| p.trim().strip_prefix("q=")).map_or(1000, quality);
            if name.eq_ignore_ascii_case(coding) {
                return q;
            }
            if name == "*" {
                wildcard = q;
            }
        }
    }
    wildcard
}

/// A q-value (`1`, `0.5`, `0.001`) in thousandths; anything unreadable is 0.
fn quality(q: &str) -> u16 {
    q.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).map_or(0, |q| (q * 1000.0).round() as u16)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn q_values_decide_what_is_acceptable() {
        let chrome = accept("gzip, deflate, br, zstd");
        assert_eq!((accepted_quality(&chrome, "br"), accepted_quality(&chrome, "gzip")), (1000, 1000));
        assert_eq!(accepted_quality(&accept("gzip;q=0.5, br;q=0"), "br"), 0);
        assert_eq!(accepted_quality(&accept("gzip;q=0.5, br;q=0"), "gzip"), 500);
        assert_eq!(accepted_quality(&accept("GZIP; q=0.25"), "gzip"), 250);
        assert_eq!(accepted_quality(&accept("*;q=0.3, br;q=0"), "gzip"), 300);
        assert_eq!(accepted_quality(&accept("*;q=0.3, br;q=0"), "br"), 0);
        assert_eq!(accepted_quality(&accept("identity"), "gzip"), 0);
        assert_eq!(accepted_quality(&HeaderMap::new(), "gzip"), 0);
        for nonsense in ["gzip;q=2", "gzip;q=-1", "gzip;q=abc", "gzip;q="] {
            assert_eq!(accepted_quality(&accept(nonsense), "gzip"), 0, "{nonsense}");
        }
    }
}
