//! Requests served, counted per method, kind of path and outcome, so benchmarks and economy
//! tests can say how many calls a ticket action cost.

use std::collections::BTreeMap;

/// What a request path addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathKind {
    /// `/api/now[/vN]/table/{table}`.
    TableCollection,
    /// `/api/now[/vN]/table/{table}/{sys_id}`.
    TableRecord,
    /// `/api/now[/v1]/attachment` (list).
    AttachmentCollection,
    /// `/api/now[/v1]/attachment/file` (binary upload).
    AttachmentFile,
    /// `/api/now[/v1]/attachment/upload` (multipart upload).
    AttachmentUpload,
    /// `/api/now[/v1]/attachment/{sys_id}` (metadata, delete).
    AttachmentRecord,
    /// `/api/now[/v1]/attachment/{sys_id}/file` (content).
    AttachmentContent,
    /// `/oauth_token.do`.
    OAuthToken,
    /// Anything else.
    Other,
}

impl PathKind {
    /// Classifies `path`; also returns the table for Table API paths.
    pub(crate) fn classify(path: &str) -> (PathKind, Option<String>) {
        if path == "/oauth_token.do" {
            return (PathKind::OAuthToken, None);
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let rest = match segments.as_slice() {
            ["api", "now", version, rest @ ..] if version.starts_with('v') => rest,
            ["api", "now", rest @ ..] => rest,
            _ => return (PathKind::Other, None),
        };
        match rest {
            ["table", table] => (PathKind::TableCollection, Some((*table).to_owned())),
            ["table", table, _] => (PathKind::TableRecord, Some((*table).to_owned())),
            ["attachment"] => (PathKind::AttachmentCollection, None),
            ["attachment", "file"] => (PathKind::AttachmentFile, None),
            ["attachment", "upload"] => (PathKind::AttachmentUpload, None),
            ["attachment", _] => (PathKind::AttachmentRecord, None),
            ["attachment", _, "file"] => (PathKind::AttachmentContent, None),
            _ => (PathKind::Other, None),
        }
    }

    /// Whether this is a Table API path.
    pub(crate) fn is_table(self) -> bool {
        matches!(self, PathKind::TableCollection | PathKind::TableRecord)
    }

    /// Whether this is an Attachment API path.
    pub(crate) fn is_attachment(self) -> bool {
        matches!(
            self,
            PathKind::AttachmentCollection
                | PathKind::AttachmentFile
                | PathKind::AttachmentUpload
                | PathKind::AttachmentRecord
                | PathKind::AttachmentContent
        )
    }
}

/// One counted kind of request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestKey {
    /// HTTP method, e.g. `"PATCH"`.
    pub method: String,
    /// What the path addresses.
    pub kind: PathKind,
    /// The table, for Table API paths.
    pub table: Option<String>,
    /// Response status; `None` when the connection was dropped without one.
    pub status: Option<u16>,
}

/// Counts of requests served since start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// Count per key.
    pub counts: BTreeMap<RequestKey, u64>,
}

impl RequestStats {
    /// Counts one request.
    pub(crate) fn record(&mut self, key: RequestKey) {
        *self.counts.entry(key).or_insert(0) += 1;
    }

    /// All requests.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Requests with `method` to paths of `kind`, whatever the outcome.
    pub fn count(&self, method: &str, kind: PathKind) -> u64 {
        self.sum(|k| k.method.eq_ignore_ascii_case(method) && k.kind == kind)
    }

    /// Requests with `method` to the Table API on `table` (collection and record paths).
    pub fn table_count(&self, method: &str, table: &str) -> u64 {
        self.sum(|k| {
            k.method.eq_ignore_ascii_case(method)
                && k.kind.is_table()
                && k.table.as_deref() == Some(table)
        })
    }

    /// Requests answered with `status`.
    pub fn with_status(&self, status: u16) -> u64 {
        self.sum(|k| k.status == Some(status))
    }

    /// Requests whose connection was dropped without a response.
    pub fn dropped(&self) -> u64 {
        self.sum(|k| k.status.is_none())
    }

    fn sum(&self, pick: impl Fn(&RequestKey) -> bool) -> u64 {
        self.counts
            .iter()
            .filter(|(k, _)| pick(k))
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        let cases = [
            ("/api/now/table/incident", PathKind::TableCollection),
            ("/api/now/v2/table/incident/abc", PathKind::TableRecord),
            ("/api/now/v1/attachment", PathKind::AttachmentCollection),
            ("/api/now/attachment/file", PathKind::AttachmentFile),
            ("/api/now/attachment/upload", PathKind::AttachmentUpload),
            ("/api/now/attachment/abc", PathKind::AttachmentRecord),
            ("/api/now/attachment/abc/file", PathKind::AttachmentContent),
            ("/oauth_token.do", PathKind::OAuthToken),
            ("/nav_to.do", PathKind::Other),
        ];
        for (path, kind) in cases {
            assert_eq!(PathKind::classify(path).0, kind, "{path}");
        }
        assert_eq!(
            PathKind::classify("/api/now/v2/table/incident")
                .1
                .as_deref(),
            Some("incident")
        );
    }
}
