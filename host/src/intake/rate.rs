//! The per-peer rate: a token bucket per peer address, refilled at `per_peer_rate` a second
//! and holding a second's worth. The table is bounded: when it is full, buckets that are full
//! again (their peer quiet for a second) are forgotten, so a flood of addresses costs memory
//! only for as long as they keep sending.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most peers tracked at once.
const MAX_PEERS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets, by peer.
#[derive(Debug)]
pub(super) struct PeerRate {
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl PeerRate {
    /// `per_second` requests a second per peer, a second's worth at once.
    pub(super) fn new(per_second: u32) -> PeerRate {
        PeerRate {
            per_second: f64::from(per_second.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a request's token for `peer` at `now`; `Err(wait)` when there is none, with the
    /// time until there is.
    pub(super) fn take(&self, peer: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_PEERS && !buckets.contains_key(&peer) {
            let full = self.per_second;
            let rate = self.per_second;
            buckets.retain(|_, b| b.tokens + rate * now.duration_since(b.at).as_secs_f64() < full);
        }
        let bucket = buckets.entry(peer).or_insert(Bucket {
            tokens: self.per_second,
            at: now,
        });
        let refilled =
            bucket.tokens + self.per_second * now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = refilled.min(self.per_second);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_gets_a_seconds_worth_then_waits_others_do_not() {
        let rate = PeerRate::new(3);
        let now = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(rate.take(a, now), Ok(()));
        }
        let wait = rate.take(a, now).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(334),
            "{wait:?}"
        );
        assert_eq!(rate.take(b, now), Ok(()));
        assert_eq!(rate.take(a, now + Duration::from_millis(400)), Ok(()));
    }

    #[test]
    fn the_table_forgets_quiet_peers_when_full() {
        let rate = PeerRate::new(1);
        let now = Instant::now();
        for i in 0..MAX_PEERS as u32 {
            let _ = rate.take(IpAddr::from(i.to_be_bytes()), now);
        }
        let later = now + Duration::from_secs(2);
        assert_eq!(rate.take("198.51.100.7".parse().unwrap(), later), Ok(()));
        assert!(rate.buckets.lock().unwrap().len() < 10);
    }
}
