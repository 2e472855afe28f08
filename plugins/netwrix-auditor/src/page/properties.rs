//! Property tests of the page decoders: a page built from arbitrary records (odd unicode,
//! markup characters, unknown and nested elements, every `When` form) decodes to exactly
//! those records in both formats; the same pages corrupted (cut, spliced with markup, deeply
//! nested, not UTF-8) and arbitrary bytes never panic. Cases: `PROPTEST_CASES` (default 64).

use std::time::SystemTime;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};
use sluice_sdk::{Detail, Record};

use super::{parse_page, Format};
use crate::when;

/// `PROPTEST_CASES` cases when set, else 64 (CI: about a second per property).
pub(crate) fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    Config::with_cases(cases)
}

/// Text that stresses an encoder: markup, escapes, odd unicode, whitespace at the ends.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ]{0,8}",
        Just("<".to_owned()),
        Just("&amp;".to_owned()),
        Just("]]>".to_owned()),
        Just("\"'\\".to_owned()),
        Just("\r\n\t".to_owned()),
        Just("CORP\\jdoe".to_owned()),
        Just("\u{202E}\u{200B}\u{FEFF}".to_owned()),
        Just("e\u{301}\u{1F600}\u{10FFFF}".to_owned()),
        Just("\u{FFFD}".to_owned()),
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..5).prop_map(|parts| {
        // XML 1.0 cannot carry these at all (not even as references); JSON can, but a page
        // is built for both.
        parts
            .concat()
            .chars()
            .filter(|c| !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}'))
            .collect()
    })
}

/// A `When` text and the time it means, in each documented form and a few that are not.
fn when_text() -> impl Strategy<Value = (String, Option<SystemTime>)> {
    let instant = 0i64..4_102_444_800;
    let offset = (-48i32..=56).prop_map(|q| q * 15);
    (instant, offset, 0u8..5).prop_map(|(secs, minutes, form)| {
        let ts = jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let expected = Some(when::to_system_time(ts));
        match form {
            0 => (when::format(ts), expected),
            1 => {
                let off =
                    jiff::tz::Offset::from_seconds(minutes * 60).unwrap_or(jiff::tz::Offset::UTC);
                let civil = off.to_datetime(ts);
                let sign = if minutes < 0 { '-' } else { '+' };
                let m = minutes.abs();
                (
                    format!(
                        "{}{sign}{:02}:{:02}",
                        civil.strftime("%Y-%m-%dT%H:%M:%S"),
                        m / 60,
                        m % 60
                    ),
                    expected,
                )
            }
            2 => (
                format!("{}.123Z", when::format(ts).trim_end_matches('Z')),
                {
                    let with_millis = jiff::Timestamp::from_millisecond(secs * 1000 + 123).ok();
                    with_millis.map(when::to_system_time)
                },
            ),
            3 => ("yesterday".to_owned(), None),
            _ => (String::new(), None),
        }
    })
}

/// What a generated record must decode to, and its parts for the encoders.
#[derive(Debug, Clone)]
struct Spec {
    rid: String,
    /// Top-level scalar elements (documented and unknown names), in element order.
    scalars: Vec<(String, String)>,
    when: Option<(String, Option<SystemTime>)>,
    plan: Option<(String, String)>,
    item: Option<String>,
    /// An unknown element with one child: (outer, inner, value).
    nested: Option<(String, String, String)>,
    details: Vec<Detail>,
}

impl Spec {
    fn expected(&self) -> Record {
        let mut r = Record::new(self.rid.clone());
        for (name, value) in &self.scalars {
            r.fields.push(name, value);
        }
        if let Some((text, time)) = &self.when {
            r.fields.push("When", text);
            r.time = *time;
        }
        if let Some((name, id)) = &self.plan {
            r.fields.push("MonitoringPlan.Name", name);
            r.fields.push("MonitoringPlan.ID", id);
        }
        if let Some(item) = &self.item {
            r.fields.push("Item.Name", item);
        }
        if let Some((outer, inner, value)) = &self.nested {
            r.fields.push(format!("{outer}.{inner}"), value);
        }
        r.details = self.details.clone();
        r
    }
}

