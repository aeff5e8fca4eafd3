//! Abuse limits on the expensive endpoints (the two searches): a per-client token bucket
//! (429 with `Retry-After`), a cap on concurrent search jobs (callers over the cap wait briefly
//! for a slot, then get 503 `busy`), and a time limit on the blocking work (504 `timeout`).
//! Body sizes are limited in the endpoint table, pixel counts by the decoder's `DecodeLimits`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{ApiError, AppState, ServerConfig};

/// A token bucket: `burst` requests at once, refilled at `per_second`. A rate that is not a
/// positive number turns the limit off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

/// Beyond this many tracked clients, buckets that have refilled completely are forgotten (they
/// hold no information), so a flood of distinct addresses cannot grow the map without bound.
const MAX_TRACKED: usize = 4096;

/// The client a request came from: its peer address when the server runs on a socket, `None`
/// in-process (tests calling the router directly), where all requests share one bucket.
/// Behind a reverse proxy every peer is the proxy; when the peer is one of the configured
/// `trusted_proxies`, the client is read from `X-Forwarded-For` instead ([`client_ip`]).
pub(crate) struct Peer(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let trusted = &state.config().trusted_proxies;
        Ok(Peer(peer.map(|peer| {
            let hops: Vec<&str> = parts
                .headers
                .get_all(X_FORWARDED_FOR)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .collect();
            client_ip(peer, &hops, trusted)
        })))
    }
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client behind a chain of proxies: `X-Forwarded-For` lists the hops oldest first and each
/// proxy appends the address it was reached from, so the list is read from the right, past
/// the trusted proxies; the first address not among them is the client. Only the part the
/// trusted proxies wrote is believed: an entry that is not an address ends the walk at the
/// hop that forwarded it, and a client cannot pick its own bucket by sending the header itself.
pub(crate) fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    for hop in forwarded_for.iter().rev() {
        if !trusted.contains(&client) {
            break;
        }
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    client
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

pub(crate) struct Limits {
    searches: Arc<Semaphore>,
    slots: usize,
    queue_wait: Duration,
    work_timeout: Duration,
    rate: RateLimit,
    buckets: Mutex<HashMap<Option<IpAddr>, Bucket>>,
}

impl Limits {
    pub(crate) fn new(config: &ServerConfig) -> Self {
        Self {
            // Zero slots would refuse every search; one is the least that makes sense.
            searches: Arc::new(Semaphore::new(config.max_searches.max(1))),
            slots: config.max_searches.max(1),
            queue_wait: config.search_queue_wait,
            work_timeout: config.work_timeout,
            rate: config.search_rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from the client's bucket, or says when the next one is due.
    pub(crate) fn check_rate(&self, peer: &Peer) -> Result<(), ApiError> {
        self.check_rate_at(peer.0, Instant::now())
    }

    fn check_rate_at(&self, peer: Option<IpAddr>, now: Instant) -> Result<(), ApiError> {
        let RateLimit { per_second, burst } = self.rate;
        if !(per_second.is_finite() && per_second > 0.0) {
            return Ok(());
        }
        let burst = burst.max(1.0);
        let level =
            |b: &Bucket| (b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * per_second).min(burst);
        // A poisoned lock only means another request panicked mid-update; the counts stay usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&peer) {
            buckets.retain(|_, b| level(b) < burst);
        }
        let bucket = buckets.entry(peer).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let tokens = level(bucket);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                last: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, last: now };
            let retry_after_s = ((1.0 - tokens) / per_second).ceil().max(1.0) as u64;
            Err(ApiError::RateLimited { retry_after_s })
        }
    }

    /// Waits up to `search_queue_wait` for one of the search slots. Queueing briefly smooths
    /// bursts from a single page (a few clicks at once) without letting a flood pile up work.
    pub(crate) async fn search_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.queue_wait, self.searches.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal(closed)),
            Err(_) => Err(ApiError::Busy(format!(
                "all {} search slots are busy; retry shortly",
                self.slots
            ))),
        }
    }

    /// Runs `f` on the blocking pool while holding `slot`, answering 504 after `work_timeout`.
    /// The slot moves into the task: a timed-out job keeps running (blocking work cannot be
    /// cancelled), and it must keep counting against the cap until it really ends.
    pub(crate) async fn bounded<T: Send + 'static>(
        &self,
        slot: OwnedSemaphorePermit,
        f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            f()
        });
        match tokio::time::timeout(self.work_timeout, task).await {
            Ok(joined) => joined?,
            Err(_) => Err(ApiError::TimedOut {
                seconds: self.work_timeout.as_secs_f64(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: f64, burst: f64) -> Limits {
        Limits::new(&ServerConfig {
            search_rate: RateLimit { per_second, burst },
            ..ServerConfig::default()
        })
    }

    #[test]
    fn buckets_allow_the_burst_then_refill_at_the_rate() {
        let l = limits(2.0, 3.0);
        let t0 = Instant::now();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..3 {
            l.check_rate_at(a, t0).unwrap();
        }
        let err = l.check_rate_at(a, t0).unwrap_err();
        assert!(matches!(err, ApiError::RateLimited { retry_after_s: 1 }), "{err:?}");
        // Another client has its own bucket.
        l.check_rate_at(Some(IpAddr::from([10, 0, 0, 2])), t0).unwrap();
        // Half a second at 2/s refills one token.
        l.check_rate_at(a, t0 + Duration::from_millis(500)).unwrap();
        assert!(l.check_rate_at(a, t0 + Duration::from_millis(500)).is_err());
    }

    /// Issue 17: behind a reverse proxy, clients keep their own buckets, and nobody else can
    /// choose a bucket by sending `X-Forwarded-For`.
    #[test]
    fn issue17_clients_behind_a_trusted_proxy_are_told_apart() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.5");
        let trusted = [proxy, ip("10.0.0.6")];
        assert_eq!(client_ip(proxy, &["203.0.113.7"], &trusted), ip("203.0.113.7"));
        // A client's own header is kept left of what the proxy appended.
        assert_eq!(
            client_ip(proxy, &["1.1.1.1", " 203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // Two trusted proxies in a row.
        assert_eq!(
            client_ip(proxy, &["198.51.100.1", "2001:db8::1", "10.0.0.6"], &trusted),
            ip("2001:db8::1")
        );
        // Garbage ends the walk at the hop that forwarded it.
        assert_eq!(client_ip(proxy, &["203.0.113.7", "unknown"], &trusted), proxy);
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &[], &trusted), proxy);
        // Untrusted peers are never read through.
        assert_eq!(client_ip(ip("192.0.2.1"), &["203.0.113.7"], &trusted), ip("192.0.2.1"));
    }

    #[test]
    fn a_zero_rate_means_no_limit_and_idle_buckets_are_forgotten() {
        let off = limits(0.0, 0.0);
        for _ in 0..1000 {
            off.check_rate_at(None, Instant::now()).unwrap();
        }
        let l = limits(1000.0, 1.0);
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 10) {
            l.check_rate_at(Some(IpAddr::from(i.to_be_bytes())), t0).unwrap();
        }
        let later = t0 + Duration::from_secs(1);
        l.check_rate_at(Some(IpAddr::from([1, 2, 3, 4])), later).unwrap();
        assert!(l.buckets.lock().unwrap().len() < MAX_TRACKED);
    }
}
