//! Encoded queries (`sysparm_query`): parsing and evaluation.
//!
//! Grammar: conditions `<field><operator><value>` joined by `^` (AND) and `^OR` (OR, binding
//! tighter than AND: `a^b^ORc` is `a AND (b OR c)`), `^NQ` starting a new OR-ed group, and
//! `ORDERBY<field>`/`ORDERBYDESC<field>` anywhere. `^^` is a literal caret. Field names,
//! operators and values are case-sensitive. A term naming an unknown field or using an
//! unsupported operator is invalid: dropped under [`InvalidQuery::Ignore`] (a typo widens the
//! result, as documented since Geneva), or the whole query matches nothing under
//! [`InvalidQuery::NoRows`].

use std::cmp::Ordering;

use super::profile::InvalidQuery;

/// A condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
    Lt,
    Gt,
    Le,
    Ge,
    Between,
    Anything,
}

/// Operators by spelling, longest first so `<=` wins over `<` and `NOT IN` over `IN`.
/// `NOT LIKE` is the platform's spelling (pysnow sends it); `NOTLIKE` is accepted too.
const OPERATORS: [(&str, Op); 17] = [
    ("ISNOTEMPTY", Op::IsNotEmpty),
    ("STARTSWITH", Op::StartsWith),
    ("ENDSWITH", Op::EndsWith),
    ("ANYTHING", Op::Anything),
    ("NOTLIKE", Op::NotLike),
    ("ISEMPTY", Op::IsEmpty),
    ("BETWEEN", Op::Between),
    ("NOT LIKE", Op::NotLike),
    ("NOT IN", Op::NotIn),
    ("LIKE", Op::Like),
    ("IN", Op::In),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("=", Op::Eq),
    ("<", Op::Lt),
    (">", Op::Gt),
];

/// One `<field><op><value>` condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Condition {
    pub(crate) field: String,
    pub(crate) op: Op,
    pub(crate) value: String,
}

/// A sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderBy {
    pub(crate) field: String,
    pub(crate) descending: bool,
}

/// A parsed query: OR of groups; each group an AND of clauses; each clause an OR of conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Query {
    groups: Vec<Vec<Vec<Condition>>>,
    pub(crate) order: Vec<OrderBy>,
    /// Set under `InvalidQuery::NoRows` when a term was invalid.
    matches_nothing: bool,
}

/// Splits on unescaped `^` (`^^` is a literal caret).
fn split_terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '^' {
            current.push(c);
        } else if chars.peek() == Some(&'^') {
            chars.next();
            current.push('^');
        } else {
            terms.push(std::mem::take(&mut current));
        }
    }
    terms.push(current);
    terms
}

/// Parses one condition term; `None` if it has no recognisable field and operator.
fn parse_condition(term: &str) -> Option<Condition> {
    let field_end = term
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(term.len());
    let (field, rest) = term.split_at(field_end);
    if field.is_empty() {
        return None;
    }
    let (spelling, op) = OPERATORS.iter().find(|(s, _)| rest.starts_with(s))?;
    let value = &rest[spelling.len()..];
    if matches!(op, Op::IsEmpty | Op::IsNotEmpty | Op::Anything) && !value.is_empty() {
        return None;
    }
    Some(Condition {
        field: field.to_owned(),
        op: *op,
        value: value.to_owned(),
    })
}

impl Query {
    /// Parses `text`; `known` says whether a field (possibly dot-walked) exists.
    pub(crate) fn parse(text: &str, known: impl Fn(&str) -> bool, invalid: InvalidQuery) -> Self {
        let mut query = Query::default();
        let mut group: Vec<Vec<Condition>> = Vec::new();
        let mut invalid_seen = false;
        for (index, raw) in split_terms(text).into_iter().enumerate() {
            let mut term = raw.as_str();
            if index > 0 {
                if let Some(rest) = term.strip_prefix("NQ") {
                    query.groups.push(std::mem::take(&mut group));
                    term = rest;
                }
            }
            if term.is_empty() || term == "EQ" {
                continue;
            }
            if let Some(field) = term.strip_prefix("ORDERBYDESC") {
                if known(field) {
                    query.order.push(OrderBy {
                        field: field.to_owned(),
                        descending: true,
                    });
                } else {
                    invalid_seen = true;
                }
                continue;
            }
            if let Some(field) = term.strip_prefix("ORDERBY") {
                if known(field) {
                    query.order.push(OrderBy {
                        field: field.to_owned(),
                        descending: false,
                    });
                } else {
                    invalid_seen = true;
                }
                continue;
            }
            let (or_joined, body) = match term.strip_prefix("OR") {
                Some(body) if index > 0 => (true, body),
                _ => (false, term),
            };
            match parse_condition(body).filter(|c| known(&c.field)) {
                Some(condition) => match group.last_mut() {
                    Some(clause) if or_joined => clause.push(condition),
                    _ => group.push(vec![condition]),
                },
                None => invalid_seen = true,
            }
        }
        query.groups.push(group);
        query.matches_nothing = invalid_seen && invalid == InvalidQuery::NoRows;
        query
    }

    /// Whether a row matches; `get` returns a field's raw value (`""` when empty/unknown).
    pub(crate) fn matches(&self, get: impl Fn(&str) -> String) -> bool {
        if self.matches_nothing {
            return false;
        }
        self.groups.iter().any(|group| {
            group
                .iter()
                .all(|clause| clause.iter().any(|c| c.holds(&get(&c.field))))
        })
    }

