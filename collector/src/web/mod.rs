//! The web UI: server-rendered HTML in French and English, no JavaScript.
//!
//! Every page handler starts with [`Ctx::guard`]: it picks the language (`?lang=`, then the
//! `reprise_lang` cookie, then Accept-Language, then French), and checks the session cookie or
//! sends the browser to `/login` — unless the server runs with `--no-login`, where it serves
//! only requests made on this machine: none that came through a proxy (forwarding headers) or
//! names another host (DNS rebinding). Pages are plain strings built with
//! [`crate::util::esc`] around every value that did not come from this file.

pub mod auth;
pub mod cert;
pub mod images;
pub mod list;
pub mod lots;
pub mod stations;
pub mod stats;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use reprise_cert::Language;

use crate::store::Store;
use crate::util::esc;

/// Who may enrol a station key from a PXE boot (see `collector/README.md`, security model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PxeEnroll {
    /// Nobody: PXE-booted machines need their key enrolled from the CLI (they cannot upload).
    None,
    /// Machines marked for automatic mode (by MAC or subnet) get a one-time token.
    Marked,
    /// Every machine that fetches `boot.ipxe` gets a one-time token.
    All,
}

/// What every handler shares.
#[derive(Debug)]
pub struct App {
    pub store: Arc<dyn Store>,
    /// Base URL of the collector as machines and browsers reach it (no trailing slash); when not
    /// set, `http://<Host header>` of each request.
    pub public_url: Option<String>,
    /// Where the PXE boot files (`pxe::BOOT_FILES`) are, if served.
    pub boot_dir: Option<PathBuf>,
    /// GRUB's name for the collector's TFTP server (`(tftp,HOST:PORT)`, `pxe::grub_tftp_device`)
    /// when it serves UEFI network boots (`serve --tftp`).
    pub grub_tftp: Option<String>,
    /// Pages need a login: always, unless `--no-login` (loopback only, checked at start).
    pub require_login: bool,
    pub pxe_enroll: PxeEnroll,
    /// How long a PXE enrolment token stays valid, in seconds.
    pub token_lifetime_s: i64,
    /// At most this many tokens minted per MAC within a token lifetime.
    pub tokens_per_mac: u32,
    /// Login attempts per client and minute, and the argon2 checks running at once.
    pub logins: auth::LoginLimiter,
    /// Signs the answers to the stations' hellos; its fingerprint goes into PXE scripts.
    pub server_key: crate::server_key::ServerKey,
    /// Where the image files are (`images.rs`); `None` (PostgreSQL without `--images`): no
    /// image file is served.
    pub images_dir: Option<PathBuf>,
    /// The département's server (`serve --workshop-name --report-workshop`): the workshops the
    /// donor's report covers, this database first; empty: the report is this database's.
    pub workshops: Vec<Workshop>,
}

/// A workshop of the département and its database (only read, except the first: the serving
/// one).
#[derive(Debug)]
pub struct Workshop {
    pub name: String,
    pub store: Arc<dyn Store>,
}

impl App {
    /// The base URL for links that leave the browser (QR codes, pages named in API answers).
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_string();
        }
        Self::request_url(headers)
    }

    /// The base URL a PXE-booted agent is given (`reprise.server=`): the public URL when it is
    /// `http://`, else the address this request reached. The agent speaks plain HTTP only (its
    /// trust in the server is the signed exchange with the pinned server key); iPXE fetched
    /// this very script over plain HTTP, so that address reaches the collector.
    pub fn agent_base_url(&self, headers: &HeaderMap) -> String {
        match &self.public_url {
            Some(u) if u.starts_with("http://") => u.trim_end_matches('/').to_string(),
            _ => Self::request_url(headers),
        }
    }

    /// `http://<the Host of the request>` (a Host that is not a plain host name: `localhost`).
    fn request_url(headers: &HeaderMap) -> String {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    /// Cookies get `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Headers a reverse proxy adds to the requests it forwards.
pub const FORWARDING_HEADERS: [&str; 5] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// The forwarding header a request carries, if any: it came through a proxy.
pub fn forwarded_by(headers: &HeaderMap) -> Option<&'static str> {
    FORWARDING_HEADERS
        .into_iter()
        .find(|h| headers.contains_key(*h))
}

