//! Logins for the web UI: argon2id password hashes (set from the CLI), server-side sessions in a
//! cookie (HttpOnly, SameSite=Strict), and CSRF protection of the two forms (login, logout).
//!
//! The session cookie holds 32 random bytes; the database holds only their SHA-256, so a copy of
//! the database opens no session. CSRF: SameSite=Strict already keeps cookies off cross-site
//! requests; the forms also repeat a random token from a Strict cookie (double submit), and a
//! POST whose `Origin` names another host is refused.
//!
//! Argon2 is costly by design, so logins are limited ([`LoginLimiter`]): a number of attempts
//! per client ([`super::client_of`]) and minute, and as many checks at once as the machine has
//! cores (the others wait their turn).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{App, Ctx, t};
use crate::store::Session;
use crate::util::{esc, random_token, sha256_hex};

pub const SESSION_COOKIE: &str = "reprise_session";
pub const CSRF_COOKIE: &str = "reprise_csrf";
/// Sessions last a working day.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// The argon2id PHC string of a password (random salt, default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a stored PHC string (false for a malformed one).
pub fn check_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).ok().is_some_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A token we could have issued: 64 hex digits.
pub fn plausible_token(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Equality in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A POST is ours: the form repeats the CSRF cookie, and the Origin (when sent) is this host.
pub fn csrf_ok(headers: &HeaderMap, form_token: &str) -> bool {
    let cookie_ok = super::cookie(headers, CSRF_COOKIE)
        .is_some_and(|c| plausible_token(&c) && same(&c, form_token));
    let origin_ok = match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            origin
                .split_once("://")
                .is_some_and(|(_, h)| !host.is_empty() && h == host)
        }
    };
    cookie_ok && origin_ok
}

/// Where to go after logging in: only a path of this site. Browsers drop tabs and line breaks
/// from a URL and read `\` as `/`, so `/<tab>/evil.example` or `/\evil.example` would leave the
/// site: a `next` with anything but visible ASCII other than `\`, or that starts with `//`,
/// is replaced by the list.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.into()
        }
        _ => "/certificates".into(),
    }
}

/// Logins per client and minute, and argon2 checks at once.
#[derive(Debug)]
pub struct LoginLimiter {
    per_minute: u32,
    /// Per client: when its minute started, and its attempts in it.
    clients: Mutex<HashMap<String, (Instant, u32)>>,
    checks: tokio::sync::Semaphore,
}

/// Clients remembered at once; past it, expired windows are forgotten, and if every one is
/// still running a new client waits for the oldest to end (the table cannot grow without bound).
const MAX_CLIENTS: usize = 4096;
const WINDOW: Duration = Duration::from_secs(60);

impl LoginLimiter {
    /// `per_minute` attempts per client; argon2 checks at once: the machine's cores.
    pub fn new(per_minute: u32) -> LoginLimiter {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        LoginLimiter {
            per_minute,
            clients: Mutex::new(HashMap::new()),
            checks: tokio::sync::Semaphore::new(cores),
        }
    }

    /// Counts an attempt of `client` now; Err is how long to wait before the next one.
    pub fn admit(&self, client: &str) -> Result<(), Duration> {
        self.admit_at(client, Instant::now())
    }

    fn admit_at(&self, client: &str, now: Instant) -> Result<(), Duration> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !clients.contains_key(client) && clients.len() >= MAX_CLIENTS {
            clients.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if clients.len() >= MAX_CLIENTS {
                let oldest = clients.values().map(|(start, _)| *start).min();
                return Err(oldest.map_or(WINDOW, |o| WINDOW.saturating_sub(now - o)));
            }
        }
        let (start, count) = clients.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            return Err(WINDOW.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        Ok(())
    }
}

fn login_body(ctx: &Ctx, next: &str, error: Option<&str>) -> String {
    let l = ctx.lang;
    format!(
        "<h1>{title}</h1>\n{err}<form method=\"post\" action=\"/login\" class=\"box\" \
         style=\"max-width: 22em\">\n<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <p><label>{user}<br><input name=\"user\" autocomplete=\"username\" required></label></p>\n\
         <p><label>{pw}<br><input name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required></label></p>\n\
         <p><button type=\"submit\">{go}</button></p>\n</form>\n",
        title = t(l, "Log in", "Connexion"),
        err = error.map_or(String::new(), |e| format!(
            "<p class=\"err\">{}</p>\n",
            esc(e)
        )),
        csrf = esc(&ctx.csrf),
        next = esc(next),
        user = t(l, "User", "Utilisateur"),
        pw = t(l, "Password", "Mot de passe"),
        go = t(l, "Log in", "Se connecter"),
    )
}

