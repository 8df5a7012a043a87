//! Scenario lines as JSON values, refusing a key that appears twice in one
//! object, at any depth. (`serde_json` alone keeps the last one silently.)
//!
//! A `rawBody` is a JSON string, so what it holds is never parsed here: a
//! Graph body with duplicate keys can still be sent that way.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::wire::truncate;

/// Parses one JSON value. `Err` is the message for the line: a duplicate
/// key names itself and where it is; a syntax error starts with "not valid
/// JSON".
pub(super) fn parse(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Seed(Path::Root)
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    value.map_err(|e| {
        if e.is_data() {
            // Only the duplicate-key check below raises a data error.
            e.to_string()
        } else {
            format!("not valid JSON: {e}")
        }
    })
}

/// Where a value is in the line: `request.body.prompts[0]`.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => Ok(()),
            Self::Key(Self::Root, key) => f.write_str(truncate(key)),
            Self::Key(parent, key) => write!(f, "{parent}.{}", truncate(key)),
            Self::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// Builds a [`Value`] like `serde_json` does, but refuses duplicate keys.
struct Seed<'a>(Path<'a>);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed(Path::Index(&self.0, items.len())))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let place = match self.0 {
                    Path::Root => String::new(),
                    path => format!(" in {path}"),
                };
                return Err(de::Error::custom(format_args!(
                    "duplicate key \"{}\"{place}: a key may appear once in an object (a body with duplicate keys can be sent as \"rawBody\")",
                    truncate(&key)
                )));
            }
            let value = map.next_value_seed(Seed(Path::Key(&self.0, &key)))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}
