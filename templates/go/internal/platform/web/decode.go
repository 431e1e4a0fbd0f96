package web

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// Integer is a JSON integer as JSON Schema, and so api/openapi.json, defines
// one: any number with an integral value. 12, 12.0 and 1.2e1 are all 12; 12.5,
// "12" and true are not integers.
type Integer int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Integer) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	value, err := strconv.ParseFloat(string(data), 64)
	overflow := errors.Is(err, strconv.ErrRange) && math.IsInf(value, 0)
	if (err != nil && !overflow) || value != math.Trunc(value) {
		return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[Integer]()}
	}
	// Beyond an int64 the value saturates: it is outside every range checked next.
	switch {
	case value >= math.MaxInt64:
		*n = math.MaxInt64
	case value <= math.MinInt64:
		*n = math.MinInt64
	default:
		*n = Integer(value)
	}
	return nil
}

// Decode reads the request body, which must be exactly one JSON object
// with no fields that dst does not have, into dst. Its errors are *Error.
func Decode(r *http.Request, dst any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return BadRequest("the request body must hold a single JSON object")
	}
	return nil
}

func decodeError(err error) *Error {
	if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return TooLarge(maxErr.Limit)
	}
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if typeErr.Field == "" {
			return BadRequest("the request body must be a JSON object")
		}
		return Invalid(map[string]string{typeErr.Field: "must be " + jsonType(typeErr.Type)})
	}
	// encoding/json has no error type for unknown fields, only this message.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return Invalid(map[string]string{strings.Trim(field, `"`): "is not a known field"})
	}
	if errors.Is(err, io.EOF) {
		return BadRequest("the request body is empty")
	}
	return BadRequest("the request body is not valid JSON")
}

// jsonType names a Go type the way a client of a JSON API thinks of it.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "a " + t.String()
	}
}
