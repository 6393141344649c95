//! Connection hygiene for `demo` and `serve`: every connection must send its request headers
//! within [`HEADER_TIMEOUT`] (a client that opens connections and trickles bytes is cut off),
//! and at most [`PER_ADDRESS`] connections from one address and [`TOTAL`] in all are open at
//! once — beyond, new ones are closed at once and logged — so that no one client can use up
//! the server's file descriptors and time out everyone else's requests. A trusted proxy
//! carries every client's connections, so it counts only in the total: which client a
//! connection serves is known only from its requests' `X-Forwarded-For`, too late to count
//! it here (the proxy in front is the place to limit each client's connections).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atoll_web::Site;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::Service as _;

/// Longest a connection may take to send a request's headers (also how long an idle
/// connection waits for its next request).
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one address may hold open: a classroom behind one address, thirty browsers of
/// six connections and a live stream each, fits.
pub(crate) const PER_ADDRESS: usize = 256;
/// Connections open at once in all, well under the usual limit of 1,024 open files.
pub(crate) const TOTAL: usize = 768;

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// An open connection's place in the counts, given back when it closes.
struct Slot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        c.total -= 1;
        if let Some(n) = c.by_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.by_address.remove(&self.ip);
            }
        }
    }
}

/// A place for a connection from `ip`, if there is one; a trusted `proxy` is not held to
/// [`PER_ADDRESS`].
fn admit(counts: &Arc<Mutex<Counts>>, ip: IpAddr, proxy: bool) -> Option<Slot> {
    let mut c = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mine = c.by_address.get(&ip).copied().unwrap_or(0);
    if c.total >= TOTAL || (mine >= PER_ADDRESS && !proxy) {
        return None;
    }
    c.total += 1;
    *c.by_address.entry(ip).or_default() += 1;
    Some(Slot {
        counts: counts.clone(),
        ip,
    })
}

/// Serves `router` on `listener` until the process stops, each connection on its own task;
/// `site` says which peers are trusted proxies.
pub(crate) async fn serve(listener: tokio::net::TcpListener, router: axum::Router, site: &Site) -> Result<(), String> {
    let counts = Arc::new(Mutex::new(Counts::default()));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: wait a moment rather than spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = admit(&counts, peer.ip(), site.is_proxy(peer.ip())) else {
            tracing::warn!(address = %peer.ip(), "connection refused: too many open connections");
            drop(stream);
            continue;
        };
        let router = router.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move { router.call(request.map(axum::body::Body::new)).await }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(address = %peer.ip(), error = %e, "connection ended");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_address_and_in_all_and_given_back() {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let mut held: Vec<Slot> = (0..PER_ADDRESS).map(|_| admit(&counts, a, false).unwrap()).collect();
        assert!(admit(&counts, a, false).is_none(), "one address is capped");
        let other = admit(&counts, b, false).expect("another address is not");
        drop(other);
        held.pop();
        assert!(
            admit(&counts, a, false).is_some(),
            "a closed connection gives its place back"
        );
        // A trusted proxy carries many clients: it is held to the total only.
        let proxy: IpAddr = [10, 0, 0, 3].into();
        let through: Vec<Slot> = (0..=PER_ADDRESS)
            .map(|_| admit(&counts, proxy, true).unwrap())
            .collect();
        drop(through);
        // The total caps every address together.
        let mut many = Vec::new();
        for i in 0..TOTAL {
            match admit(&counts, IpAddr::from([10, 1, (i / 250) as u8, (i % 250) as u8]), false) {
                Some(s) => many.push(s),
                None => break,
            }
        }
        assert!(admit(&counts, [10, 9, 9, 9].into(), false).is_none());
        assert!(admit(&counts, proxy, true).is_none(), "nor a proxy beyond the total");
        let c = counts.lock().unwrap();
        assert_eq!(c.total, TOTAL);
    }
}
