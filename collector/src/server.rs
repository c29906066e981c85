//! The HTTP server: routes, the PXE boot files and scripts, a panic in a handler turned into a
//! 500 for that request alone, and the listening loop (`conn`: caps and timeouts).
//!
//! URL scheme (stable; the agent and printed QR codes depend on it):
//!
//! | URL | what |
//! |---|---|
//! | `POST /api/v1/certificates` | upload a certificate (API) |
//! | `POST /api/v1/stations` | enrol a PXE station key with its one-time token (API) |
//! | `POST /api/v1/hello` | a station's signed hello, the server's signed answer (API) |
//! | `GET /api/v1/images` | the OS images the agents may deploy, as JSON (API) |
//! | `GET\|HEAD /api/v1/images/<name>[/<version>]` | an image's file, with HTTP ranges (API) |
//! | `GET /healthz` | liveness |
//! | `GET /c/<hex>` | the certificate page (QR code: `<public-url>/c/<hex of the digest>`) |
//! | `GET /c/<hex>.json` | the certificate file exactly as received |
//! | `GET /certificates` | list and search |
//! | `GET /certificates.csv` | the list as CSV, same filters |
//! | `GET /stations`, `GET /stations/<hex of the key id>` | stations and their chains |
//! | `GET /stats` | statistics per site and month |
//! | `GET /images` | the OS images kept here, and the PXE marks that name one |
//! | `GET /login`, `POST /login`, `POST /logout` | web sessions |
//! | `GET /boot.ipxe?mac=<MAC>` | the iPXE script of one machine (with `--boot-dir`) |
//! | `GET /boot/{vmlinuz,vmlinuz-bios,initrd.img}` | the live image's kernels and initramfs |
//! | `GET /boot/{bootx64.efi,grubx64.efi}` | shim and network GRUB, for the rack's TFTP root |
//! | `GET /grub/grub.cfg` | GRUB's first configuration, for the rack's TFTP root (with `--tftp`) |
//!
//! Over TFTP (`--tftp`, [`crate::tftp`]), for GRUB: `boot/<the files above>`, `grub/grub.cfg`,
//! and `grub/mac/<MAC>.cfg`, the configuration of one machine.

use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::io::ReaderStream;

use crate::pxe;
use crate::store::EnrollToken;
use crate::util;
use crate::web::{self, App, PxeEnroll};

/// All routes, each behind [`catch_panic`].
pub fn router(app: Arc<App>) -> Router {
    routes(app).layer(axum::middleware::from_fn(catch_panic))
}

fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/certificates") }))
        .route("/healthz", get(crate::api::health))
        .route("/api/v1/certificates", post(crate::api::upload))
        .route("/api/v1/records", post(crate::api::upload_record))
        .route("/api/v1/stations", post(crate::api::enroll))
        .route("/api/v1/hello", post(crate::api::hello))
        .route("/api/v1/images", get(crate::download::list))
        .route("/api/v1/images/{name}", get(crate::download::latest))
        .route(
            "/api/v1/images/{name}/{version}",
            get(crate::download::version),
        )
        .route("/certificates", get(web::list::list))
        .route("/certificates.csv", get(web::list::csv))
        .route("/c/{name}", get(web::cert::page))
        .route("/stations", get(web::stations::list))
        .route("/stations/{hex}", get(web::stations::page))
        .route("/stats", get(web::stats::page))
        .route("/images", get(web::images::page))
        .route("/lots", get(web::lots::lots))
        .route("/lots/{name}", get(web::lots::lot))
        .route("/lots/{name}/labels", get(web::lots::labels))
        .route("/laptops", get(web::lots::laptops))
        .route("/laptops/{serial}", get(web::lots::laptop))
        .route("/laptops/{serial}/events", post(web::lots::record))
        .route("/laptops/{serial}/parts", post(web::lots::record_parts))
        .route("/laptops/{serial}/export.json", get(web::lots::export))
        .route("/report", get(web::lots::report_page))
        .route("/report.csv", get(web::lots::report_csv))
        .route("/login", get(web::auth::login_page).post(web::auth::login))
        .route("/logout", post(web::auth::logout))
        .route("/boot.ipxe", get(boot_script))
        .route("/boot/{file}", get(boot_file))
        .route("/grub/grub.cfg", get(grub_rechain))
        .with_state(app)
}

// The collector's promise that no input stops it rests on unwinding: with `panic = "abort"`
// the first panicking request would end the server and every connection with it.
#[cfg(not(panic = "unwind"))]
compile_error!(
    "reprise-collector needs panic = \"unwind\" (see the workspace Cargo.toml and ARCHITECTURE.md)"
);

