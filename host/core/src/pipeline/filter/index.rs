//! The rule index: which rules a record may match, without testing every rule.

use super::eval::RecordView;
use super::{Field, Filters, TextOp};

/// Characters of a value an index bucket is keyed on.
pub(super) const ANCHOR_CHARS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Anchor {
    pub(super) field: Field,
    pub(super) op: TextOp,
    pub(super) chars: usize,
    pub(super) fragment: String,
}

/// The part of `value` an anchor looks at: all of it for `Equals`, its first or last
/// `chars` characters for `StartsWith` and `EndsWith`.
pub(super) fn fragment(value: &str, op: TextOp, chars: usize) -> Option<String> {
    match op {
        TextOp::Equals => Some(value.to_owned()),
        TextOp::StartsWith => Some(value.chars().take(chars).collect()),
        TextOp::EndsWith => {
            let n = value.chars().count();
            Some(value.chars().skip(n.saturating_sub(chars)).collect())
        }
        TextOp::Contains => None,
    }
}

/// What an index group is keyed by: a field, an operator and a fragment length.
type AnchorKind = (Field, TextOp, usize);
/// Rule positions by value fragment.
type Buckets = std::collections::HashMap<String, Vec<usize>>;

/// Finds, for a record, the rules that may match it, without testing every rule: rules are
/// bucketed by their anchor (see `Filters::anchor`), and a record looks up only the buckets its
/// own values fall in. Rules without an anchor are always candidates. Candidates still go
/// through [`Filters::matches`].
#[derive(Debug, Clone, Default)]
pub struct RuleIndex {
    groups: Vec<(AnchorKind, Buckets)>,
    always: Vec<usize>,
}

impl RuleIndex {
    /// An index of `rules` (their positions are what [`RuleIndex::candidates`] returns).
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a Filters>) -> Self {
        let mut index = RuleIndex::default();
        for (i, rule) in rules.into_iter().enumerate() {
            match rule.anchor() {
                Some(a) => {
                    let key = (a.field, a.op, a.chars);
                    let group = match index.groups.iter().position(|(k, _)| *k == key) {
                        Some(g) => g,
                        None => {
                            index.groups.push((key, Default::default()));
                            index.groups.len() - 1
                        }
                    };
                    index.groups[group].1.entry(a.fragment).or_default().push(i);
                }
                None => index.always.push(i),
            }
        }
        index
    }

    /// The positions of the rules that may match `record`, in order.
    pub fn candidates(&self, record: &RecordView) -> Vec<usize> {
        let mut out = self.always.clone();
        for ((field, op, chars), buckets) in &self.groups {
            let value = &record.values(*field)[0];
            if let Some(hits) = fragment(value, *op, *chars).and_then(|f| buckets.get(&f)) {
                out.extend_from_slice(hits);
            }
        }
        out.sort_unstable();
        out
    }
}
