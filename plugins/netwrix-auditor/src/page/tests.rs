//! The page decoders against hand-built pages: examples composed from the documented shapes, and
//! the shapes the documentation allows or leaves open.

use std::time::{Duration, UNIX_EPOCH};

use sluice_sdk::Detail;

use super::*;

/// A composed example, XML, pretty-printed as the documentation prints its own.
const XML_EXAMPLE: &str = r#"<?xml version="1.0" standalone="yes"?>
<ActivityRecordList xmlns="http://schemas.netwrix.com/api/v1/activity_records/">
  <ContinuationMark>PG5yPjxuIG49InswRjNBfSIgbz0iMTAwMCIvPjwvbnI+AA==</ContinuationMark>
  <ActivityRecord>
    <MonitoringPlan>
      <Name>HQ Directory</Name>
      <ID>{7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F}</ID>
    </MonitoringPlan>
    <DataSource>Active Directory</DataSource>
    <Item><Name>corp.example (Domain)</Name></Item>
    <ObjectType>group</ObjectType>
    <RID>20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90</RID>
    <What>\example\corp\Groups\Domain Admins</What>
    <Action>Modified</Action>
    <When>2024-03-11T08:45:12Z</When>
    <Where>dc01.corp.example</Where>
    <Who>CORP\jdoe</Who>
    <Workstation>ws-042.corp.example</Workstation>
    <IsArchiveOnly>false</IsArchiveOnly>
    <DetailList>
      <Detail>
        <PropertyName>member</PropertyName>
        <After>CORP\mallory</After>
      </Detail>
      <Detail>
        <PropertyName>description</PropertyName>
        <Before>old</Before>
        <After>new</After>
        <Message>changed</Message>
      </Detail>
    </DetailList>
  </ActivityRecord>
</ActivityRecordList>"#;

/// The same page in JSON, keys in another order.
const JSON_EXAMPLE: &str = r#"{
  "ContinuationMark": "PG5yPjxuIG49InswRjNBfSIgbz0iMTAwMCIvPjwvbnI+AA==",
  "ActivityRecordList": [
    {
      "Action": "Modified",
      "MonitoringPlan": {"ID": "{7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F}", "Name": "HQ Directory"},
      "DataSource": "Active Directory",
      "Item": {"Name": "corp.example (Domain)"},
      "ObjectType": "group",
      "RID": "20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90",
      "What": "\\example\\corp\\Groups\\Domain Admins",
      "When": "2024-03-11T08:45:12Z",
      "Where": "dc01.corp.example",
      "Who": "CORP\\jdoe",
      "Workstation": "ws-042.corp.example",
      "IsArchiveOnly": false,
      "DetailList": [
        {"PropertyName": "member", "After": "CORP\\mallory"},
        {"Message": "changed", "After": "new", "Before": "old", "PropertyName": "description"}
      ]
    }
  ]
}"#;

fn parse(format: Format, body: &str) -> Page {
    parse_page(format, body.as_bytes()).unwrap_or_else(|e| panic!("{format:?}: {e}"))
}

fn sorted_fields(page: &Page) -> Vec<(String, String)> {
    let mut fields = page.records[0].fields.clone().into_vec();
    fields.sort();
    fields
}

