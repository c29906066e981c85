//! The connections: the accept loop and what one connection may hold.
//!
//! HTTP/1.1 is served by hyper, one task per connection, with these limits:
//!
//! - **A cap on connections** (`--max-connections`). At the cap, a new connection takes the place
//!   of the oldest *idle* one — connected but with no request in flight: a client that sent
//!   nothing or only part of a request head, or a keep-alive connection between requests — so
//!   idle connections, however many, cannot keep an upload out. When every connection has a
//!   request in flight, the new one waits until one ends (and the next ones in the kernel's
//!   queue).
//! - **A read timeout** (`--read-timeout`): a request head must arrive within it (hyper's
//!   header timeout, which also closes a keep-alive connection idle that long), and a request
//!   body within it of the head, counted as a whole and not between bytes — a client sending a
//!   byte a second is cut off all the same ([`DeadlineBody`]; the API answers 408). It never
//!   applies to a response: hyper starts the head timer only once the previous response is
//!   entirely written, so a multi-GB image download to a slow disk (`download.rs`) takes as
//!   long as it takes — and a connection with a response still being written is never the
//!   idle one that makes room (tested: `tests/images.rs`, a slow reader).
//!
//! Each request gets the peer address (`ConnectInfo<SocketAddr>`). On shutdown, no new
//! connection is taken, idle ones close, and requests in flight finish.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

/// The limits of the connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// For a request head, for a request body (as a whole), and for an idle connection.
    pub read_timeout: Duration,
}

/// One connection, as the accept loop sees it.
#[derive(Debug, Default)]
struct Conn {
    /// Requests whose response is not yet entirely sent.
    in_flight: AtomicUsize,
    /// Told to close if idle (to make room), or to finish its request and close.
    evict: Notify,
}

/// The connections being served, oldest first.
#[derive(Debug, Default)]
struct Registry {
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
    /// A connection ended (a permit is kept if nobody waits: no end is missed).
    ended: Notify,
}

impl Registry {
    fn conns(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a new connection may be served now: under the cap, or in the place of the
    /// oldest idle connection (told to close, and forgotten at once).
    fn make_room(&self, max: usize) -> bool {
        let mut conns = self.conns();
        if conns.len() < max {
            return true;
        }
        let idle = conns
            .iter()
            .find(|(_, c)| c.in_flight.load(Ordering::SeqCst) == 0)
            .map(|(id, _)| *id);
        match idle.and_then(|id| conns.remove(&id)) {
            Some(c) => {
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Counts a request in flight on its connection until dropped (with the response body).
struct InFlight(Arc<Conn>);

impl InFlight {
    fn new(conn: &Arc<Conn>) -> InFlight {
        conn.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(conn))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The request body did not arrive within the read timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {} s", .0.as_secs())]
pub struct BodyTimeout(pub Duration);

/// Whether `err` (or one of its causes) is a [`BodyTimeout`].
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut e = Some(err);
    while let Some(cur) = e {
        if cur.is::<BodyTimeout>() {
            return true;
        }
        e = cur.source();
    }
    false
}

/// A request body that must arrive whole within a time from its head: past it, the next frame
/// is a [`BodyTimeout`] error.
#[derive(Debug)]
pub struct DeadlineBody {
    inner: Incoming,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    pub fn new(inner: Incoming, timeout: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout(this.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` resolves, then lets the
/// requests in flight finish.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    let (stop, stopped) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    let mut next_id = 0u64;
    'accept: loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // not the listener's end. Breathe, then go on.
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while !registry.make_room(limits.max_connections) {
            tokio::select! {
                () = registry.ended.notified() => {}
                () = &mut shutdown => break 'accept,
            }
        }
        next_id += 1;
        let conn = Arc::new(Conn::default());
        registry.conns().insert(next_id, Arc::clone(&conn));
        let task = Task {
            id: next_id,
            conn,
            registry: Arc::clone(&registry),
            router: router.clone(),
            peer,
            limits,
        };
        tokio::spawn(task.run(stream, stopped.clone()));
    }
    drop(stopped);
    // Every connection closes when idle and finishes what it serves; each holds a receiver.
    stop.send_replace(());
    stop.closed().await;
    Ok(())
}

/// One connection's task.
struct Task {
    id: u64,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    router: Router,
    peer: SocketAddr,
    limits: Limits,
}

impl Task {
    async fn run(self, stream: tokio::net::TcpStream, mut stopped: watch::Receiver<()>) {
        let Task {
            id,
            conn,
            registry,
            router,
            peer,
            limits,
        } = self;
        let _ = stream.set_nodelay(true);
        let service = {
            let conn = Arc::clone(&conn);
            hyper::service::service_fn(move |req: Request<Incoming>| {
                let in_flight = InFlight::new(&conn);
                let mut req = req.map(|b| {
                    if b.is_end_stream() {
                        Body::new(b)
                    } else {
                        Body::new(DeadlineBody::new(b, limits.read_timeout))
                    }
                });
                req.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                async move {
                    let resp = router.oneshot(req).await.unwrap_or_else(|e| match e {});
                    // In flight until the last byte of the response is sent (or it is dropped).
                    Ok::<_, Infallible>(resp.map(|body| {
                        Body::new(body.map_frame(move |frame| {
                            let _keep = &in_flight;
                            frame
                        }))
                    }))
                }
            })
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.read_timeout);
        let mut served = pin!(http.serve_connection(TokioIo::new(stream), service));
        let mut closing = false;
        loop {
            tokio::select! {
                _ = served.as_mut() => break,
                () = conn.evict.notified(), if !closing => {
                    if conn.in_flight.load(Ordering::SeqCst) == 0 {
                        break;
                    }
                    served.as_mut().graceful_shutdown();
                    closing = true;
                }
                _ = stopped.changed(), if !closing => {
                    served.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
        registry.conns().remove(&id);
        registry.ended.notify_one();
    }
}
