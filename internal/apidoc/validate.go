package apidoc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Validator checks requests and responses against an OpenAPI document.
type Validator struct {
	Doc    *openapi3.T
	router routers.Router
	base   string
}

// NewValidator loads doc (the served api/openapi.json) for the API mounted
// at base (e.g. /api/v1).
func NewValidator(doc []byte, base string) (*Validator, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := t.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("OpenAPI document is invalid: %w", err)
	}
	t.Servers = openapi3.Servers{{URL: base}}
	r, err := gorillamux.NewRouter(t)
	if err != nil {
		return nil, err
	}
	return &Validator{Doc: t, router: r, base: base}, nil
}

// Exchange is one request and its answer.
type Exchange struct {
	Method  string
	URL     string // path and query, e.g. /api/v1/objections?stage=closed
	Header  http.Header
	Body    []byte
	Status  int
	RHeader http.Header
	RBody   []byte
	// SkipRequest leaves the request unchecked: a test that sends a wrong
	// request on purpose (the answer is still checked).
	SkipRequest bool
}

// Check validates an exchange with an operation of the document: the
// request (unless SkipRequest) and the response. A request the document
// refuses must have been refused by the server too (4xx): the document may
// be looser than the code (which names the field), never stricter. A path
// outside the document (/healthz, /metrics, /readyz) is not checked.
func (v *Validator) Check(ctx context.Context, x Exchange) error {
	reqErr, respErr := v.check(ctx, x)
	if respErr != nil {
		return respErr
	}
	if reqErr != nil && (x.Status < 400 || x.Status >= 500) {
		return fmt.Errorf("the server answered %d to a request the document refuses: %w", x.Status, reqErr)
	}
	return nil
}

// check returns the request's and the response's validation errors.
func (v *Validator) check(ctx context.Context, x Exchange) (reqErr, respErr error) {
	u, err := url.Parse(x.URL)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(u.Path, v.base+"/") {
		return nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, x.Method, "http://validator.invalid"+x.URL, bytes.NewReader(x.Body))
	if err != nil {
		return nil, err
	}
	req.Header = x.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		if x.Status == http.StatusNotFound || x.Status == http.StatusMethodNotAllowed {
			return nil, nil // a request for a path that does not exist, refused
		}
		return nil, fmt.Errorf("%s %s: not an operation of the OpenAPI document: %w", x.Method, u.Path, err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if !x.SkipRequest {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			reqErr = fmt.Errorf("%s %s (%s): request does not match the document: %w", x.Method, u.Path, route.Operation.OperationID, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.Status, Header: x.RHeader,
		Body: io.NopCloser(bytes.NewReader(x.RBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		respErr = fmt.Errorf("%s %s (%s): %d response does not match the document: %w\n%s", x.Method, u.Path,
			route.Operation.OperationID, x.Status, err, truncate(x.RBody))
	}
	return reqErr, respErr
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// RegisterBodyDecoders lets the validator read the bodies the API takes
// besides JSON and forms: CSV and JSON lines imports, and the files it
// serves (PDF, HTML, CSV).
func RegisterBodyDecoders() {
	raw := func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	}
	for _, ct := range []string{"text/csv", "application/jsonl", "application/x-ndjson", "application/pdf", "text/html",
		"application/octet-stream", "image/png", "image/jpeg", "application/problem+json"} {
		if ct == "application/problem+json" {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.JSONBodyDecoder)
			continue
		}
		openapi3filter.RegisterBodyDecoder(ct, raw)
	}
}