/// Whether a host name (from a URL or a Host header, port and brackets allowed) names this
/// machine: `localhost`, `*.localhost`, or a loopback address.
pub fn is_loopback_host(host: &str) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((name, "")) => (name, None),
            Some((name, rest)) => (name, Some(rest.strip_prefix(':').unwrap_or("x"))),
            None => return false,
        },
        None if host.matches(':').count() > 1 => (host, None),
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Who is asking, for limits per client: the peer address, or — when the peer is this machine
/// and the request came through a proxy — the address the proxy names last in
/// `X-Forwarded-For` (the one it appended: earlier entries are the client's own words).
/// IPv6 clients count per /64 (one host can hold a whole /64).
pub fn client_of(peer: SocketAddr, headers: &HeaderMap) -> String {
    let mut ip = crate::pxe::unmap(peer.ip());
    if ip.is_loopback()
        && let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|a| a.trim().parse::<IpAddr>().ok())
    {
        ip = crate::pxe::unmap(last);
    }
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}

/// A cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A query parameter of `uri` (percent-decoded).
pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let q = uri.query()?;
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(q);
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn serde_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{q}").parse().unwrap_or_default(),
    )
    .map(|axum::extract::Query(v)| v)
    .unwrap_or_default()
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The language from Accept-Language: the first of French or English by preference.
fn accept_language(headers: &HeaderMap) -> Option<Language> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(u32, Language)> = None;
    for (i, part) in value.split(',').enumerate() {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next()?.trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = if tag == "fr" || tag.starts_with("fr-") {
            Language::Fr
        } else if tag == "en" || tag.starts_with("en-") {
            Language::En
        } else {
            continue;
        };
        // Rank by q (in thousandths), then by position.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = (q.clamp(0.0, 1.0) * 1000.0) as u32 * 1000 + (999 - i.min(999) as u32);
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// Label in the page language.
pub fn t(lang: Language, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        Language::En => en,
        Language::Fr => fr,
    }
}

pub fn lang_code(lang: Language) -> &'static str {
    match lang {
        Language::En => "en",
        Language::Fr => "fr",
    }
}

/// The request context of a page: language, viewer, cookies to set.
#[derive(Debug)]
pub struct Ctx {
    pub lang: Language,
    pub user: Option<String>,
    pub csrf: String,
    pub uri: Uri,
    set_cookies: Vec<String>,
}

impl Ctx {
    /// Context of a page anyone may see (the login page).
    pub fn public(app: &App, headers: &HeaderMap, uri: &Uri) -> Ctx {
        let mut set_cookies = Vec::new();
        let secure = if app.secure_cookies() { "; Secure" } else { "" };
        let lang = match query_param(uri, "lang").and_then(|l| l.parse::<Language>().ok()) {
            Some(l) => {
                set_cookies.push(format!(
                    "reprise_lang={}; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly{secure}",
                    lang_code(l)
                ));
                l
            }
            None => cookie(headers, "reprise_lang")
                .and_then(|l| l.parse().ok())
                .or_else(|| accept_language(headers))
                .unwrap_or(Language::Fr),
        };
        // The CSRF token of the few forms (login, logout): a random value in a Strict cookie
        // that the form repeats (double submit); a cross-site form cannot read or send it.
        let csrf = match cookie(headers, auth::CSRF_COOKIE).filter(|c| auth::plausible_token(c)) {
            Some(c) => c,
            None => {
                let c = crate::util::random_token().unwrap_or_default();
                set_cookies.push(format!(
                    "{}={c}; Path=/; SameSite=Strict; HttpOnly{secure}",
                    auth::CSRF_COOKIE
                ));
                c
            }
        };
        Ctx {
            lang,
            user: None,
            csrf,
            uri: uri.clone(),
            set_cookies,
        }
    }

