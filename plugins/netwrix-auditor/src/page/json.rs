//! The JSON page: `{"ActivityRecordList": [...], "ContinuationMark":
//! "..."}`, decoded by serde visitors straight into [`Record`]s, borrowing keys from the body
//! and allocating only the names and values a record keeps.
//!
//! Also accepted: a bare array of records, the output form one documentation page shows
//! (contradicting the search and retrieve pages, so most likely a slip); it carries no mark.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use sluice_sdk::{Detail, Fields, Record};

use super::{Page, PageError};
use crate::when;

pub(super) fn parse(body: &[u8]) -> Result<Page, PageError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let page = de
        .deserialize_any(PageVisitor)
        .and_then(|page| de.end().map(|()| page))
        .map_err(|e| PageError::Json(e.to_string()))?;
    Ok(page)
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Page;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with ActivityRecordList")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page, A::Error> {
        let mut records = None;
        let mut mark = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "ActivityRecordList" => records = Some(map.next_value::<RecordList>()?.0),
                "ContinuationMark" => mark = map.next_value_seed(Text)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let records = records.ok_or_else(|| de::Error::missing_field("ActivityRecordList"))?;
        Ok(Page::new(records, mark))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Page, A::Error> {
        RecordList::visit(seq).map(|records| Page::new(records, None))
    }
}

/// An object key, borrowed from the body unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// `ActivityRecordList`: an array of records, or `null` for none.
struct RecordList(Vec<Record>);

impl RecordList {
    fn visit<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Record>, A::Error> {
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(record) = seq.next_element_seed(RecordSeed)? {
            records.push(record);
        }
        Ok(records)
    }
}

impl<'de> Deserialize<'de> for RecordList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = RecordList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of activity records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RecordList, A::Error> {
                RecordList::visit(seq).map(RecordList)
            }
            fn visit_unit<E: de::Error>(self) -> Result<RecordList, E> {
                Ok(RecordList(Vec::new()))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

/// One activity record object.
struct RecordSeed;

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Record;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Record, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an activity record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut record = Record {
            fields: Fields::with_capacity(14),
            ..Record::default()
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "RID" => {
                    if let Some(rid) = map.next_value_seed(Text)? {
                        record.id = rid.trim().to_owned();
                    }
                }
                "DetailList" => map.next_value_seed(DetailListSeed(&mut record))?,
                _ => map.next_value_seed(Flatten {
                    path: key.0.into_owned(),
                    fields: &mut record.fields,
                })?,
            }
        }
        record.time = record.fields.get("When").and_then(when::parse_system_time);
        Ok(record)
    }
}

/// Pushes a value as fields under `path`: a scalar as one field (numbers and booleans as
/// their JSON text), an object as one field per leaf under `path.key`, an array as repeats of
/// `path`; `null` as nothing (absent, not empty).
struct Flatten<'f> {
    path: String,
    fields: &'f mut Fields,
}

impl<'de> DeserializeSeed<'de> for Flatten<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Flatten<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.fields.push(self.path, v);
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.fields.push(self.path, v);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.fields
            .push(self.path, if v { "true" } else { "false" });
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.fields.push(self.path, v.to_string());
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.fields.push(self.path, v.to_string());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.fields.push(self.path, v.to_string());
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let path = format!("{}.{}", self.path, key.0);
            map.next_value_seed(Flatten {
                path,
                fields: &mut *self.fields,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Flatten {
                path: self.path.clone(),
                fields: &mut *self.fields,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// A scalar as text: strings as they are, numbers and booleans as their JSON text, `null` as
/// `None`.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// `DetailList`: an array of Detail objects (the documented form); also
/// `{"Detail": object-or-array}`, the shape an XML-to-JSON conversion gives, and `null`.
struct DetailListSeed<'r>(&'r mut Record);

impl<'de> DeserializeSeed<'de> for DetailListSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DetailListSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of Detail objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(DetailSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.0 == "Detail" {
                map.next_value_seed(DetailListSeed(&mut *self.0))?;
            } else {
                map.next_value_seed(Flatten {
                    path: format!("DetailList.{}", key.0),
                    fields: &mut self.0.fields,
                })?;
            }
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One Detail object; a `null` entry is skipped.
struct DetailSeed<'r>(&'r mut Record);

impl<'de> DeserializeSeed<'de> for DetailSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DetailSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Detail object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut detail = Detail::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "PropertyName" => detail.property = map.next_value_seed(Text)?.unwrap_or_default(),
                "Before" => detail.before = map.next_value_seed(Text)?,
                "After" => detail.after = map.next_value_seed(Text)?,
                "Message" => detail.message = map.next_value_seed(Text)?,
                other => map.next_value_seed(Flatten {
                    path: format!("DetailList.Detail.{other}"),
                    fields: &mut self.0.fields,
                })?,
            }
        }
        self.0.details.push(detail);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}
