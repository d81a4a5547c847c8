// Package apidoc keeps api/openapi.json true to the code: it derives the
// JSON schemas of request and response bodies from the Go types the
// handlers decode and encode (the rules of encoding/json: tags, omitempty,
// embedded structs and their shadowing; the clean-text limits of package
// cleantext as maxLength), and validates requests and responses against
// the served document in tests (kin-openapi's openapi3filter).
package apidoc

import (
	"encoding"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/creditcase/creditcase/internal/cleantext"
)

// Schema is a JSON schema as the document holds it.
type Schema = map[string]any

// Generator derives component schemas from Go types.
type Generator struct {
	// Components are the named schemas generated so far.
	Components map[string]Schema
	// Request marks request bodies: no field is required (the core says
	// which are missing, naming them), the server's own fields (by) are
	// described as ignored, and text fields carry their maxLength.
	Request bool
	names   map[reflect.Type]string
}

// NewGenerator returns a generator for request or response bodies.
func NewGenerator(request bool) *Generator {
	return &Generator{Components: map[string]Schema{}, Request: request, names: map[reflect.Type]string{}}
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	anyType         = reflect.TypeFor[any]()
	serverSetFields = map[string]bool{"by": true}
)

// Ref returns the schema of v's type: a $ref to a named component for a
// named struct, inline otherwise.
func (g *Generator) Ref(v any) Schema {
	return g.schema(reflect.TypeOf(v), "")
}

// Name is the component name of a named struct type.
func (g *Generator) Name(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	n := t.Name()
	if genericNames[n] {
		n = pkgTitle(t.PkgPath()) + n
	}
	if g.Request && !strings.HasSuffix(n, "Input") && !strings.HasSuffix(n, "Request") {
		n += "Request"
	}
	// Two types of one name in different packages: qualify the second.
	for other, name := range g.names {
		if name == n && other != t {
			n = pkgTitle(t.PkgPath()) + n
		}
	}
	g.names[t] = n
	return n
}

// genericNames are type names several packages use; their components are
// named with the package (EvidenceMeta, DocumentsMeta).
var genericNames = map[string]bool{"Meta": true, "Page": true, "Result": true, "Condition": true, "Record": false}

func pkgTitle(path string) string {
	p := path[strings.LastIndex(path, "/")+1:]
	if p == "" {
		return ""
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

func (g *Generator) schema(t reflect.Type, tag string) Schema {
	if t == nil || t == anyType {
		return Schema{"nullable": true}
	}
	if t.Kind() == reflect.Pointer {
		s := g.schema(t.Elem(), tag)
		return nullable(s)
	}
	switch {
	case t == timeType:
		return Schema{"type": "string", "format": "date-time"}
	case t == rawMessageType:
		return Schema{"nullable": true}
	case t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler):
		if t.Name() == "Date" {
			return Schema{"type": "string", "format": "date"}
		}
		return Schema{"type": "string"}
	case t.Implements(jsonMarshaler):
		return Schema{"nullable": true}
	}
	switch t.Kind() {
	case reflect.Bool:
		return Schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return Schema{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return Schema{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return Schema{"type": "number"}
	case reflect.String:
		s := Schema{"type": "string"}
		if g.Request {
			s["maxLength"] = textMax(tag)
		}
		return s
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return Schema{"type": "string", "format": "byte"}
		}
		// A nil slice encodes as null, and a request's null decodes as an
		// empty list: both directions accept it.
		return Schema{"type": "array", "items": g.schema(t.Elem(), tag), "nullable": true}
	case reflect.Map:
		return Schema{"type": "object", "additionalProperties": g.schema(t.Elem(), tag), "nullable": true}
	case reflect.Interface:
		return Schema{"nullable": true}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name := g.Name(t)
		if _, done := g.Components[name]; !done {
			g.Components[name] = Schema{} // placeholder against cycles
			g.Components[name] = g.object(t)
		}
		return Schema{"$ref": "#/components/schemas/" + name}
	}
	return Schema{}
}

func nullable(s Schema) Schema {
	if ref, ok := s["$ref"]; ok {
		return Schema{"allOf": []any{Schema{"$ref": ref}}, "nullable": true}
	}
	out := Schema{}
	for k, v := range s {
		out[k] = v
	}
	out["nullable"] = true
	return out
}

func textMax(tag string) int {
	max, multiline := 0, false
	for _, opt := range strings.Split(tag, ",") {
		switch {
		case opt == "multiline":
			multiline = true
		case strings.HasPrefix(opt, "max="):
			max, _ = strconv.Atoi(strings.TrimPrefix(opt, "max="))
		}
	}
	if max == 0 {
		max = cleantext.DefaultLineMax
		if multiline {
			max = cleantext.DefaultTextMax
		}
	}
	return max
}

// field is a JSON member of a struct, as encoding/json sees it.
type field struct {
	name      string
	typ       reflect.Type
	omitEmpty bool
	tag       string
	depth     int
	index     int
}

// fields lists t's JSON members: exported, tagged names, embedded structs
// flattened, a shallower field shadowing a deeper one of the same name.
func fields(t reflect.Type) []field {
	var out []field
	var walk func(t reflect.Type, depth int)
	order := 0
	walk = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					walk(et, depth+1)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			order++
			out = append(out, field{name: name, typ: ft, omitEmpty: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero"),
				tag: sf.Tag.Get("text"), depth: depth, index: order})
		}
	}
	walk(t, 0)
	best := map[string]field{}
	for _, f := range out {
		if b, ok := best[f.name]; !ok || f.depth < b.depth {
			best[f.name] = f
		}
	}
	var res []field
	for _, f := range best {
		res = append(res, f)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].index < res[j].index })
	return res
}

func (g *Generator) object(t reflect.Type) Schema {
	props := map[string]any{}
	var required []string
	for _, f := range fields(t) {
		ps := g.schema(f.typ, f.tag)
		if g.Request && serverSetFields[f.name] {
			ps = Schema{"description": "ignored: the actor is always the logged-in account", "nullable": true}
		}
		props[f.name] = ps
		if !g.Request && !f.omitEmpty {
			required = append(required, f.name)
		}
	}
	s := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}
