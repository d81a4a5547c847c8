package api

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/refusal"
)

// readJSON decodes the request's JSON body into v: strictly, at most
// cleantext.MaxBodyBytes, every string through the clean-text check, every
// problem a 422 naming the field.
func readJSON(c echo.Context, v any) error {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, cleantext.MaxBodyBytes+1))
	if err != nil {
		return refusal.Invalid(refusal.Field{Name: "body", Code: "read", Message: refusal.T("请求体未能读取完整", "the body could not be read")})
	}
	if len(data) > 0 {
		ct := c.Request().Header.Get(echo.HeaderContentType)
		if ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
			return &refusal.Error{Kind: refusal.UnsupportedMedia, Title: refusal.T("不支持的请求体类型", "Unsupported media type"),
				Detail: refusal.T("请以 application/json 发送请求体", "Send the body as application/json")}
		}
	}
	return cleantext.DecodeJSON(data, v)
}

// bindQuery reads the query parameters into the fields of v tagged
// query:"name" (string, int, int64, bool, *bool); a value that does not
// parse is a 400 naming the parameter. Text was already checked by
// cleanParams.
func bindQuery(c echo.Context, v any) error {
	q := c.QueryParams()
	rv := reflect.ValueOf(v).Elem()
	t := rv.Type()
	var fe []refusal.Field
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("query")
		if name == "" {
			continue
		}
		vals, present := q[name]
		if !present {
			continue
		}
		raw := ""
		if len(vals) > 0 {
			raw = vals[0]
		}
		f := rv.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(raw)
		case reflect.Int, reflect.Int64:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || n < 0 {
				fe = append(fe, refusal.Field{Name: name, Code: "format", Message: refusal.T("应为非负整数", "must be a whole number, 0 or more")})
				continue
			}
			f.SetInt(n)
		case reflect.Bool:
			b, ok := parseBool(raw)
			if !ok {
				fe = append(fe, refusal.Field{Name: name, Code: "format", Message: refusal.T("应为 true 或 false", "must be true or false")})
				continue
			}
			f.SetBool(b)
		case reflect.Pointer:
			if f.Type().Elem().Kind() == reflect.Bool {
				b, ok := parseBool(raw)
				if raw == "" {
					b, ok = true, true
				}
				if !ok {
					fe = append(fe, refusal.Field{Name: name, Code: "format", Message: refusal.T("应为 true 或 false", "must be true or false")})
					continue
				}
				f.Set(reflect.ValueOf(&b))
			}
		}
	}
	if len(fe) > 0 {
		return refusal.BadParams(fe...)
	}
	return nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "false", "0":
		return false, true
	case "true", "1":
		return true, true
	}
	return false, false
}

// pathInt reads a positive integer path parameter.
func pathInt(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, refusal.BadParam(name, "format", refusal.T("应为正整数", "must be a positive integer"))
	}
	return n, nil
}

// multipartForm parses a multipart/form-data body; allowed names the text
// fields it may carry (each once unless repeated is true for it), files
// the file parts.
func multipartForm(c echo.Context, allowed []string, repeated ...string) (*multipart.Form, error) {
	form, err := c.MultipartForm()
	if err != nil {
		return nil, refusal.Invalid(refusal.Field{Name: "body", Code: "multipart",
			Message: refusal.T("请求体不是有效的 multipart/form-data", "the body is not valid multipart/form-data")})
	}
	var fe []refusal.Field
	names := make([]string, 0, len(form.Value))
	for k := range form.Value {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if f, ok := cleantext.Param(k, k); !ok {
			f.Name = strconv.QuoteToASCII(k)
			fe = append(fe, f)
			continue
		}
		if !slices.Contains(allowed, k) || (len(form.Value[k]) > 1 && !slices.Contains(repeated, k)) {
			fe = append(fe, refusal.Field{Name: k, Code: "unknown", Message: refusal.T("未知或重复的字段", "unknown or repeated field")})
		}
	}
	if len(fe) > 0 {
		return nil, refusal.Invalid(fe...)
	}
	return form, nil
}

// formInt reads an optional positive integer form field.
func formInt(form *multipart.Form, name string) (int64, error) {
	v := form.Value[name]
	if len(v) == 0 || v[0] == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || n <= 0 {
		return 0, refusal.Invalid(refusal.Field{Name: name, Code: "format", Message: refusal.T("应为正整数", "must be a positive integer")})
	}
	return n, nil
}

func formText(form *multipart.Form, name string) string {
	if v := form.Value[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// formFiles reads the file parts named field (field[i] in refusals); other
// file parts than those in fields are refused.
func formFiles(form *multipart.Form, field string, others ...string) ([]casework.Upload, error) {
	for k := range form.File {
		if k != field && !slices.Contains(others, k) {
			return nil, refusal.Invalid(refusal.Field{Name: k, Code: "unknown",
				Message: refusal.T("文件应放在 "+field+" 字段", "send files as \""+field+"\" parts")})
		}
	}
	hs := form.File[field]
	if len(hs) > casework.MaxUploadFiles {
		return nil, refusal.Invalid(refusal.Field{Name: field, Code: "count", Message: refusal.T(
			fmt.Sprintf("一次最多上传 %d 份文件", casework.MaxUploadFiles), fmt.Sprintf("at most %d files at once", casework.MaxUploadFiles))})
	}
	out := make([]casework.Upload, 0, len(hs))
	for i, h := range hs {
		data, err := readPart(h)
		if err != nil {
			return nil, refusal.Invalid(refusal.Field{Name: fmt.Sprintf("%s[%d]", field, i), Code: "read", Message: refusal.T("文件未能读取", "the file could not be read")})
		}
		name := fmt.Sprintf("%s[%d]", field, i)
		if field != evidence.FieldFile {
			name = field
		}
		out = append(out, casework.Upload{Field: name, Name: h.Filename, Data: data})
	}
	return out, nil
}

func readPart(h *multipart.FileHeader) ([]byte, error) {
	r, err := h.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// isMultipart reports whether the request carries multipart/form-data.
func isMultipart(c echo.Context) bool {
	return strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm)
}

// sendFile answers a download with its type and an attachment name.
func sendFile(c echo.Context, f casework.File) error {
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if f.Sandbox {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:")
	}
	h.Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	return c.Blob(http.StatusOK, f.ContentType, f.Data)
}

func multipartRequired() error {
	return refusal.Invalid(refusal.Field{Name: "body", Code: "multipart",
		Message: refusal.T("请以 multipart/form-data 提交申请及材料", "send the application and its files as multipart/form-data")})
}

func oneCommitment() error {
	return refusal.Invalid(refusal.Field{Name: casework.CommitmentField, Code: "count",
		Message: refusal.T("只需一份信用承诺书", "one commitment file")})
}
