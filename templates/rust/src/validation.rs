//! Reading request fields from a JSON object, naming every field that is wrong.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

/// Each invalid field of a request, with what is wrong with it.
pub type FieldErrors = BTreeMap<String, String>;

/// The fields of one JSON object, read one by one; problems are collected, not returned
/// at the first, so that a client learns about every invalid field at once.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    errors: FieldErrors,
}

impl<'a> Fields<'a> {
    /// Starts reading `object`, whose fields must all be among `known`.
    pub fn new(object: &'a Map<String, Value>, known: &[&str]) -> Self {
        let errors = object
            .keys()
            .filter(|key| !known.contains(&key.as_str()))
            .map(|key| (key.clone(), "is not a known field".to_owned()))
            .collect();
        Self { object, errors }
    }

    /// The required string field `name`.
    pub fn string(&mut self, name: &str) -> Option<&'a str> {
        match self.object.get(name) {
            Some(Value::String(value)) => Some(value),
            Some(_) => self.reject(name, "must be a string"),
            None => self.reject(name, "is required"),
        }
    }

    /// The required integer field `name`: any JSON number with an integral value, as
    /// JSON Schema counts integers, so `1033.0` and `1.033e3` are 1033. A value beyond
    /// an `i64` saturates: it is outside every range a caller checks next.
    pub fn integer(&mut self, name: &str) -> Option<i64> {
        match self.object.get(name) {
            Some(Value::Number(number)) => match integral(number) {
                Some(value) => Some(value),
                None => self.reject(name, "must be an integer"),
            },
            Some(_) => self.reject(name, "must be an integer"),
            None => self.reject(name, "is required"),
        }
    }

    /// Records that field `name` is invalid; the first problem of a field is kept.
    pub fn reject<T>(&mut self, name: &str, problem: &str) -> Option<T> {
        self.errors
            .entry(name.to_owned())
            .or_insert_with(|| problem.to_owned());
        None
    }

    /// The problems found; empty when every field read was valid.
    pub fn into_errors(self) -> FieldErrors {
        self.errors
    }
}

/// The value of `number` when it is integral, saturated to the range of an `i64`.
fn integral(number: &Number) -> Option<i64> {
    if let Some(value) = number.as_i64() {
        return Some(value);
    }
    if number.is_u64() {
        return Some(i64::MAX);
    }
    let value = number.as_f64().filter(|value| value.fract() == 0.0)?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the value is integral, and the cast saturates beyond an i64"
    )]
    let saturated = value as i64;
    Some(saturated)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn reads_valid_fields() {
        let body = object(json!({"name": "Widget", "count": 3}));
        let mut fields = Fields::new(&body, &["name", "count"]);
        assert_eq!(fields.string("name"), Some("Widget"));
        assert_eq!(fields.integer("count"), Some(3));
        assert!(fields.into_errors().is_empty());
    }

    #[test]
    fn integers_are_numbers_with_an_integral_value() {
        let body = object(json!({
            "plain": 1033,
            "point_zero": 1033.0,
            "exponent": 1.033e3,
            "negative": -2.0,
            "huge": 1e300,
            "unsigned": u64::MAX,
            "fraction": 1033.5,
            "text": "1033",
            "flag": true,
        }));
        let names: Vec<&str> = body.keys().map(String::as_str).collect();
        let mut fields = Fields::new(&body, &names);
        assert_eq!(fields.integer("plain"), Some(1033));
        assert_eq!(fields.integer("point_zero"), Some(1033));
        assert_eq!(fields.integer("exponent"), Some(1033));
        assert_eq!(fields.integer("negative"), Some(-2));
        assert_eq!(fields.integer("huge"), Some(i64::MAX));
        assert_eq!(fields.integer("unsigned"), Some(i64::MAX));
        for name in ["fraction", "text", "flag"] {
            assert_eq!(fields.integer(name), None, "{name}");
        }
        let errors = fields.into_errors();
        for name in ["fraction", "text", "flag"] {
            assert_eq!(errors[name], "must be an integer", "{name}");
        }
    }

    #[test]
    fn names_every_invalid_field() {
        let body = object(json!({"name": 7, "count": 1.5, "colour": "red"}));
        let mut fields = Fields::new(&body, &["name", "count", "missing"]);
        assert_eq!(fields.string("name"), None);
        assert_eq!(fields.integer("count"), None);
        assert_eq!(fields.string("missing"), None);
        let errors = fields.into_errors();
        assert_eq!(errors["name"], "must be a string");
        assert_eq!(errors["count"], "must be an integer");
        assert_eq!(errors["missing"], "is required");
        assert_eq!(errors["colour"], "is not a known field");
    }
}
