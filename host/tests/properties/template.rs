//! The template renderer (`pipeline::template`, `pipeline::mapping`): a template built from
//! literal text, `%%` and placeholders renders what a reference model says; arbitrary text
//! never panics and, without `%`, renders as itself; every known placeholder renders from an
//! arbitrary alert and record.

use std::borrow::Cow;
use std::collections::BTreeMap;

use proptest::prelude::*;
use sluice_core::Template;
use sluice_core::{AlertContext, TicketTemplate, ALERT_PLACEHOLDERS};
use sluice_sdk::{Detail, Record};

#[derive(Debug, Clone)]
enum Token {
    /// Text without `%`.
    Literal(String),
    /// `%%`, a literal `%`.
    Percent,
    /// `%Name%` with a known name.
    Placeholder(&'static str),
    /// A `%` that starts no placeholder: followed by a character that cannot be in a name.
    Stray(char),
}

fn token() -> impl Strategy<Value = Token> {
    prop_oneof![
        "[^%]{0,8}".prop_map(Token::Literal),
        Just(Token::Percent),
        prop::sample::select(ALERT_PLACEHOLDERS.to_vec()).prop_map(Token::Placeholder),
        prop::sample::select(vec![' ', '-', '\n', 'é', '!', '\u{1F600}']).prop_map(Token::Stray),
    ]
}

fn source(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Literal(s) => s.clone(),
            Token::Percent => "%%".to_owned(),
            Token::Placeholder(n) => format!("%{n}%"),
            Token::Stray(c) => format!("%{c}"),
        })
        .collect()
}

fn expected(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Literal(s) => s.clone(),
            Token::Percent => "%".to_owned(),
            Token::Placeholder(n) => format!("<{n}>"),
            Token::Stray(c) => format!("%{c}"),
        })
        .collect()
}

/// Text that is hard on a renderer: markup, odd unicode, stray and doubled `%`.
fn odd_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "\\PC{0,6}",
            Just("%".to_owned()),
            Just("%%".to_owned()),
            Just("%Who%".to_owned()),
            Just("%AlertName".to_owned()),
            Just("\u{202E}\u{0}\r\n".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn record() -> impl Strategy<Value = Record> {
    let names = [
        "Who",
        "Action",
        "ObjectType",
        "What",
        "When",
        "Where",
        "Workstation",
        "DataSource",
        "MonitoringPlan.Name",
        "Item.Name",
    ];
    (
        "[0-9A-F]{1,49}",
        prop::collection::vec("[^%]{0,12}", names.len()),
        prop::collection::vec(("[^%]{0,6}", prop::option::of("[^%]{0,6}")), 0..3),
    )
        .prop_map(move |(id, values, details)| {
            let mut r = Record::new(id);
            for (name, value) in names.iter().zip(values) {
                r.fields.push(name, value);
            }
            r.details = details
                .into_iter()
                .map(|(p, after)| Detail {
                    property: p,
                    after,
                    ..Detail::default()
                })
                .collect();
            r
        })
}

proptest! {
    #![proptest_config(crate::cases(64))]

    #[test]
    fn rendering_agrees_with_the_reference_model(tokens in prop::collection::vec(token(), 0..12)) {
        let text = source(&tokens);
        let t = Template::parse(&text, Some(ALERT_PLACEHOLDERS))
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let out = t.render(|name| Some(Cow::Owned(format!("<{name}>"))));
        prop_assert_eq!(out, expected(&tokens), "template {:?}", text);
    }

    #[test]
    fn arbitrary_text_parses_or_is_refused_never_panics(text in odd_text()) {
        for accepts in [Some(ALERT_PLACEHOLDERS), None] {
            if let Ok(t) = Template::parse(&text, accepts) {
                let _ = t.render(|_| None);
                let names: Vec<&str> = t.placeholders().collect();
                if accepts.is_some() {
                    prop_assert!(names.iter().all(|n| ALERT_PLACEHOLDERS.contains(n)));
                }
            }
        }
        if !text.contains('%') {
            let t = Template::parse(&text, None).unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(t.render(|_| None), text);
        }
    }

    #[test]
    fn every_known_placeholder_renders(
        record in record(),
        name in "[^%]{0,12}",
        description in "[^%]{0,12}",
        alert_id in prop::option::of("[^%]{0,12}"),
        with_record in any::<bool>(),
    ) {
        let alert = AlertContext {
            name: &name,
            description: &description,
            alert_id: alert_id.as_deref(),
            record_id: Some(&record.id),
            record: with_record.then_some(&record),
            computer: "auditor01",
        };
        let fields: BTreeMap<String, String> = ALERT_PLACEHOLDERS
            .iter()
            .map(|p| ((*p).to_owned(), format!("%{p}%")))
            .collect();
        let template = TicketTemplate::new(&fields, "%number%")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let rendered = template.render_open(&alert, None);
        let field = |n: &str| if with_record { record.field(n).unwrap_or("") } else { "" };
        for p in ALERT_PLACEHOLDERS {
            let got = rendered.get(p).unwrap_or_else(|| panic!("{p} not rendered"));
            prop_assert!(!got.contains(&format!("%{p}%")), "%{p}% left in {got:?}");
            let want: String = match *p {
                "AlertName" => name.clone(),
                "AlertDescription" => description.clone(),
                "AlertID" => alert_id.clone().unwrap_or_default(),
                "RecordID" => record.id.clone(),
                "PreviousTicketReference" => String::new(),
                "Computer" => "auditor01".to_owned(),
                "MonitoringPlanName" => field("MonitoringPlan.Name").to_owned(),
                "Item" => field("Item.Name").to_owned(),
                "What" if !with_record => format!("(activity record {} could not be retrieved)", record.id),
                "Details" => {
                    if with_record {
                        for d in &record.details {
                            prop_assert!(got.contains(d.property.trim_end()), "{got:?} lacks {:?}", d.property);
                        }
                    }
                    continue;
                }
                other => field(other).to_owned(),
            };
            prop_assert_eq!(got, want.trim_end(), "%{}%", p);
        }
    }
}