#[test]
fn the_documented_example_decodes_the_same_in_both_formats() {
    let xml = parse(Format::Xml, XML_EXAMPLE);
    let json = parse(Format::Json, JSON_EXAMPLE);
    for page in [&xml, &json] {
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.unidentified, 0);
        assert_eq!(
            page.mark.as_deref(),
            Some("PG5yPjxuIG49InswRjNBfSIgbz0iMTAwMCIvPjwvbnI+AA==")
        );
        let record = &page.records[0];
        assert_eq!(
            record.id,
            "20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90"
        );
        assert_eq!(
            record.time,
            Some(UNIX_EPOCH + Duration::from_secs(1_710_146_712))
        );
        for (name, value) in [
            ("Who", r"CORP\jdoe"),
            ("Action", "Modified"),
            ("What", r"\example\corp\Groups\Domain Admins"),
            ("When", "2024-03-11T08:45:12Z"),
            ("Where", "dc01.corp.example"),
            ("ObjectType", "group"),
            ("DataSource", "Active Directory"),
            ("Workstation", "ws-042.corp.example"),
            ("IsArchiveOnly", "false"),
            ("MonitoringPlan.Name", "HQ Directory"),
            (
                "MonitoringPlan.ID",
                "{7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F}",
            ),
            ("Item.Name", "corp.example (Domain)"),
        ] {
            assert_eq!(record.field(name), Some(value), "{name}");
        }
        assert_eq!(record.fields.len(), 12);
        assert!(!record.fields.contains("RID"));
        assert_eq!(
            record.details,
            [
                Detail::new("member").after(r"CORP\mallory"),
                Detail::new("description")
                    .before("old")
                    .after("new")
                    .message("changed"),
            ]
        );
    }
    assert_eq!(sorted_fields(&xml), sorted_fields(&json));
}

#[test]
fn absent_is_no_field_and_empty_is_an_empty_field() {
    let xml = parse(
        Format::Xml,
        r#"<ActivityRecordList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><ActivityRecord><RID>R</RID><Workstation/><Where></Where><DataSource xsi:nil="true"/><DetailList><Detail><PropertyName>p</PropertyName><Before></Before></Detail></DetailList></ActivityRecord></ActivityRecordList>"#,
    );
    let json = parse(
        Format::Json,
        r#"{"ActivityRecordList":[{"RID":"R","Workstation":"","Where":"","DataSource":null,"DetailList":[{"PropertyName":"p","Before":"","After":null}]}]}"#,
    );
    for page in [xml, json] {
        let record = &page.records[0];
        assert_eq!(record.field("Workstation"), Some(""));
        assert_eq!(record.field("Where"), Some(""));
        assert!(!record.fields.contains("DataSource"));
        assert!(!record.fields.contains("Who"));
        assert_eq!(record.time, None);
        assert_eq!(record.details, [Detail::new("p").before("")]);
    }
}

