// Package cleantext is the one gate every piece of text passes on its way
// in, whichever front end it comes from (JSON body, form, multipart part,
// query or path parameter, file name) and before it reaches a workflow
// input or the database: valid UTF-8, no NUL or other control characters
// (tab, newline and carriage return only in multi-line fields), no longer
// than the field allows. A refusal names the field as the client spells it.
//
// Limits come from a struct tag on the input type:
//
//	Statement string `json:"statement" text:"multiline,max=5000"`
//	Name      string `json:"name" text:"max=50"`
//	Blob      string `json:"blob" text:"-"`   // not text (checked elsewhere)
//
// Untagged strings are single-line, at most DefaultLineMax runes.
package cleantext

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/creditcase/creditcase/internal/refusal"
)

// Default limits, in runes.
const (
	DefaultLineMax = 500  // an untagged single-line field
	DefaultTextMax = 5000 // a multi-line field without max=
	ParamMax       = 200  // a query or path parameter
	FileNameMax    = 255  // an uploaded file's name
	KeyMax         = 100  // a key of a free-form object
	MaxBodyBytes   = 1 << 20
)

// Rule is how one field is checked.
type Rule struct {
	Multiline bool
	Max       int
}

// Line is the rule of a single-line field of at most max runes.
func Line(max int) Rule { return Rule{Max: max} }

// Multiline is the rule of a multi-line field of at most max runes.
func Multiline(max int) Rule { return Rule{Multiline: true, Max: max} }

// Problem codes.
const (
	CodeUTF8    = "utf8"
	CodeControl = "control"
	CodeLength  = "length"
)

// CheckString checks one value; ok is false with the field error when it
// is refused.
func CheckString(name, s string, r Rule) (refusal.Field, bool) {
	if !utf8.ValidString(s) {
		return refusal.Field{Name: name, Code: CodeUTF8,
			Message: refusal.T("不是有效的 UTF-8 文本", "is not valid UTF-8 text")}, false
	}
	max := r.Max
	if max <= 0 {
		max = DefaultLineMax
		if r.Multiline {
			max = DefaultTextMax
		}
	}
	n := 0
	for _, c := range s {
		n++
		if c == 0xFFFD || !allowed(c, r.Multiline) {
			if c == 0xFFFD {
				return refusal.Field{Name: name, Code: CodeUTF8,
					Message: refusal.T("含有无法识别的字符（U+FFFD），请检查文本编码", "contains an unreadable character (U+FFFD); check the text's encoding")}, false
			}
			what := refusal.T("含有不允许的控制字符（如 NUL）", "contains a control character (such as NUL) that is not allowed")
			if !r.Multiline && (c == '\n' || c == '\r' || c == '\t') {
				what = refusal.T("应为单行文本，不能含有换行或制表符", "must be one line: no line breaks or tabs")
			}
			return refusal.Field{Name: name, Code: CodeControl, Message: what}, false
		}
	}
	if n > max {
		return refusal.Field{Name: name, Code: CodeLength,
			Message: refusal.T(fmt.Sprintf("不超过 %d 字（现为 %d 字）", max, n), fmt.Sprintf("at most %d characters (this is %d)", max, n))}, false
	}
	return refusal.Field{}, true
}

func allowed(c rune, multiline bool) bool {
	if c == '\n' || c == '\r' || c == '\t' {
		return multiline
	}
	// Cc (C0, DEL, C1) and the line/paragraph separators that break logs.
	return !unicode.IsControl(c) && c != '\u2028' && c != '\u2029'
}

// Param checks a query or path parameter (400 when refused).
func Param(name, v string) (refusal.Field, bool) {
	return CheckString(name, v, Line(ParamMax))
}

// Params checks every value of every parameter in vals.
func Params(vals map[string][]string) []refusal.Field {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []refusal.Field
	for _, k := range names {
		if f, ok := CheckString("parameter name", k, Line(ParamMax)); !ok {
			f.Name = strconv.QuoteToASCII(k)
			out = append(out, f)
			continue
		}
		for _, v := range vals[k] {
			if f, ok := Param(k, v); !ok {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// FileName checks an uploaded file's name.
func FileName(field, name string) (refusal.Field, bool) {
	f, ok := CheckString(field, name, Line(FileNameMax))
	if !ok {
		f.Message = refusal.T("文件名"+f.Message.ZH, "the file name "+f.Message.EN)
	}
	return f, ok
}

// Check walks v (a pointer to, or a value of, an input struct) and returns
// every text field that is refused, in field order.
func Check(v any) []refusal.Field {
	var out []refusal.Field
	walk(reflect.ValueOf(v), "", Rule{}, &out)
	return out
}

// Refuse is Check as an error: nil, or a 422 naming every field.
func Refuse(v any) error {
	if fe := Check(v); len(fe) > 0 {
		return refusal.Invalid(fe...)
	}
	return nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func walk(v reflect.Value, path string, r Rule, out *[]refusal.Field) {
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), path, r, out)
		}
	case reflect.String:
		name := path
		if name == "" {
			name = "body"
		}
		if f, ok := CheckString(name, v.String(), r); !ok {
			*out = append(*out, f)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, skip := jsonName(sf)
			if skip {
				continue
			}
			tag := sf.Tag.Get("text")
			if tag == "-" {
				continue
			}
			fr := parseRule(tag)
			if sf.Anonymous && sf.Tag.Get("json") == "" {
				walk(v.Field(i), path, r, out)
				continue
			}
			walk(v.Field(i), join(path, name), fr, out)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes are not text
		}
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), r, out)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			key := k.String()
			if f, ok := CheckString(join(path, "key"), key, Line(KeyMax)); !ok {
				f.Name = join(path, strconv.QuoteToASCII(key))
				*out = append(*out, f)
				continue
			}
			walk(v.MapIndex(k), join(path, key), r, out)
		}
	}
}