/// `GET /login`
pub async fn login_page(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = Ctx::public(&app, &headers, &uri);
    let next = safe_next(super::query_param(&uri, "next").as_deref());
    ctx.page(
        StatusCode::OK,
        t(ctx.lang, "Log in", "Connexion"),
        &login_body(&ctx, &next, None),
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /login`
pub async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<LoginForm>,
) -> Response {
    let mut ctx = Ctx::public(&app, &headers, &uri);
    let next = safe_next(form.next.as_deref());
    if let Err(wait) = app.logins.admit(&super::client_of(peer, &headers)) {
        let msg = t(
            ctx.lang,
            "Too many login attempts from here: wait a minute.",
            "Trop de tentatives de connexion d'ici : attendez une minute.",
        );
        let mut resp = ctx.page(
            StatusCode::TOO_MANY_REQUESTS,
            t(ctx.lang, "Log in", "Connexion"),
            &login_body(&ctx, &next, Some(msg)),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    if !csrf_ok(&headers, &form.csrf) {
        let msg = t(
            ctx.lang,
            "The form expired or came from another site: try again.",
            "Le formulaire a expiré ou vient d'un autre site : recommencez.",
        );
        return ctx.page(
            StatusCode::FORBIDDEN,
            t(ctx.lang, "Log in", "Connexion"),
            &login_body(&ctx, &next, Some(msg)),
        );
    }
    let stored = match app.store.password_hash(form.user.clone()).await {
        Ok(h) => h,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    // Argon2 takes tens of milliseconds of CPU: off the async threads, as many at once as there
    // are cores. An unknown user is checked against a dummy hash so both cases take the same
    // time.
    let Ok(_turn) = app.logins.checks.acquire().await else {
        return ctx.message(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    };
    let password = form.password;
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(phc) => check_password(&password, &phc),
        None => {
            let _ = check_password(&password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false);
    if !ok {
        let msg = t(
            ctx.lang,
            "Wrong user or password.",
            "Utilisateur ou mot de passe incorrect.",
        );
        return ctx.page(
            StatusCode::UNAUTHORIZED,
            t(ctx.lang, "Log in", "Connexion"),
            &login_body(&ctx, &next, Some(msg)),
        );
    }
    let token = match random_token() {
        Ok(t) => t,
        Err(e) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let session = Session {
        user: form.user,
        expires_at: crate::util::in_seconds(SESSION_SECONDS),
    };
    if let Err(e) = app.store.create_session(sha256_hex(&token), session).await {
        return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e);
    }
    let secure = if app.secure_cookies() { "; Secure" } else { "" };
    ctx.add_cookie(format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict{secure}"
    ));
    redirect(&ctx, &next)
}

/// `POST /logout`
pub async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<CsrfForm>,
) -> Response {
    let mut ctx = Ctx::public(&app, &headers, &uri);
    if !csrf_ok(&headers, &form.csrf) {
        return ctx.message(
            StatusCode::FORBIDDEN,
            t(
                ctx.lang,
                "Refused: not sent from this site.",
                "Refusé : ne vient pas de ce site.",
            ),
        );
    }
    if let Some(token) = super::cookie(&headers, SESSION_COOKIE)
        && let Err(e) = app.store.delete_session(sha256_hex(&token)).await
    {
        return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e);
    }
    ctx.add_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
    ));
    redirect(&ctx, "/login")
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

fn redirect(ctx: &Ctx, to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    ctx.apply(&mut resp);
    resp
}

/// A valid argon2id hash of a random password nobody knows (timing of unknown users).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token().unwrap_or_default()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_check() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(check_password("correct horse", &h));
        assert!(!check_password("Correct horse", &h));
        assert!(!check_password("x", "not a hash"));
        assert!(!check_password("x", dummy_hash()));
        assert!(dummy_hash().starts_with("$argon2id$"));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/stats?site=a")), "/stats?site=a");
        assert_eq!(
            safe_next(Some("/certificates?site=Lyc%C3%A9e")),
            "/certificates?site=Lyc%C3%A9e"
        );
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/é",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/certificates", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/certificates");
    }

    #[test]
    fn logins_are_counted_per_client_and_minute() {
        let limiter = LoginLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.admit_at("198.51.100.7", t0), Ok(()));
        }
        let wait = limiter.admit_at("198.51.100.7", t0 + Duration::from_secs(20));
        assert_eq!(wait, Err(Duration::from_secs(40)));
        assert_eq!(
            limiter.admit_at("198.51.100.8", t0),
            Ok(()),
            "another client"
        );
        assert_eq!(
            limiter.admit_at("198.51.100.7", t0 + WINDOW),
            Ok(()),
            "a new minute"
        );
    }

    #[test]
    fn the_table_of_clients_stays_bounded() {
        let limiter = LoginLimiter::new(1);
        let t0 = Instant::now();
        for i in 0..MAX_CLIENTS {
            assert_eq!(limiter.admit_at(&format!("c{i}"), t0), Ok(()));
        }
        assert!(
            limiter.admit_at("late", t0).is_err(),
            "full of live windows"
        );
        assert_eq!(
            limiter.admit_at("late", t0 + WINDOW),
            Ok(()),
            "expired ones go"
        );
        assert!(limiter.clients.lock().unwrap().len() <= MAX_CLIENTS);
    }

    #[test]
    fn csrf_needs_the_cookie_repeated_and_no_foreign_origin() {
        let token = "a".repeat(64);
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; {CSRF_COOKIE}={token}")).unwrap(),
        );
        assert!(csrf_ok(&h, &token));
        assert!(!csrf_ok(&h, &"b".repeat(64)));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(csrf_ok(&h, &token));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!csrf_ok(&h, &token));
    }
}