#[test]
fn unknown_elements_are_kept_never_fatal() {
    let xml = parse(
        Format::Xml,
        r#"<ActivityRecordList><Extra>ignored</Extra><ActivityRecord><Severity>High</Severity><RID>R</RID><Origin><Site>HQ</Site><Rack><Unit>7</Unit></Rack></Origin><DetailList><Detail><PropertyName>p</PropertyName><Kind>attr</Kind></Detail><Note>n</Note></DetailList></ActivityRecord></ActivityRecordList>"#,
    );
    let json = parse(
        Format::Json,
        r#"{"Extra":{"x":1},"ActivityRecordList":[{"Severity":"High","RID":"R","Origin":{"Site":"HQ","Rack":{"Unit":7}},"DetailList":[{"PropertyName":"p","Kind":"attr"}],"Tags":["a","b"],"Score":1.5,"Flag":true}]}"#,
    );
    for page in [&xml, &json] {
        let record = &page.records[0];
        assert_eq!(record.field("Severity"), Some("High"));
        assert_eq!(record.field("Origin.Site"), Some("HQ"));
        assert_eq!(record.field("Origin.Rack.Unit"), Some("7"));
        assert_eq!(record.field("DetailList.Detail.Kind"), Some("attr"));
        assert_eq!(record.details, [Detail::new("p")]);
    }
    assert_eq!(xml.records[0].field("DetailList.Note"), Some("n"));
    let record = &json.records[0];
    assert_eq!(
        record.fields.get_all("Tags").collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(record.field("Score"), Some("1.5"));
    assert_eq!(record.field("Flag"), Some("true"));
}

#[test]
fn the_three_documented_when_forms() {
    for when in [
        "2024-03-11T08:45:12Z",
        "2024-03-11T09:45:12+01:00",
        "2024-03-11T03:45:12-05:00",
    ] {
        let xml = parse(
            Format::Xml,
            &format!("<ActivityRecordList><ActivityRecord><RID>R</RID><When>{when}</When></ActivityRecord></ActivityRecordList>"),
        );
        let json = parse(
            Format::Json,
            &format!(r#"{{"ActivityRecordList":[{{"RID":"R","When":"{when}"}}]}}"#),
        );
        for page in [xml, json] {
            let record = &page.records[0];
            assert_eq!(
                record.time,
                Some(UNIX_EPOCH + Duration::from_secs(1_710_146_712)),
                "{when}"
            );
            assert_eq!(record.field("When"), Some(when));
        }
    }
}

#[test]
fn a_when_in_no_known_form_keeps_its_text() {
    let page = parse(
        Format::Json,
        r#"{"ActivityRecordList":[{"RID":"R","When":"11/03/2024 08:45"}]}"#,
    );
    assert_eq!(page.records[0].time, None);
    assert_eq!(page.records[0].field("When"), Some("11/03/2024 08:45"));
}

#[test]
fn last_pages_with_and_without_a_mark() {
    for (format, body, mark) in [
        (
            Format::Xml,
            r#"<?xml version="1.0" standalone="yes"?><ActivityRecordList xmlns="http://schemas.netwrix.com/api/v1/activity_records/"><ContinuationMark>M</ContinuationMark></ActivityRecordList>"#,
            Some("M"),
        ),
        (
            Format::Xml,
            r#"<ActivityRecordList xmlns="http://schemas.netwrix.com/api/v1/activity_records/"/>"#,
            None,
        ),
        (
            Format::Xml,
            "<ActivityRecordList><ContinuationMark> </ContinuationMark></ActivityRecordList>",
            None,
        ),
        (
            Format::Json,
            r#"{"ActivityRecordList":[],"ContinuationMark":"M"}"#,
            Some("M"),
        ),
        (Format::Json, r#"{"ActivityRecordList":[]}"#, None),
        (
            Format::Json,
            r#"{"ActivityRecordList":null,"ContinuationMark":""}"#,
            None,
        ),
        (Format::Json, "[]", None),
    ] {
        let page = parse(format, body);
        assert!(page.records.is_empty(), "{body}");
        assert_eq!(page.mark.as_deref(), mark, "{body}");
    }
}

#[test]
fn records_without_a_rid_are_counted_and_left_out() {
    let page = parse(
        Format::Json,
        r#"{"ActivityRecordList":[{"Who":"a"},{"RID":"R","Who":"b"},{"RID":""}]}"#,
    );
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.unidentified, 2);
}

#[test]
fn xml_prefixes_entities_and_cdata() {
    let page = parse(
        Format::Xml,
        r#"<a:ActivityRecordList xmlns:a="http://schemas.netwrix.com/api/v1/activity_records/"><a:ActivityRecord><a:RID>R</a:RID><a:Who>CORP\a&amp;b &#x41;&#66;</a:Who><a:What><![CDATA[<raw> & stuff]]></a:What></a:ActivityRecord></a:ActivityRecordList>"#,
    );
    let record = &page.records[0];
    assert_eq!(record.field("Who"), Some(r"CORP\a&b AB"));
    assert_eq!(record.field("What"), Some("<raw> & stuff"));
}

#[test]
fn cut_and_foreign_bodies_are_errors() {
    for format in [Format::Xml, Format::Json] {
        let full = match format {
            Format::Xml => XML_EXAMPLE,
            Format::Json => JSON_EXAMPLE,
        };
        for cut in [0, 1, full.len() / 3, full.len() / 2, full.len() - 2] {
            let body = &full.as_bytes()[..cut];
            assert!(parse_page(format, body).is_err(), "{format:?} cut at {cut}");
        }
    }
    let error_list = br#"<ErrorList xmlns="http://schemas.netwrix.com/api/v1/"><Error><Category>XMLError</Category></Error></ErrorList>"#;
    assert!(matches!(
        parse_page(Format::Xml, error_list),
        Err(PageError::NotAPage(_))
    ));
    assert!(parse_page(Format::Json, br#"{"ErrorList":[]}"#).is_err());
    assert!(parse_page(Format::Json, br#"{"ActivityRecordList":[]} trailing"#).is_err());
    assert!(parse_page(
        Format::Xml,
        b"<ActivityRecordList>&bogus;</ActivityRecordList>"
    )
    .is_err());
}
