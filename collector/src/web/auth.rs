//! Logins for the web UI: argon2id password hashes (set from the CLI), server-side sessions in a
//! cookie (HttpOnly, SameSite=Strict), and CSRF protection of the two forms (login, logout).
//!
//! The session cookie holds 32 random bytes; the database holds only their SHA-256, so a copy of
//! the database opens no session. CSRF: SameSite=Strict already keeps cookies off cross-site
//! requests; the forms also repeat a random token from a Strict cookie (double submit), and a
//! POST whose `Origin` names another host is refused.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::Form;
use axum::extract::State;
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

/// Where to go after logging in: only a path of this site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/certificates".into(),
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
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<LoginForm>,
) -> Response {
    let mut ctx = Ctx::public(&app, &headers, &uri);
    let next = safe_next(form.next.as_deref());
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
    // Argon2 takes tens of milliseconds of CPU: off the async threads. An unknown user is
    // checked against a dummy hash so both cases take the same time.
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
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", ""] {
            assert_eq!(safe_next(Some(bad)), "/certificates", "{bad}");
        }
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