/// A future that turns a panic while it is polled into `Err` (the panic's message).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into()))),
        }
    }
}

/// A handler that panics answers 500 to its own request; the server, the other requests and
/// the connections go on (the panic's message and place are on stderr, from the panic hook).
/// Whatever it held is dropped: a store rule either committed or did not.
async fn catch_panic(req: Request, next: Next) -> Response {
    let what = format!("{} {}", req.method(), req.uri().path());
    match CatchUnwind(Box::pin(next.run(req))).await {
        Ok(resp) => resp,
        Err(message) => {
            eprintln!("{what}: the handler panicked ({message}); answered 500");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error: this request failed (the server goes on)\n".into(),
            )
        }
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// What the collector gives one network-booting machine, whichever way it boots.
#[derive(Debug)]
pub struct MachineBoot {
    pub mac: Option<String>,
    pub ip: IpAddr,
    /// Its automatic mode, when a mark gives it one.
    pub auto: Option<pxe::AutoMode>,
    /// A one-time token to enrol its station key (`--pxe-enroll`).
    pub token: Option<String>,
}

impl MachineBoot {
    /// What its boot script or configuration says: `base_url` is the agent's server, and the
    /// server key it pins is this collector's.
    fn input<'a>(&'a self, app: &'a App, base_url: &'a str) -> pxe::ScriptInput<'a> {
        pxe::ScriptInput {
            base_url,
            server_key_id: &app.server_key.key_id,
            mac: self.mac.as_deref(),
            ip: self.ip,
            auto: self.auto.as_ref(),
            enroll_token: self.token.as_deref(),
        }
    }
}

/// Decides for the machine with `mac` (if known) at `ip`: automatic mode only if marked, and a
/// one-time enrolment token as `--pxe-enroll` says. `Err`: the sentence to show on its screen
/// (without the marks nobody gets automatic mode).
pub async fn machine_boot(
    app: &App,
    mac: Option<String>,
    ip: IpAddr,
) -> Result<MachineBoot, String> {
    let ip = pxe::unmap(ip);
    let marks = app.store.marks().await.map_err(|e| {
        format!(
            "Reprise collector: {}",
            util::error_chain(&e).replace(['\n', '$', '"', '\\'], " ")
        )
    })?;
    let auto = pxe::decide(&marks, mac.as_deref(), ip);
    let want_token = match app.pxe_enroll {
        PxeEnroll::None => false,
        PxeEnroll::Marked => auto.is_some(),
        PxeEnroll::All => true,
    };
    let mut token = None;
    if want_token {
        let t =
            util::random_token().map_err(|e| format!("Reprise collector: no random token: {e}"))?;
        let issued = EnrollToken {
            token_hash: util::sha256_hex(&t),
            mac: mac.clone(),
            client_ip: ip.to_string(),
            site: auto
                .as_ref()
                .and_then(|a| a.site.clone())
                .unwrap_or_else(|| "PXE".into()),
            created_at: util::now(),
            expires_at: util::in_seconds(app.token_lifetime_s),
        };
        // At most --pxe-tokens-per-mac within a token's lifetime: a machine reboots a few
        // times; whoever asks in a loop (a spoofed MAC) gets no more.
        let since = util::in_seconds(-app.token_lifetime_s);
        match app
            .store
            .issue_token(issued, app.tokens_per_mac, since)
            .await
        {
            Ok(true) => token = Some(t),
            Ok(false) => eprintln!(
                "boot script for {} ({ip}): no enrolment token, {} already minted within {} min",
                mac.as_deref().unwrap_or("no MAC"),
                app.tokens_per_mac,
                app.token_lifetime_s / 60
            ),
            Err(e) => eprintln!(
                "boot script for {ip}: cannot issue a token: {}",
                util::error_chain(&e)
            ),
        }
    }
    Ok(MachineBoot {
        mac,
        ip,
        auto,
        token,
    })
}

/// `GET /boot.ipxe?mac=${net0/mac}`: automatic mode only for marked machines.
async fn boot_script(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if app.boot_dir.is_none() {
        return text(
            StatusCode::NOT_FOUND,
            "#!ipxe\necho This collector serves no boot files (serve --boot-dir)\nshell\n".into(),
        );
    }
    let base = app.agent_base_url(&headers);
    let Some(mac) = web::query_param(&uri, "mac") else {
        // Asked without a MAC (a DHCP boot filename that iPXE did not expand): ask again from
        // a script, where iPXE always expands ${net0/mac}. A MAC that still does not parse is
        // then taken as no MAC (never a loop).
        return text(StatusCode::OK, pxe::rechain_script(&base));
    };
    match machine_boot(&app, pxe::parse_mac(&mac).ok(), peer.ip()).await {
        Ok(machine) => text(StatusCode::OK, pxe::script(&machine.input(&app, &base))),
        Err(why) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("#!ipxe\necho {why}\nshell\n"),
        ),
    }
}