    /// Compares two rows by the `ORDERBY` terms.
    pub(crate) fn compare(
        &self,
        a: impl Fn(&str) -> String,
        b: impl Fn(&str) -> String,
    ) -> Ordering {
        for key in &self.order {
            let ordering = compare_values(&a(&key.field), &b(&key.field));
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

/// Numbers compare as numbers, everything else (dates included, thanks to their fixed
/// `YYYY-MM-DD HH:MM:SS` form) as strings.
pub(crate) fn compare_values(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl Condition {
    fn holds(&self, actual: &str) -> bool {
        let wanted = self.value.as_str();
        match self.op {
            Op::Eq => actual == wanted,
            Op::Ne => actual != wanted,
            Op::Like => actual.contains(wanted),
            Op::NotLike => !actual.contains(wanted),
            Op::StartsWith => actual.starts_with(wanted),
            Op::EndsWith => actual.ends_with(wanted),
            Op::In => wanted.split(',').any(|v| v == actual),
            Op::NotIn => !wanted.split(',').any(|v| v == actual),
            Op::IsEmpty => actual.is_empty(),
            Op::IsNotEmpty => !actual.is_empty(),
            Op::Lt => !actual.is_empty() && compare_values(actual, wanted).is_lt(),
            Op::Gt => !actual.is_empty() && compare_values(actual, wanted).is_gt(),
            Op::Le => !actual.is_empty() && compare_values(actual, wanted).is_le(),
            Op::Ge => !actual.is_empty() && compare_values(actual, wanted).is_ge(),
            Op::Between => match wanted.split_once('@') {
                Some((low, high)) => {
                    !actual.is_empty()
                        && compare_values(actual, low).is_ge()
                        && compare_values(actual, high).is_le()
                }
                None => false,
            },
            Op::Anything => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> String + 'a {
        move |field| {
            pairs
                .iter()
                .find(|(k, _)| *k == field)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default()
        }
    }

    const FIELDS: [&str; 6] = [
        "state",
        "active",
        "correlation_id",
        "short_description",
        "sys_created_on",
        "caller_id.name",
    ];

    fn parse(text: &str) -> Query {
        Query::parse(text, |f| FIELDS.contains(&f), InvalidQuery::Ignore)
    }

    #[test]
    fn operators_table() {
        let r = [
            ("state", "2"),
            ("active", "true"),
            ("correlation_id", "ax1:9f2c"),
            ("short_description", "disk /var 95% on db-07"),
            ("sys_created_on", "2018-06-01 10:15:04"),
            ("caller_id.name", "Fred Luddy"),
        ];
        let cases: [(&str, bool); 33] = [
            ("", true),
            ("state=2", true),
            ("state=3", false),
            ("state!=3", true),
            ("short_descriptionLIKEvar", true),
            ("short_descriptionLIKEVAR", false),
            ("short_descriptionNOTLIKEvar", false),
            ("short_descriptionNOT LIKEvar", false),
            ("short_descriptionSTARTSWITHdisk", true),
            ("short_descriptionENDSWITHdb-07", true),
            ("stateIN1,2,3", true),
            ("stateIN1,3", false),
            ("stateNOT IN1,3", true),
            ("stateNOT IN2", false),
            ("correlation_idISNOTEMPTY", true),
            ("correlation_idISEMPTY", false),
            ("state<3", true),
            ("state>2", false),
            ("state<=2", true),
            ("state>=2", true),
            ("state>10", false),
            ("sys_created_on>2018-06-01 00:00:00", true),
            (
                "sys_created_onBETWEEN2018-01-01 00:00:00@2018-12-31 23:59:59",
                true,
            ),
            ("correlation_id=ax1:9f2c^active=true", true),
            ("correlation_id=ax1:9f2c^active=false", false),
            ("state=1^ORstate=2", true),
            ("active=false^state=1^ORstate=2", false),
            ("state=1^NQstate=2", true),
            ("state=1^NQactive=false", false),
            ("caller_id.name=Fred Luddy", true),
            ("stateANYTHING", true),
            // Invalid terms are dropped: unknown field, unknown operator.
            ("nonsense=1^state=2", true),
            ("stateSAMEASactive^state=2", true),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).matches(row(&r)), expected, "{text}");
        }
    }

    #[test]
    fn invalid_terms_can_mean_no_rows() {
        let q = Query::parse("bogus=1^state=2", |f| f == "state", InvalidQuery::NoRows);
        assert!(!q.matches(|_| "2".to_owned()));
        let q = Query::parse("state=2", |f| f == "state", InvalidQuery::NoRows);
        assert!(q.matches(|_| "2".to_owned()));
    }

    #[test]
    fn order_by_terms_anywhere() {
        let q = parse("ORDERBYDESCsys_created_on^correlation_id=x^ORDERBYstate");
        assert_eq!(
            q.order,
            vec![
                OrderBy {
                    field: "sys_created_on".to_owned(),
                    descending: true
                },
                OrderBy {
                    field: "state".to_owned(),
                    descending: false
                },
            ]
        );
        assert!(q.matches(row(&[("correlation_id", "x")])));
        let older = [("sys_created_on", "2018-01-01 00:00:00"), ("state", "1")];
        let newer = [("sys_created_on", "2018-02-01 00:00:00"), ("state", "1")];
        assert_eq!(q.compare(row(&newer), row(&older)), Ordering::Less);
    }

    #[test]
    fn numbers_sort_numerically() {
        assert_eq!(compare_values("10", "9"), Ordering::Greater);
        assert_eq!(
            compare_values("INC0010010", "INC0010009"),
            Ordering::Greater
        );
    }

    #[test]
    fn escaped_caret_is_literal() {
        let q = parse("short_description=a^^b");
        assert!(q.matches(row(&[("short_description", "a^b")])));
    }
}