    /// Context of a protected page: Err is the response to send instead (to the login page, or
    /// a refusal in `--no-login` mode for a request that did not come from this machine).
    pub async fn guard(app: &App, headers: &HeaderMap, uri: &Uri) -> Result<Ctx, Response> {
        let mut ctx = Ctx::public(app, headers, uri);
        if !app.require_login {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let refusal = if let Some(h) = forwarded_by(headers) {
                Some(format!(
                    "{} ({h})",
                    t(
                        ctx.lang,
                        "This collector runs without logins (--no-login) and serves this machine \
                         only: this request came through a proxy",
                        "Ce collecteur fonctionne sans connexion (--no-login) et ne sert que \
                         cette machine : cette requête est passée par un proxy",
                    )
                ))
            } else if !is_loopback_host(host) {
                Some(format!(
                    "{} ({host:?})",
                    t(
                        ctx.lang,
                        "This collector runs without logins (--no-login) and answers only to \
                         a loopback name, not to",
                        "Ce collecteur fonctionne sans connexion (--no-login) et ne répond \
                         qu'à un nom de cette machine, pas à",
                    )
                ))
            } else {
                None
            };
            if let Some(text) = refusal {
                return Err(ctx.message(StatusCode::FORBIDDEN, &text));
            }
        }
        if let Some(token) = cookie(headers, auth::SESSION_COOKIE) {
            match app
                .store
                .session(crate::util::sha256_hex(&token), crate::util::now())
                .await
            {
                Ok(Some(s)) => ctx.user = Some(s.user),
                Ok(None) => {}
                Err(e) => return Err(ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e)),
            }
        }
        if app.require_login && ctx.user.is_none() {
            let next = uri
                .path_and_query()
                .map_or("/".to_string(), |p| p.as_str().to_string());
            let mut resp = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/login?next={}", enc(&next))) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            ctx.apply(&mut resp);
            return Err(resp);
        }
        Ok(ctx)
    }

    pub fn add_cookie(&mut self, cookie: String) {
        self.set_cookies.push(cookie);
    }

    /// Adds the context's cookies to a response.
    pub fn apply(&self, resp: &mut Response) {
        for c in &self.set_cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }

    /// An HTML page in the common frame.
    pub fn page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let html = layout(self, title, body);
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // No script anywhere, styles inline, forms to this site only, never in a frame.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        self.apply(&mut resp);
        resp
    }

    /// An error page naming the error chain.
    pub fn error(&self, status: StatusCode, err: &dyn std::error::Error) -> Response {
        self.message(status, &crate::util::error_chain(err))
    }

    pub fn message(&self, status: StatusCode, text: &str) -> Response {
        let title = t(self.lang, "Error", "Erreur");
        self.page(
            status,
            title,
            &format!(
                "<h1>{} {}</h1>\n<p class=\"err\">{}</p>\n",
                status.as_u16(),
                esc(title),
                esc(text)
            ),
        )
    }

    /// The current URL with `lang` set to `code`.
    fn with_lang(&self, code: &str) -> String {
        let mut pairs: Vec<(String, String)> = self
            .uri
            .query()
            .map(serde_urlencoded_pairs)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "lang")
            .collect();
        pairs.push(("lang".into(), code.into()));
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        format!("{}?{}", self.uri.path(), q.join("&"))
    }
}

