//! The frontend served from a set embedded with `rust-embed`, as a release
//! binary does: pages, content types, precompressed variants, gzip, ETags
//! and 404s. The set here is
//! a test-only folder (`tests/fixtures/embedded`), so the test does not
//! depend on the frontend having been built.

mod common;

use backend::assets::Assets;
use common::*;
use rust_embed::RustEmbed;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(RustEmbed)]
#[folder = "tests/fixtures/embedded"]
struct Fixture;

async fn embedded_server() -> Server {
    Server::start_with(|c| c.assets = Assets::Embedded(Arc::new(Fixture))).await
}

/// A raw HTTP/1.1 request; returns the status, the header block (lower
/// case) and the body bytes.
async fn request(server: &Server, method: &str, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await.unwrap().unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let headers = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let status = headers.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, headers, response[split + 4..].to_vec())
}

#[tokio::test]
async fn pages_come_from_the_embedded_set() {
    let server = embedded_server().await;
    for path in ["/", "/r/some-private_room"] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("Likewise embedded test"), "{path}: {body}");
    }
    let (status, headers, _) = request(&server, "GET", "/", "").await;
    assert_eq!(status, 200);
    assert!(headers.contains("content-type: text/html"), "{headers}");
}

#[tokio::test]
async fn assets_have_their_content_type_and_unknown_ones_are_404() {
    let server = embedded_server().await;
    let (status, headers, body) = request(&server, "GET", "/app.css", "").await;
    assert_eq!(status, 200);
    assert!(headers.contains("content-type: text/css"), "{headers}");
    assert!(body.starts_with(b"body { margin: 0;"));
    let (status, headers, body) = request(&server, "GET", "/app.wasm", "").await;
    assert_eq!(status, 200);
    assert!(headers.contains("content-type: application/wasm"), "{headers}");
    assert_eq!(&body[..4], b"\0asm");
    for missing in ["/nope.js", "/snippets/", "/../Cargo.toml", "/app.css/..", "//etc/passwd"] {
        assert_eq!(request(&server, "GET", missing, "").await.0, 404, "{missing}");
    }
    assert_eq!(request(&server, "POST", "/app.css", "Content-Length: 0\r\n").await.0, 405);
    let (status, _, body) = request(&server, "HEAD", "/app.wasm", "").await;
    assert_eq!((status, body.len()), (200, 0));
}

#[tokio::test]
async fn embedded_assets_are_gzipped_and_revalidated_by_etag() {
    // app.wasm has no precompressed variants: the compression layer
    // gzips it per request.
    let server = embedded_server().await;
    let (status, headers, body) = request(&server, "GET", "/app.wasm", "Accept-Encoding: gzip\r\n").await;
    assert_eq!(status, 200);
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    assert!(body.len() < 1000, "2008 bytes of repetitive wasm compress well: {} bytes", body.len());
    let etag = headers.lines().find_map(|l| l.strip_prefix("etag: ")).expect("an etag").to_owned();
    let (status, _, body) = request(&server, "GET", "/app.wasm", &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!((status, body.len()), (304, 0));
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/embedded/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// What a server sends for `/app.css` (beside which the fixture has
/// `app.css.br` and `app.css.gz`, as build-frontend.sh writes them) to a
/// client that sends `accept`: the content coding and the body.
async fn negotiate(server: &Server, accept: &str) -> (Option<String>, Vec<u8>, String) {
    let extra = if accept.is_empty() { String::new() } else { format!("Accept-Encoding: {accept}\r\n") };
    let (status, headers, body) = request(server, "GET", "/app.css", &extra).await;
    assert_eq!(status, 200, "{accept}: {headers}");
    assert!(headers.contains("content-type: text/css"), "{accept}: {headers}");
    assert!(headers.contains("vary: accept-encoding"), "{accept}: {headers}");
    let coding = headers.lines().find_map(|l| l.strip_prefix("content-encoding: ")).map(str::to_owned);
    (coding, body, headers)
}

async fn precompressed_variants_are_negotiated(server: &Server) {
    let (plain, br, gz) = (fixture("app.css"), fixture("app.css.br"), fixture("app.css.gz"));
    // The fixture's gzip variant really is app.css (zopfli writes gzip's format).
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain);
    let cases: [(&str, Option<&str>, &[u8]); 6] = [
        ("gzip, deflate, br, zstd", Some("br"), &br),
        ("gzip, deflate", Some("gzip"), &gz),
        ("br;q=0.5, gzip", Some("gzip"), &gz),
        ("gzip;q=0, br;q=0", None, &plain),
        ("identity", None, &plain),
        ("", None, &plain),
    ];
    for (accept, coding, body) in cases {
        let (sent, sent_body, headers) = negotiate(server, accept).await;
        assert_eq!(sent.as_deref(), coding, "{accept}: {headers}");
        assert!(sent_body == body, "{accept}: {} bytes sent, {} expected", sent_body.len(), body.len());
    }
}

#[tokio::test]
async fn the_embedded_set_sends_the_variant_the_browser_accepts() {
    let server = embedded_server().await;
    precompressed_variants_are_negotiated(&server).await;
    // Each variant has its own ETag: revalidating the brotli answer with
    // its tag gives 304, with the gzip one's tag a fresh 200.
    let (_, _, br_headers) = negotiate(&server, "br").await;
    let (_, _, gz_headers) = negotiate(&server, "gzip").await;
    let tag = |h: &str| h.lines().find_map(|l| l.strip_prefix("etag: ")).expect("an etag").to_owned();
    assert_ne!(tag(&br_headers), tag(&gz_headers));
    let revalidate = |tag: String| format!("Accept-Encoding: br\r\nIf-None-Match: {tag}\r\n");
    assert_eq!(request(&server, "GET", "/app.css", &revalidate(tag(&br_headers))).await.0, 304);
    assert_eq!(request(&server, "GET", "/app.css", &revalidate(tag(&gz_headers))).await.0, 200);
}

#[tokio::test]
async fn a_folder_sends_the_variant_the_browser_accepts() {
    let dir = format!("{}/tests/fixtures/embedded", env!("CARGO_MANIFEST_DIR"));
    let server = Server::start_with(|c| c.assets = Assets::Dir(dir.into())).await;
    precompressed_variants_are_negotiated(&server).await;
}

#[tokio::test]
async fn the_binary_s_own_set_serves_the_page_or_says_how_to_build_it() {
    // The real embedded frontend: present after `trunk build`, absent on a
    // fresh checkout; either way the answer is clear.
    let server = Server::start_with(|c| c.assets = Assets::embedded()).await;
    let (status, body) = server.get("/").await;
    if Assets::embedded().has_index() {
        assert_eq!(status, 200, "{body}");
    } else {
        assert_eq!(status, 503);
        assert!(body.contains("--dist"), "{body}");
    }
    assert_eq!(server.get("/definitely-not-an-asset.js").await.0, 404);
}