fn detail() -> impl Strategy<Value = Detail> {
    (
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(|(property, before, after, message)| Detail {
            property,
            before,
            after,
            message,
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    let names = prop::sample::subsequence(
        vec![
            "Who",
            "Action",
            "What",
            "Where",
            "ObjectType",
            "DataSource",
            "Workstation",
            "IsArchiveOnly",
            "Comment",
            "Extra_1",
        ],
        0..=10,
    );
    (
        "[0-9A-F]{49}",
        names.prop_flat_map(|names| {
            let n = names.len();
            (Just(names), prop::collection::vec(text(), n))
        }),
        prop::option::of(when_text()),
        prop::option::of((text(), text())),
        prop::option::of(text()),
        prop::option::of((
            prop::sample::select(vec!["Extension", "Vendor"]),
            prop::sample::select(vec!["Value", "Code"]),
            text(),
        )),
        prop::collection::vec(detail(), 0..4),
    )
        .prop_map(
            |(rid, (names, values), when, plan, item, nested, details)| Spec {
                rid,
                scalars: names.into_iter().map(str::to_owned).zip(values).collect(),
                when,
                plan,
                item,
                nested: nested.map(|(o, i, v)| (o.to_owned(), i.to_owned(), v)),
                details,
            },
        )
}

/// XML text content: markup escaped, `\r` as a reference (XML would read a raw one as `\n`).
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn xml_page(specs: &[Spec], mark: &str) -> String {
    let el = |name: &str, value: &str| format!("<{name}>{}</{name}>", xml_escape(value));
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ActivityRecordList \
         xmlns=\"http://schemas.netwrix.com/api/v1/activity_records/\">",
    );
    out.push_str(&el("ContinuationMark", mark));
    for s in specs {
        out.push_str("<ActivityRecord>");
        out.push_str(&el("RID", &s.rid));
        for (name, value) in &s.scalars {
            out.push_str(&el(name, value));
        }
        if let Some((text, _)) = &s.when {
            out.push_str(&el("When", text));
        }
        if let Some((name, id)) = &s.plan {
            out.push_str(&format!(
                "<MonitoringPlan>{}{}</MonitoringPlan>",
                el("Name", name),
                el("ID", id)
            ));
        }
        if let Some(item) = &s.item {
            out.push_str(&format!("<Item>\n  {}\n</Item>", el("Name", item)));
        }
        if let Some((outer, inner, value)) = &s.nested {
            out.push_str(&format!("<{outer}>{}</{outer}>", el(inner, value)));
        }
        out.push_str("<DetailList>");
        for d in &s.details {
            out.push_str("<Detail>");
            out.push_str(&el("PropertyName", &d.property));
            for (name, value) in [
                ("Before", &d.before),
                ("After", &d.after),
                ("Message", &d.message),
            ] {
                match value {
                    Some(v) => out.push_str(&el(name, v)),
                    None => out.push_str(&format!(
                        "<{name} xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:nil=\"true\"/>"
                    )),
                }
            }
            out.push_str("</Detail>");
        }
        out.push_str("</DetailList></ActivityRecord>\n");
    }
    out.push_str("</ActivityRecordList>");
    out
}

fn json_page(specs: &[Spec], mark: &str) -> String {
    let records: Vec<Value> = specs
        .iter()
        .map(|s| {
            let mut r = Map::new();
            r.insert("RID".into(), json!(s.rid));
            for (name, value) in &s.scalars {
                r.insert(name.clone(), json!(value));
            }
            if let Some((text, _)) = &s.when {
                r.insert("When".into(), json!(text));
            }
            if let Some((name, id)) = &s.plan {
                r.insert("MonitoringPlan".into(), json!({ "Name": name, "ID": id }));
            }
            if let Some(item) = &s.item {
                r.insert("Item".into(), json!({ "Name": item }));
            }
            if let Some((outer, inner, value)) = &s.nested {
                r.insert(outer.clone(), json!({ inner.clone(): value }));
            }
            let details: Vec<Value> = s
                .details
                .iter()
                .map(|d| {
                    json!({
                        "PropertyName": d.property,
                        "Before": d.before,
                        "After": d.after,
                        "Message": d.message,
                    })
                })
                .collect();
            r.insert("DetailList".into(), Value::Array(details));
            Value::Object(r)
        })
        .collect();
    json!({ "ActivityRecordList": records, "ContinuationMark": mark }).to_string()
}

/// Fields in a comparable order: each decoder keeps the wire's order, which differs.
fn normalised(mut r: Record) -> Record {
    let mut fields = r.fields.into_vec();
    fields.sort();
    r.fields = sluice_sdk::Fields::default();
    for (name, value) in fields {
        r.fields.push(name, value);
    }
    r
}

/// Ways to break a valid page.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Splice(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Byte(usize, u8),
}

fn snippet() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "<",
            ">",
            "&",
            "&#0;",
            "&#xD800;",
            "&#1114112;",
            "&#99999999999999999999;",
            "&bogus;",
            "<![CDATA[",
            "]]>",
            "</ActivityRecord>",
            "<ActivityRecord>",
            "<RID>",
            "</RID>",
            "<ActivityRecordList>",
            "<?xml version=\"1.0\"?>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]>",
            "xsi:nil=\"true\"",
            "\"",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\\",
            "\\u0000",
            "\\uD800",
            "\\uDFFF\\uD800",
            "1e999999",
            "-0.0e-99999",
            "99999999999999999999999999999",
            "null",
            "true",
            "{\"RID\":null}",
            "\"ActivityRecordList\":",
            "\u{FEFF}",
            "\u{1F600}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 1..8),
        (1usize..3000).prop_map(|n| "[".repeat(n).into_bytes()),
        (1usize..3000).prop_map(|n| "{\"a\":".repeat(n).into_bytes()),
        (1usize..3000).prop_map(|n| "<a>".repeat(n).into_bytes()),
        Just(vec![0xff, 0xfe, 0xc3]),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<prop::sample::Index>();
    prop_oneof![
        at.clone()
            .prop_map(|i| Mutation::Truncate(i.index(usize::MAX))),
        (at.clone(), snippet()).prop_map(|(i, s)| Mutation::Splice(i.index(usize::MAX), s)),
        (at.clone(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i.index(usize::MAX), n)),
        (at.clone(), 1usize..256).prop_map(|(i, n)| Mutation::Duplicate(i.index(usize::MAX), n)),
        (at, any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i.index(usize::MAX), b)),
    ]
}