func jsonName(sf reflect.StructField) (string, bool) {
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return "", true
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = sf.Name
	}
	return name, false
}

func parseRule(tag string) Rule {
	var r Rule
	for _, opt := range strings.Split(tag, ",") {
		opt = strings.TrimSpace(opt)
		switch {
		case opt == "multiline":
			r.Multiline = true
		case strings.HasPrefix(opt, "max="):
			r.Max, _ = strconv.Atoi(strings.TrimPrefix(opt, "max="))
		}
	}
	return r
}

// DecodeJSON decodes a JSON body into v strictly and checks its text: an
// empty body is {}, invalid UTF-8 (which encoding/json would silently turn
// into U+FFFD), unknown fields, wrong types and trailing data are refused
// naming the field in JSON terms (never a Go type), and then every string
// passes Check. The result is nil or a *refusal.Error.
func DecodeJSON(data []byte, v any) error {
	if len(data) > MaxBodyBytes {
		return TooLarge(MaxBodyBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if !utf8.Valid(data) {
		return refusal.Invalid(refusal.Field{Name: invalidUTF8Path(data), Code: CodeUTF8,
			Message: refusal.T("不是有效的 UTF-8 文本", "is not valid UTF-8 text")})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refusal.Invalid(jsonField(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return refusal.Invalid(refusal.Field{Name: "body", Code: "json",
			Message: refusal.T("请求体只能是一个 JSON 对象", "the body must be a single JSON object")})
	}
	if f, ok := nameProblem(data, reflect.TypeOf(v)); ok {
		return refusal.Invalid(f)
	}
	return Refuse(v)
}

// CodeDuplicate is the field code of a name given twice in one JSON object
// (encoding/json would silently keep the last value).
const CodeDuplicate = "duplicate"

// nameProblem finds the first name in data (already decoded once into a
// value of type t, so valid JSON) that encoding/json accepted although it
// should not have: a name given twice in one object (the last value would
// silently win), or a field name spelt in another case than the document's
// (encoding/json matches struct fields case-insensitively, so
// {"record_id":1,"Record_ID":2} filed on record 2 while anything reading
// the exact name saw record 1). Named as the client spells it:
// grounds[2].title. Map keys are data, compared exactly, any case allowed.
func nameProblem(data []byte, t reflect.Type) (refusal.Field, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string, t reflect.Type) (refusal.Field, bool)
	walk = func(path string, t reflect.Type) (refusal.Field, bool) {
		tok, err := dec.Token()
		if err != nil {
			return refusal.Field{}, false
		}
		t = jsonTarget(t)
		switch tok {
		case json.Delim('{'):
			var fields map[string]reflect.Type
			if t != nil && t.Kind() == reflect.Struct {
				fields = map[string]reflect.Type{}
				structFields(t, fields)
			}
			seen := map[string]bool{}
			for dec.More() {
				tk, err := dec.Token()
				if err != nil {
					return refusal.Field{}, false
				}
				name, _ := tk.(string)
				p := join(path, name)
				if seen[name] {
					return refusal.Field{Name: p, Code: CodeDuplicate,
						Message: refusal.T("同一对象中重复出现该字段，无法确定以哪个值为准", "appears twice in the same object: which value is meant cannot be told")}, true
				}
				seen[name] = true
				var elem reflect.Type
				switch {
				case fields != nil:
					ft, exact := fields[name]
					if !exact {
						want := name
						for f := range fields {
							if strings.EqualFold(f, name) {
								want = f
							}
						}
						return refusal.Field{Name: p, Code: "unknown", Message: refusal.T(
							"未知字段：字段名区分大小写，应为 "+want,
							"unknown field: names are case-sensitive, the field is "+want)}, true
					}
					elem = ft
				case t != nil && t.Kind() == reflect.Map:
					elem = t.Elem()
				}
				if f, bad := walk(p, elem); bad {
					return f, true
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if f, bad := walk(fmt.Sprintf("%s[%d]", path, i), elem); bad {
					return f, true
				}
			}
			_, _ = dec.Token()
		}
		return refusal.Field{}, false
	}
	return walk("", t)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// jsonTarget is the type whose field names a JSON value must match, or nil
// when the value is not matched by name (an interface, or a type that
// decodes itself: only duplicates are looked for inside it).
func jsonTarget(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	if p := reflect.PointerTo(t); p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) {
		return nil
	}
	return t
}

// structFields collects the JSON names of t's fields as encoding/json sees
// them, the fields of embedded structs without a name of their own
// included (a field of t's own wins over a promoted one of the same name).
func structFields(t reflect.Type, into map[string]reflect.Type) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous && sf.Tag.Get("json") == "" {
			if et := jsonTarget(sf.Type); et != nil && et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name, skip := jsonName(sf); !skip {
			into[name] = sf.Type
		}
	}
	for _, et := range embedded {
		promoted := map[string]reflect.Type{}
		structFields(et, promoted)
		for name, ft := range promoted {
			if _, taken := into[name]; !taken {
				into[name] = ft
			}
		}
	}
}

// TooLarge refuses a body over limit bytes.
func TooLarge(limit int) *refusal.Error {
	return &refusal.Error{Kind: refusal.TooLarge, Title: refusal.T("请求体过大", "Request body too large"),
		Detail: refusal.T(fmt.Sprintf("请求体不能超过 %d 字节，未作任何更改", limit), fmt.Sprintf("The body may be at most %d bytes; nothing was changed", limit))}
}

// jsonField names the problem of a decoding error without Go types.
func jsonField(err error) refusal.Field {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return refusal.Field{Name: "body", Code: "json", Message: refusal.T(
			fmt.Sprintf("请求体不是有效的 JSON（第 %d 字节附近）", se.Offset),
			fmt.Sprintf("the body is not valid JSON (near byte %d)", se.Offset))}
	case errors.As(err, &te):
		name := te.Field
		if name == "" {
			name = "body"
		}
		want := jsonType(te.Type)
		return refusal.Field{Name: name, Code: "type", Message: refusal.T("应为"+want.ZH+"，不能是 "+te.Value, "must be "+want.EN+", not "+te.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return refusal.Field{Name: "body", Code: "json", Message: refusal.T("请求体不完整，不是有效的 JSON", "the body is cut short: not valid JSON")}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return refusal.Field{Name: name, Code: "unknown", Message: refusal.T("未知字段", "unknown field")}
	}
	return refusal.Field{Name: "body", Code: "json", Message: refusal.T("请求体不是有效的 JSON", "the body is not valid JSON")}
}

// jsonType names what a Go type expects in JSON words.
func jsonType(t reflect.Type) refusal.Text {
	if t == nil {
		return refusal.T("其他类型", "another type")
	}
	if t.PkgPath() == "time" && t.Name() == "Time" {
		return refusal.T("RFC 3339 时间字符串", "an RFC 3339 time string")
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return refusal.T("字符串", "a string")
	case reflect.Bool:
		return refusal.T("布尔值 true/false", "true or false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return refusal.T("整数", "a whole number")
	case reflect.Float32, reflect.Float64:
		return refusal.T("数字", "a number")
	case reflect.Slice, reflect.Array:
		return refusal.T("数组", "an array")
	case reflect.Map, reflect.Struct:
		return refusal.T("对象", "an object")
	}
	return refusal.T("其他类型", "another type")
}

// invalidUTF8Path finds the JSON path of the first string holding invalid
// UTF-8 ("body" when it cannot tell).
func invalidUTF8Path(data []byte) string {
	bad := firstInvalid(data)
	if bad < 0 {
		return "body"
	}
	type frame struct {
		object    bool
		expectKey bool
		key       string
		index     int
	}
	var stack []frame
	path := func(last string) string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		if last != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(last)
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// After a value inside a container: advance to the next key or index.
	next := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].expectKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "body"
		}
		end := dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, expectKey: true})
			case '[':
				stack = append(stack, frame{index: 0})
			case '}', ']':
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			n := len(stack)
			isKey := n > 0 && stack[n-1].object && stack[n-1].expectKey
			if int64(bad) >= start && int64(bad) < end {
				if isKey {
					return path(strconv.QuoteToASCII(t))
				}
				return path("")
			}
			if isKey {
				stack[n-1].key, stack[n-1].expectKey = t, false
			} else {
				next()
			}
		default:
			next()
		}
	}
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// CheckRawJSON checks a JSON body before a decoder of its own reads it:
// within MaxBodyBytes, valid UTF-8 (the string at fault is named), well
// formed. The decoded input must still pass Check.
func CheckRawJSON(data []byte) error {
	if len(data) > MaxBodyBytes {
		return TooLarge(MaxBodyBytes)
	}
	if !utf8.Valid(data) {
		return refusal.Invalid(refusal.Field{Name: invalidUTF8Path(data), Code: CodeUTF8,
			Message: refusal.T("不是有效的 UTF-8 文本", "is not valid UTF-8 text")})
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return refusal.Invalid(jsonField(err))
	}
	return nil
}