const STYLE: &str = "
body { font-family: sans-serif; margin: 0; color: #111; background: #fff; }
header { background: #1d3d5c; color: #fff; padding: 6px 16px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; }
header a { color: #fff; text-decoration: none; font-weight: bold; }
header .right { margin-left: auto; display: flex; gap: 10px; align-items: center; }
header form { margin: 0; }
main { padding: 12px 16px; }
h1 { font-size: 1.35em; margin: 8px 0 12px 0; }
h2 { font-size: 1.1em; margin: 16px 0 6px 0; border-bottom: 1px solid #999; }
table { border-collapse: collapse; }
table.list { width: 100%; font-size: 0.9em; }
table.list th, table.list td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
table.list th { background: #eef2f6; }
td.k { color: #333; padding-right: 12px; vertical-align: top; white-space: nowrap; }
td { word-break: break-word; }
table.list td.num { text-align: right; white-space: nowrap; padding-left: 12px; }
.mono { font-family: monospace; font-size: 0.9em; }
.ok { color: #0a6b2b; font-weight: bold; }
.bad { color: #a40000; font-weight: bold; }
.warn { color: #8a5a00; font-weight: bold; }
.err { color: #a40000; }
form.search, div.search { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; margin-bottom: 10px; }
form.search label, div.search label { display: flex; flex-direction: column; font-size: 0.85em; }
.box { border: 1px solid #999; padding: 8px 12px; margin: 8px 0; }
.pager { margin: 10px 0; display: flex; gap: 14px; }
.cert-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; }
.qr svg { width: 36mm; height: 36mm; }
@media print {
  header, .noprint, form { display: none !important; }
  main { padding: 0; }
  body { font-size: 9pt; }
}
";

fn layout(ctx: &Ctx, title: &str, body: &str) -> String {
    let l = ctx.lang;
    let user = match &ctx.user {
        Some(u) => format!(
            "<span>{}</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" \
             name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            esc(u),
            esc(&ctx.csrf),
            t(l, "Log out", "Se déconnecter")
        ),
        None => String::new(),
    };
    let switch = match l {
        Language::Fr => format!(
            "<a href=\"{}\" lang=\"en\" hreflang=\"en\">English</a>",
            esc(&ctx.with_lang("en"))
        ),
        Language::En => format!(
            "<a href=\"{}\" lang=\"fr\" hreflang=\"fr\">Français</a>",
            esc(&ctx.with_lang("fr"))
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} — Reprise</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><a href=\"/certificates\">Reprise</a>\
         <a href=\"/certificates\">{certs}</a><a href=\"/stations\">{stations}</a>\
         <a href=\"/stats\">{stats}</a><a href=\"/lots\">{lots}</a><a href=\"/report\">{report}</a>\
         <a href=\"/images\">{images}</a>\
         <span class=\"right\">{switch}{user}</span></header>\n\
         <main>\n{body}</main>\n</body>\n</html>\n",
        code = lang_code(l),
        title = esc(title),
        certs = t(l, "Certificates", "Certificats"),
        stations = t(l, "Stations", "Stations"),
        stats = t(l, "Statistics", "Statistiques"),
        images = t(l, "Images", "Images"),
        lots = t(l, "Lots", "Lots"),
        report = t(l, "Donor's report", "Rapport au donateur"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(al: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(al).unwrap());
        h
    }

    #[test]
    fn accept_language_picks_french_or_english_by_preference() {
        assert_eq!(
            accept_language(&headers("en-GB,en;q=0.9,fr;q=0.8")),
            Some(Language::En)
        );
        assert_eq!(
            accept_language(&headers("de-DE,fr-FR;q=0.7,en;q=0.5")),
            Some(Language::Fr)
        );
        assert_eq!(
            accept_language(&headers("en;q=0.2, fr")),
            Some(Language::Fr)
        );
        assert_eq!(accept_language(&headers("de")), None);
    }

    #[test]
    fn loopback_hosts_are_named_or_numbered_as_this_machine() {
        for host in [
            "localhost",
            "localhost:8080",
            "LOCALHOST.",
            "reprise.localhost:80",
            "127.0.0.1",
            "127.0.0.2:8080",
            "[::1]:8080",
            "::1",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "collector.example",
            "10.0.5.1:8080",
            "[fd00::1]:80",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "localhost:80.evil.example",
            "[::1]evil",
            "localhost:",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_client_is_its_address_or_what_a_local_proxy_appended() {
        let mut h = HeaderMap::new();
        let far: SocketAddr = "203.0.113.9:4000".parse().unwrap();
        let near: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        assert_eq!(client_of(far, &h), "203.0.113.9");
        assert_eq!(client_of(near, &h), "127.0.0.1");
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 198.51.100.7"),
        );
        assert_eq!(client_of(near, &h), "198.51.100.7");
        assert_eq!(
            client_of(far, &h),
            "203.0.113.9",
            "only a local proxy is heard"
        );
        let v6: SocketAddr = "[2001:db8:1:2:3:4:5:6]:80".parse().unwrap();
        assert_eq!(client_of(v6, &HeaderMap::new()), "2001:db8:1:2::/64");
    }

    #[test]
    fn query_values_are_encoded_and_decoded() {
        let uri: Uri = format!("/certificates?site={}&lang=en", enc("Lycée & Co"))
            .parse()
            .unwrap();
        assert_eq!(query_param(&uri, "site").as_deref(), Some("Lycée & Co"));
        assert_eq!(query_param(&uri, "lang").as_deref(), Some("en"));
        assert_eq!(query_param(&uri, "nothing"), None);
    }
}
