//! [`Scan`]: where polling stands, and its checkpoint text (a small JSON object the host stores
//! after it has queued a batch, and hands back after a restart).
//!
//! ```json
//! {"v":1,"origin":"2025-03-25T00:00:00Z","from":"2025-04-01T23:45:00Z",
//!  "to":"2025-04-02T00:00:00Z","mark":"eyJrIjoic2VhcmNoIi…","page":3,
//!  "last":"9f1c2a7be0d34c11","scope":"cbf29ce484222325"}
//! ```
//!
//! - `from`..`to`: the scan window on `When` (UTC, whole seconds). No `to` means the window has
//!   not started: its first request fixes `to` at the host's now.
//! - `mark`, `page`: the continuation mark to send next and the pages received so far in this
//!   scan; no mark and page 0 mean the next request is the window's first.
//! - `last`: a digest of the last page's RIDs, so that after a restart a server that hands the
//!   same page out again (a mark that never ends) is still recognised.
//! - `origin`: the lower bound `start` gave the very first window; no later window reaches
//!   below it.
//! - `scope`: a digest of `poll_filters`; a checkpoint taken under other filters restarts its
//!   window (its mark belongs to the other filters: a search's later pages must repeat the
//!   filters of its first).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sluice_sdk::Checkpoint;

use crate::when;

/// The checkpoint format version this plugin writes and reads.
const VERSION: u32 = 1;

/// The state of polling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The lower bound of the first window; later windows never start before it.
    pub origin: Timestamp,
    /// The window's lower bound on `When`.
    pub from: Timestamp,
    /// The window's upper bound, fixed by its first request.
    pub to: Option<Timestamp>,
    /// The mark for the next page of this window.
    pub mark: Option<String>,
    /// Pages received in this window's scan.
    pub page: u32,
    /// Digest of the last page's RIDs.
    pub last: Option<u64>,
    /// Digest of the pre-filters the mark belongs to.
    pub scope: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    v: u32,
    origin: String,
    from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mark: Option<String>,
    #[serde(default)]
    page: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last: Option<String>,
    scope: String,
}

impl Scan {
    /// The first window, from `origin`, not started.
    pub fn first(origin: Timestamp, scope: u64) -> Scan {
        Scan {
            origin,
            from: origin,
            to: None,
            mark: None,
            page: 0,
            last: None,
            scope,
        }
    }

    /// Back to the window's first page (a stale mark, other filters).
    pub fn restart(&mut self) {
        self.mark = None;
        self.page = 0;
        self.last = None;
    }

    /// The window after this one: from `overlap` before this one's end (but not before the
    /// origin) to the host's now at its first request.
    pub fn next_window(&mut self, overlap: jiff::SignedDuration) {
        let end = self.to.unwrap_or(self.from);
        let from = end.checked_sub(overlap).unwrap_or(Timestamp::MIN);
        self.from = from.max(self.origin);
        self.to = None;
        self.restart();
    }

    /// The checkpoint text.
    pub fn encode(&self) -> Checkpoint {
        let wire = Wire {
            v: VERSION,
            origin: when::format(self.origin),
            from: when::format(self.from),
            to: self.to.map(when::format),
            mark: self.mark.clone(),
            page: self.page,
            last: self.last.map(|d| format!("{d:016x}")),
            scope: format!("{:016x}", self.scope),
        };
        // A struct of strings and integers always serializes.
        Checkpoint(serde_json::to_string(&wire).unwrap_or_default())
    }

    /// Reads a checkpoint this plugin wrote; the error says what is wrong with it.
    pub fn decode(checkpoint: &Checkpoint) -> Result<Scan, String> {
        let wire: Wire = serde_json::from_str(checkpoint.as_str()).map_err(|e| e.to_string())?;
        if wire.v != VERSION {
            return Err(format!(
                "it has format version {}, this plugin reads version {VERSION}",
                wire.v
            ));
        }
        let time = |name: &str, text: &str| {
            when::parse(text).ok_or_else(|| format!("`{name}` is not a time: {text:?}"))
        };
        let digest = |name: &str, text: &str| {
            u64::from_str_radix(text, 16).map_err(|_| format!("`{name}` is not a digest: {text:?}"))
        };
        Ok(Scan {
            origin: time("origin", &wire.origin)?,
            from: time("from", &wire.from)?,
            to: wire.to.as_deref().map(|t| time("to", t)).transpose()?,
            mark: wire.mark.filter(|m| !m.is_empty()),
            page: wire.page,
            last: wire
                .last
                .as_deref()
                .map(|d| digest("last", d))
                .transpose()?,
            scope: digest("scope", &wire.scope)?,
        })
    }
}

/// FNV-1a, 64 bit: a digest that is the same in every process and build (std's hashers are
/// randomly keyed), for values stored in checkpoints.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A digest of a page's RIDs that does not depend on their order.
pub fn page_digest<'a>(rids: impl Iterator<Item = &'a str>) -> u64 {
    rids.map(|rid| fnv1a(rid.to_ascii_uppercase().as_bytes()))
        .fold(0u64, u64::wrapping_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn round_trips() {
        let scan = Scan {
            origin: ts(1_000),
            from: ts(2_000),
            to: Some(ts(3_000)),
            mark: Some("bWFyaw==".to_owned()),
            page: 3,
            last: Some(0xdead_beef),
            scope: 7,
        };
        let text = scan.encode();
        assert_eq!(Scan::decode(&text), Ok(scan));
        let fresh = Scan::first(ts(5), 0);
        assert_eq!(
            fresh.encode().as_str(),
            r#"{"v":1,"origin":"1970-01-01T00:00:05Z","from":"1970-01-01T00:00:05Z","page":0,"scope":"0000000000000000"}"#
        );
        assert_eq!(Scan::decode(&fresh.encode()), Ok(fresh));
    }

    #[test]
    fn next_window_overlaps_but_never_reaches_below_the_origin() {
        let mut scan = Scan::first(ts(1_000), 0);
        scan.to = Some(ts(5_000));
        scan.mark = Some("m".to_owned());
        scan.page = 9;
        scan.next_window(jiff::SignedDuration::from_secs(900));
        assert_eq!(
            (scan.from, scan.to, scan.mark.clone(), scan.page),
            (ts(4_100), None, None, 0)
        );
        scan.to = Some(ts(1_500));
        scan.next_window(jiff::SignedDuration::from_secs(900));
        assert_eq!(scan.from, ts(1_000));
    }

    #[test]
    fn foreign_checkpoints_are_refused_with_a_reason() {
        for (text, why) in [
            ("", "EOF"),
            (
                r#"{"v":2,"origin":"x","from":"x","scope":"0"}"#,
                "version 2",
            ),
            (
                r#"{"v":1,"origin":"x","from":"1970-01-01T00:00:00Z","scope":"0"}"#,
                "origin",
            ),
            (
                r#"{"v":1,"origin":"1970-01-01T00:00:00Z","from":"1970-01-01T00:00:00Z","scope":"zz"}"#,
                "scope",
            ),
        ] {
            let err = Scan::decode(&Checkpoint(text.to_owned()))
                .err()
                .unwrap_or_default();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn digests_are_stable_and_order_free() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            page_digest(["A", "b"].into_iter()),
            page_digest(["B", "a"].into_iter())
        );
    }
}
