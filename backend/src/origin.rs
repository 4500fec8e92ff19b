//! Which web pages may open a WebSocket to this server.
//!
//! Browsers apply no same-origin policy to WebSockets: any page on any site
//! can open `ws://our-host/ws/public` and drive our rooms from its visitors'
//! browsers (cross-site WebSocket hijacking, or just someone embedding the
//! lab in their page at our expense). What browsers *do* is send an `Origin`
//! header with every handshake, which a page cannot forge. So the server
//! checks it before upgrading:
//!
//! - no `Origin` at all: allowed. Only browsers send it; our own tests, the
//!   load generator and other non-browser clients do not, and a non-browser
//!   client could send any header it likes anyway — this check protects
//!   people's browsers, not the server (that is what `limits` is for);
//! - an `Origin` whose `host[:port]` equals the request's `Host` header:
//!   allowed. That is a page this very server served, whatever name or
//!   address it was reached by, with no configuration;
//! - an origin listed with `--allowed-origin` (e.g. when the page is served
//!   from another host than the WebSocket): allowed; `*` allows every origin;
//! - anything else, `null` included (sandboxed frames, `file://` pages): HTTP
//!   403 with a plain-text reason, and no upgrade.
//!
//! Behind a reverse proxy, the proxy must pass the client's `Host` header
//! through unchanged (nginx: `proxy_set_header Host $http_host;`, see
//! `deploy/nginx.conf`), or list the public origin with `--allowed-origin`.

use axum::http::HeaderValue;

/// The configured allowlist. Empty means "pages from this host only".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    /// Normalized `scheme://host[:port]`, lower case, no trailing slash.
    origins: Vec<String>,
    any: bool,
}

/// A `--allowed-origin` value that is not `scheme://host[:port]` or `*`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid origin {0:?}: expected scheme://host[:port] (e.g. https://likewise.example), or * for any")]
pub struct InvalidOrigin(pub String);

/// Why a handshake was refused; the `Display` text is the 403 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "WebSocket connections from origin {origin} are not allowed here: only pages served by this host{extra} may \
     connect (the server's operator can allow more with --allowed-origin)"
)]
pub struct OriginRefused {
    pub origin: String,
    extra: String,
}

impl AllowedOrigins {
    /// Parses `--allowed-origin` values (each may itself be a comma-separated
    /// list, as the environment variable is).
    pub fn parse<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Result<AllowedOrigins, InvalidOrigin> {
        let mut allowed = AllowedOrigins::default();
        for value in values {
            for item in value.as_ref().split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if item == "*" {
                    allowed.any = true;
                    continue;
                }
                let normalized = item.trim_end_matches('/').to_ascii_lowercase();
                let authority = normalized
                    .strip_prefix("https://")
                    .or_else(|| normalized.strip_prefix("http://"))
                    .ok_or_else(|| InvalidOrigin(item.to_owned()))?;
                // An origin has no path, query, user info or whitespace.
                if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
                    return Err(InvalidOrigin(item.to_owned()));
                }
                allowed.origins.push(normalized);
            }
        }
        Ok(allowed)
    }

    /// Checks a handshake's `Origin` against its `Host` and the allowlist.
    pub fn check(&self, origin: Option<&HeaderValue>, host: Option<&HeaderValue>) -> Result<(), OriginRefused> {
        let Some(origin) = origin else { return Ok(()) };
        if self.any {
            return Ok(());
        }
        // A header that is not visible ASCII cannot match anything.
        let origin_text = origin.to_str().unwrap_or("").trim().to_ascii_lowercase();
        let authority = origin_text.strip_prefix("https://").or_else(|| origin_text.strip_prefix("http://"));
        let host = host.and_then(|h| h.to_str().ok()).map(|h| h.trim().to_ascii_lowercase());
        let same_host = matches!((authority, host.as_deref()), (Some(a), Some(h)) if !a.is_empty() && a == h);
        if same_host || self.origins.contains(&origin_text) {
            return Ok(());
        }
        let extra = if self.origins.is_empty() { String::new() } else { format!(" or {}", self.origins.join(", ")) };
        // Quote what we got, but never echo an unbounded header back.
        let shown: String = String::from_utf8_lossy(origin.as_bytes()).chars().take(200).collect();
        Err(OriginRefused { origin: shown, extra })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn same_host_and_no_origin_are_allowed_by_default() {
        let allowed = AllowedOrigins::default();
        assert!(allowed.check(None, Some(&hv("example.org"))).is_ok());
        assert!(allowed.check(Some(&hv("https://Example.org")), Some(&hv("example.org"))).is_ok());
        assert!(allowed.check(Some(&hv("http://127.0.0.1:8080")), Some(&hv("127.0.0.1:8080"))).is_ok());
        for foreign in ["https://evil.example", "http://127.0.0.1:9999", "null", "example.org", "https://"] {
            let err = allowed.check(Some(&hv(foreign)), Some(&hv("example.org"))).unwrap_err();
            assert!(err.to_string().contains(foreign), "{err}");
        }
        // No Host header: only the allowlist can admit a browser.
        assert!(allowed.check(Some(&hv("https://example.org")), None).is_err());
    }

    #[test]
    fn listed_origins_and_the_wildcard() {
        let allowed = AllowedOrigins::parse(["https://likewise.example/, http://localhost:3000"]).unwrap();
        assert!(allowed.check(Some(&hv("https://likewise.example")), Some(&hv("backend:8080"))).is_ok());
        assert!(allowed.check(Some(&hv("http://localhost:3000")), Some(&hv("backend:8080"))).is_ok());
        let err = allowed.check(Some(&hv("https://evil.example")), Some(&hv("backend:8080"))).unwrap_err();
        assert!(err.to_string().contains("or https://likewise.example, http://localhost:3000"), "{err}");
        let any = AllowedOrigins::parse(["*"]).unwrap();
        assert!(any.check(Some(&hv("https://evil.example")), None).is_ok());
    }

    #[test]
    fn malformed_origins_are_rejected_at_startup() {
        for bad in ["likewise.example", "ftp://x", "https://x/path", "https://user@x", "https://"] {
            assert_eq!(AllowedOrigins::parse([bad]), Err(InvalidOrigin(bad.to_owned())), "{bad}");
        }
        assert_eq!(AllowedOrigins::parse(["", " , "]), Ok(AllowedOrigins::default()));
    }
}
