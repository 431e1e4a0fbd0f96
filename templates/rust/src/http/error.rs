//! The API's errors: what a client is told, as JSON, and nothing of the internals.

use std::fmt;

use serde::Serialize;

use super::{MAX_BODY_BYTES, request};
use crate::validation::FieldErrors;

/// An error response: `{"error":{"code":…,"message":…,"request_id":…}}`. It
/// remembers the id of the request it was made for, so that it can be answered
/// wherever it ends up.
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    fields: Option<FieldErrors>,
    request_id: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: None,
            request_id: request::current_id(),
        }
    }

    /// 400: the request cannot be understood.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 405: the path exists, but not for this method.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            405,
            "method_not_allowed",
            format!("{method} is not allowed on {path}"),
        )
    }

    /// 413: the request body is over the limit.
    pub fn too_large() -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    }

    /// 422: the body is well-formed JSON, but `fields` are wrong.
    pub fn invalid(fields: FieldErrors) -> Self {
        Self {
            fields: Some(fields),
            ..Self::new(
                422,
                "validation_failed",
                "the request body has invalid fields",
            )
        }
    }

    /// 504: the request took longer than the server allows.
    pub fn timeout() -> Self {
        Self::new(
            504,
            "timeout",
            "the request took longer than the server allows",
        )
    }

    /// 500, telling the client nothing of `error`, which only goes to the log: its text
    /// may reveal internals.
    pub fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(%error, "request failed");
        Self::panicked()
    }

    /// 500 for a handler that panicked; the panic hook has logged it.
    pub fn panicked() -> Self {
        Self::new(500, "internal", "internal server error")
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The id of the request the error answers.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                request_id: &self.request_id,
                fields: self.fields.as_ref(),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The JSON body of an [`ApiError`].
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a FieldErrors>,
}
