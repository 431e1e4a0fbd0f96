//! Request bodies: one JSON object of at most [`MAX_BODY_BYTES`].

use serde_json::{Map, Value};

use super::ApiError;

/// Caps request bodies at 1 MiB: far above any valid request, far below what would hurt
/// the server.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Reads `body` as exactly one JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(_) => Err(ApiError::bad_request(
            "the request body is not a single valid JSON value",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_object() {
        let object = parse_object(br#" {"name": "Widget"} "#).expect("an object");
        assert_eq!(object["name"], "Widget");
    }

    #[test]
    fn refuses_anything_else() {
        for body in [
            &b""[..],
            b"  ",
            b"{\"name\":",
            b"[1, 2]",
            b"{} {}",
            b"\"text\"",
        ] {
            let error = parse_object(body).expect_err("not one object");
            assert_eq!(error.status(), 400, "{}", String::from_utf8_lossy(body));
        }
    }
}
