//! Inbound REST rate limiting: per-user request counters per clock hour for the
//! profile's rule; headers on every matching request, 429 + `Retry-After` past the limit.
//!
//! Real instances count per node and flush every 30 s, so enforcement can lag; the emulator
//! counts exactly, which is the stricter case for a client.

use std::collections::HashMap;

use http::{HeaderMap, HeaderValue};
use jiff::Timestamp;

use super::profile::{RateLimitApi, RateLimitRule};

const HOUR_SECS: i64 = 3600;

/// `X-RateLimit-Limit`, `X-RateLimit-Reset`, `X-RateLimit-Rule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    /// Unix time of the next reset.
    pub(crate) reset_unix: i64,
    pub(crate) rule_sys_id: String,
}

impl RateHeaders {
    /// Adds the three headers.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("X-RateLimit-Limit", HeaderValue::from(self.limit));
        headers.insert("X-RateLimit-Reset", HeaderValue::from(self.reset_unix));
        if let Ok(rule) = HeaderValue::from_str(&self.rule_sys_id) {
            headers.insert("X-RateLimit-Rule", rule);
        }
    }
}

/// A request over the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateLimitHit {
    pub(crate) headers: RateHeaders,
    /// Seconds until the reset, at least 1.
    pub(crate) retry_after_secs: u64,
    /// "Table API" or "Attachment API", for the error detail.
    pub(crate) api_label: &'static str,
}

/// Counters of the current hour.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    hour: i64,
    counts: HashMap<String, u32>,
}

impl RateLimiter {
    /// Counts a request of `user` to `api` (`None`: not a rate-limited API) under `rule`.
    /// `Ok(None)`: the rule does not apply; `Ok(Some)`: allowed, send these headers.
    pub(crate) fn check(
        &mut self,
        rule: Option<&RateLimitRule>,
        api: Option<RateLimitApi>,
        user: &str,
        now: Timestamp,
    ) -> Result<Option<RateHeaders>, RateLimitHit> {
        let (Some(rule), Some(api)) = (rule, api) else {
            return Ok(None);
        };
        let covered = rule.api == RateLimitApi::All || rule.api == api;
        let user_matches = rule.user.as_deref().is_none_or(|u| u == user);
        if !covered || !user_matches {
            return Ok(None);
        }
        let now_secs = now.as_second();
        let hour = now_secs.div_euclid(HOUR_SECS);
        if hour != self.hour {
            self.hour = hour;
            self.counts.clear();
        }
        let reset_unix = (hour + 1) * HOUR_SECS;
        let headers = RateHeaders {
            limit: rule.requests_per_hour,
            reset_unix,
            rule_sys_id: rule.rule_sys_id.clone(),
        };
        let count = self
            .counts
            .entry(format!("{}/{user}", rule.rule_sys_id))
            .or_insert(0);
        if *count >= rule.requests_per_hour {
            return Err(RateLimitHit {
                headers,
                retry_after_secs: u64::try_from(reset_unix - now_secs).unwrap_or(1).max(1),
                api_label: match api {
                    RateLimitApi::Attachment => "Attachment API",
                    RateLimitApi::Table | RateLimitApi::All => "Table API",
                },
            });
        }
        *count += 1;
        Ok(Some(headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_then_reset_at_the_next_hour() {
        let rule = RateLimitRule::per_hour(2);
        let mut limiter = RateLimiter::default();
        let start = Timestamp::from_second(1_527_850_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let check = |limiter: &mut RateLimiter, at: Timestamp| {
            limiter.check(Some(&rule), Some(RateLimitApi::Table), "svc", at)
        };
        assert!(matches!(check(&mut limiter, start), Ok(Some(_))));
        assert!(matches!(check(&mut limiter, start), Ok(Some(_))));
        let hit = check(&mut limiter, start).err();
        assert_eq!(hit.as_ref().map(|h| h.retry_after_secs), Some(800));
        assert_eq!(hit.map(|h| h.headers.reset_unix), Some(1_527_850_800));
        let later = Timestamp::from_second(1_527_850_800).unwrap_or(Timestamp::UNIX_EPOCH);
        assert!(matches!(check(&mut limiter, later), Ok(Some(_))));
    }

    #[test]
    fn other_users_and_apis_are_not_counted() {
        let mut rule = RateLimitRule::per_hour(0);
        rule.user = Some("svc".to_owned());
        let mut limiter = RateLimiter::default();
        let now = Timestamp::now();
        assert_eq!(
            limiter.check(Some(&rule), Some(RateLimitApi::Table), "other", now),
            Ok(None)
        );
        assert_eq!(
            limiter.check(Some(&rule), Some(RateLimitApi::Attachment), "svc", now),
            Ok(None)
        );
        assert!(limiter
            .check(Some(&rule), Some(RateLimitApi::Table), "svc", now)
            .is_err());
    }
}