fn apply(body: &mut Vec<u8>, m: &Mutation) {
    let len = body.len();
    let pos = |p: usize| if len == 0 { 0 } else { p % (len + 1) };
    match m {
        Mutation::Truncate(p) => body.truncate(pos(*p)),
        Mutation::Splice(p, s) => {
            let p = pos(*p);
            body.splice(p..p, s.iter().copied());
        }
        Mutation::Delete(p, n) => {
            let p = pos(*p);
            body.drain(p..(p + n).min(len));
        }
        Mutation::Duplicate(p, n) => {
            let p = pos(*p);
            let copy = body[p..(p + n).min(len)].to_vec();
            body.splice(p..p, copy);
        }
        Mutation::Byte(p, b) => {
            if len > 0 {
                body[*p % len] = *b;
            }
        }
    }
}

fn check_decodes_sanely(format: Format, body: &[u8]) {
    if let Ok(page) = parse_page(format, body) {
        assert!(page.records.iter().all(|r| !r.id.is_empty()));
        assert!(page.mark.as_deref().is_none_or(|m| !m.trim().is_empty()));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_pages_decode_to_their_records(
        specs in prop::collection::vec(spec(), 0..6),
        mark in "[A-Za-z0-9+/=]{0,40}",
    ) {
        let expected: Vec<Record> = specs.iter().map(|s| normalised(s.expected())).collect();
        let expected_mark = Some(mark.clone()).filter(|m| !m.is_empty());
        for (format, body) in [
            (Format::Xml, xml_page(&specs, &mark)),
            (Format::Json, json_page(&specs, &mark)),
        ] {
            let page = parse_page(format, body.as_bytes())
                .unwrap_or_else(|e| panic!("{format:?}: {e}\n{body}"));
            let decoded: Vec<Record> = page.records.into_iter().map(normalised).collect();
            prop_assert_eq!(&decoded, &expected, "{:?}:\n{}", format, body);
            prop_assert_eq!(&page.mark, &expected_mark);
            prop_assert_eq!(page.unidentified, 0);
        }
    }

    #[test]
    fn corrupted_pages_never_panic(
        specs in prop::collection::vec(spec(), 0..4),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        for (format, body) in [
            (Format::Xml, xml_page(&specs, "M")),
            (Format::Json, json_page(&specs, "M")),
        ] {
            let mut body = body.into_bytes();
            for m in &mutations {
                apply(&mut body, m);
            }
            check_decodes_sanely(format, &body);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_decodes_sanely(Format::Xml, &body);
        check_decodes_sanely(Format::Json, &body);
    }
}

#[test]
fn deep_nesting_is_an_error_or_a_page_never_a_crash() {
    for depth in [10, 1_000, 100_000] {
        let json = format!(
            "{{\"ActivityRecordList\":[{{\"RID\":\"R\",\"X\":{}1{}}}]}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        check_decodes_sanely(Format::Json, json.as_bytes());
        let object = format!(
            "{{\"ActivityRecordList\":[{{\"RID\":\"R\",\"X\":{}1{}}}]}}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        );
        check_decodes_sanely(Format::Json, object.as_bytes());
        let xml = format!(
            "<ActivityRecordList><ActivityRecord><RID>R</RID>{}v{}</ActivityRecord></ActivityRecordList>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        check_decodes_sanely(Format::Xml, xml.as_bytes());
    }
}
