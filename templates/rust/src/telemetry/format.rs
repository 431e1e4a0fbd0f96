//! The JSON line format, as a `tracing_subscriber::fmt` event and field formatter.
//!
//! A span's fields are formatted once, when the span is made (`"name":value` pairs
//! that the fmt layer keeps in the span), and copied into each line logged inside it:
//! formatting them again for every line, as values in a map, was about half of what an
//! access line cost.

use std::{
    cell::RefCell,
    fmt::{self, Write as _},
};

use time::OffsetDateTime;
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{
    field::RecordFields,
    fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, format::Writer},
    registry::LookupSpan,
};

/// Writes an event as one JSON object: `time`, `level`, `target`, the event's fields
/// (`message` as `msg`), then the fields of each span it happened in, outermost first.
pub struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        writer.write_str("{\"time\":\"")?;
        write_time(&mut writer)?;
        write!(writer, "\",\"level\":\"{}\",\"target\":", metadata.level())?;
        write_string(&mut writer, metadata.target())?;
        let mut fields = Pairs::new(&mut writer, true);
        event.record(&mut fields);
        fields.result?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<JsonFields>>()
                    && !fields.is_empty()
                {
                    writer.write_char(',')?;
                    writer.write_str(fields)?;
                }
            }
        }
        writer.write_str("}\n")
    }
}

/// Formats a span's fields as the `"name":value` pairs of a JSON object, without its
/// braces; fields recorded later are appended.
pub struct JsonFields;

impl<'w> FormatFields<'w> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut pairs = Pairs::new(&mut writer, false);
        fields.record(&mut pairs);
        pairs.result
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &span::Record<'_>,
    ) -> fmt::Result {
        let after_others = !current.is_empty();
        let mut writer = current.as_writer();
        let mut pairs = Pairs::new(&mut writer, after_others);
        fields.record(&mut pairs);
        pairs.result
    }
}

/// Writes each field it visits as a `"name":value` pair.
struct Pairs<'a, 'w> {
    writer: &'a mut Writer<'w>,
    comma: bool,
    result: fmt::Result,
}

impl<'a, 'w> Pairs<'a, 'w> {
    fn new(writer: &'a mut Writer<'w>, comma: bool) -> Self {
        Self {
            writer,
            comma,
            result: Ok(()),
        }
    }

    fn pair(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'w>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let name = match field.name() {
            "message" => "msg",
            name => name,
        };
        if self.comma {
            self.result = self.writer.write_char(',');
        }
        self.comma = true;
        self.result = self
            .result
            .and_then(|()| write_string(self.writer, name))
            .and_then(|()| self.writer.write_char(':'))
            .and_then(|()| value(self.writer));
    }
}

impl Visit for Pairs<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.pair(field, |writer| write_string(writer, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.pair(field, |writer| {
            writer.write_char('"')?;
            write!(Escaped(writer), "{value:?}")?;
            writer.write_char('"')
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.pair(field, |writer| write!(writer, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.pair(field, |writer| write!(writer, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.pair(field, |writer| write!(writer, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity.
        if value.is_finite() {
            self.pair(field, |writer| write!(writer, "{value}"));
        } else {
            self.pair(field, |writer| writer.write_str("null"));
        }
    }
}

/// Writes the time in RFC 3339, in UTC, to the microsecond. The date and the time of
/// day up to the second are formatted once a second per thread: formatting them for
/// every line was a fifth of what an access line cost.
fn write_time(writer: &mut Writer<'_>) -> fmt::Result {
    thread_local! {
        static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    let now = OffsetDateTime::now_utc();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != now.unix_timestamp() {
            *second = now.unix_timestamp();
            text.clear();
            write!(
                text,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            )?;
        }
        write!(writer, "{text}.{:06}Z", now.microsecond())
    })
}

fn write_string(writer: &mut Writer<'_>, value: &str) -> fmt::Result {
    writer.write_char('"')?;
    Escaped(writer).write_str(value)?;
    writer.write_char('"')
}

/// Whether `byte` cannot stand for itself inside a JSON string.
fn needs_escaping(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Escapes what is written through it as the inside of a JSON string.
struct Escaped<'a, 'w>(&'a mut Writer<'w>);

impl fmt::Write for Escaped<'_, '_> {
    fn write_str(&mut self, mut value: &str) -> fmt::Result {
        while let Some(at) = value.bytes().position(needs_escaping) {
            let (plain, rest) = value.split_at(at);
            self.0.write_str(plain)?;
            match rest.as_bytes()[0] {
                b'"' => self.0.write_str("\\\""),
                b'\\' => self.0.write_str("\\\\"),
                b'\n' => self.0.write_str("\\n"),
                b'\r' => self.0.write_str("\\r"),
                b'\t' => self.0.write_str("\\t"),
                byte => write!(self.0, "\\u{byte:04x}"),
            }?;
            value = &rest[1..];
        }
        self.0.write_str(value)
    }
}

#[cfg(test)]
mod tests {
    use std::{
        io,
        sync::{Arc, Mutex, PoisonError},
    };

    use serde_json::{Value, json};
    use time::{OffsetDateTime, format_description::well_known::Rfc3339};
    use tracing_subscriber::{fmt::MakeWriter, layer::SubscriberExt};

    use super::super::json_layer;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            buffer.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Buffer {
        type Writer = Self;

        fn make_writer(&self) -> Self {
            self.clone()
        }
    }

    fn lines(log: impl FnOnce()) -> Vec<Value> {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry().with(json_layer(buffer.clone()));
        tracing::subscriber::with_default(subscriber, log);
        let bytes = buffer
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))
            })
            .collect()
    }

    #[test]
    fn a_line_carries_its_fields_and_those_of_its_spans() {
        let lines = lines(|| {
            let outer = tracing::info_span!(
                "outer",
                request_id = "r-1",
                trace_id = tracing::field::Empty
            );
            outer.record("trace_id", "t-1");
            outer.in_scope(|| {
                tracing::info_span!("inner", step = 2_u64).in_scope(|| {
                    tracing::warn!(status = 504_u16, duration_ms = 1.5, ok = false, "late");
                });
            });
        });
        let line = &lines[0];
        let time = line["time"].as_str().expect("a time");
        let logged_at = OffsetDateTime::parse(time, &Rfc3339).expect("an RFC 3339 time");
        assert!(
            (OffsetDateTime::now_utc() - logged_at).abs() < time::Duration::seconds(5),
            "{time}"
        );
        assert_eq!(time.len(), "2026-01-31T23:59:59.123456Z".len(), "{time}");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["msg"], "late");
        assert_eq!(line["status"], 504);
        assert_eq!(line["duration_ms"], 1.5);
        assert_eq!(line["ok"], false);
        assert_eq!(line["request_id"], "r-1");
        assert_eq!(line["trace_id"], "t-1");
        assert_eq!(line["step"], 2);
    }

    #[test]
    fn strings_are_escaped() {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcode";
        let lines = lines(|| {
            tracing::info!(text = awkward, debug = ?awkward, "{awkward}");
            tracing::info!(nan = f64::NAN, "not a number");
        });
        assert_eq!(lines[0]["text"], awkward);
        assert_eq!(lines[0]["debug"], format!("{awkward:?}"));
        assert_eq!(lines[0]["msg"], awkward);
        assert_eq!(lines[1]["nan"], json!(null));
    }
}