/// `GET /grub/grub.cfg`: GRUB's first configuration, the same for every machine, to put in the
/// TFTP root that serves shim and GRUB to the rack's UEFI firmware (`collector/README.md`).
async fn grub_rechain(State(app): State<Arc<App>>) -> Response {
    match (&app.boot_dir, &app.grub_tftp) {
        (Some(_), Some(device)) => text(StatusCode::OK, pxe::grub_rechain(device)),
        _ => text(
            StatusCode::NOT_FOUND,
            "echo \"Reprise: this collector serves no UEFI network boot (serve --boot-dir --tftp)\"\n"
                .into(),
        ),
    }
}

/// The collector's TFTP namespace, for GRUB (and for the firmware, when the collector is the
/// rack's TFTP server): the boot files, `grub/grub.cfg`, and each machine's configuration.
#[derive(Debug)]
pub struct TftpFiles {
    pub app: Arc<App>,
}

impl crate::tftp::Resolve for TftpFiles {
    async fn resolve(
        &self,
        filename: &str,
        peer: SocketAddr,
    ) -> Result<crate::tftp::Content, String> {
        use crate::tftp::Content;
        let app = &self.app;
        let (Some(dir), Some(device)) = (&app.boot_dir, &app.grub_tftp) else {
            return Err("this collector serves no boot files (serve --boot-dir --tftp)".into());
        };
        let name = filename.trim_start_matches('/');
        if let Some(file) = name.strip_prefix("boot/")
            && pxe::BOOT_FILES.contains(&file)
        {
            return Ok(Content::File(dir.join(file)));
        }
        if name == "grub/grub.cfg" {
            return Ok(Content::Bytes(pxe::grub_rechain(device).into_bytes()));
        }
        let Some(mac) = pxe::grub_machine_request(name) else {
            return Err(format!("no file {name:?} here"));
        };
        // TFTP requests carry no Host: the public URL is what the machine reaches (serve
        // --tftp requires it).
        let base = app.public_url.clone().unwrap_or_default();
        let config = match machine_boot(app, mac, peer.ip()).await {
            Ok(machine) => pxe::grub_config(&machine.input(app, &base), device),
            // Shown on the machine's screen; the rechain configuration then hands it back to
            // its firmware.
            Err(why) => format!("echo \"{why}\"\nsleep 30\n"),
        };
        Ok(Content::Bytes(config.into_bytes()))
    }
}

/// `GET /boot/<one of pxe::BOOT_FILES>`: streamed from `--boot-dir`.
async fn boot_file(State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    let Some(dir) = &app.boot_dir else {
        return text(StatusCode::NOT_FOUND, "no boot files here\n".into());
    };
    // Fixed names: nothing else of the directory is reachable.
    if !crate::pxe::BOOT_FILES.contains(&file.as_str()) {
        return text(StatusCode::NOT_FOUND, format!("no boot file {file:?}\n"));
    }
    let path = dir.join(&file);
    let f = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            return text(StatusCode::NOT_FOUND, format!("{}: {e}\n", path.display()));
        }
    };
    let len = match f.metadata().await {
        Ok(m) => m.len(),
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{}: {e}\n", path.display()),
            );
        }
    };
    let mut resp = Body::from_stream(ReaderStream::with_capacity(f, 256 * 1024)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    resp
}

/// Serves until `shutdown` resolves, within `limits`.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    limits: crate::conn::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::conn::serve(router(app), listener, limits, shutdown).await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::*;

    /// A route that panics answers 500; the router serves the next request as before.
    #[tokio::test]
    async fn a_panicking_handler_is_a_500_for_its_request_only() {
        let app = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let s = "2026-11-26T10:0é:00Z";
                    s[11..16].to_string()
                }),
            )
            .route("/fine", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn(catch_panic));
        let call = |path: &str| {
            app.clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
        };
        let boom = call("/boom").await.unwrap();
        assert_eq!(boom.status(), StatusCode::INTERNAL_SERVER_ERROR);
        for _ in 0..3 {
            assert_eq!(call("/fine").await.unwrap().status(), StatusCode::OK);
            assert_eq!(
                call("/boom").await.unwrap().status(),
                StatusCode::INTERNAL_SERVER_ERROR
            );
        }
    }
}
