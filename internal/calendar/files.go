package calendar

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// File is one calendar data file: a national year (Key "cn/2027.json") or
// a regional overlay ("regions/guangxi.json"), with where it came from for
// messages (a path, "embedded:cn/2027.json", "db:rev 3:cn/2027.json").
// Files are what the database keeps (versioned) and what an import brings.
type File struct {
	Key    string `json:"key"`
	Origin string `json:"origin"`
	Data   []byte `json:"-"`
}

// EmbeddedFiles returns the data files shipped in the binary, sorted by key.
func EmbeddedFiles() ([]File, error) {
	raw, err := readEmbedded()
	if err != nil {
		return nil, err
	}
	return filesOf(raw), nil
}

// OverrideFiles returns the files of a CALENDAR_DIR (cn/YYYY.json,
// regions/NAME.json), sorted by key; an empty or unreadable directory is an
// error.
func OverrideFiles(dir string) ([]File, error) {
	raw := map[string]rawFile{}
	if err := readOverrides(dir, raw); err != nil {
		return nil, err
	}
	return filesOf(raw), nil
}

func filesOf(raw map[string]rawFile) []File {
	out := make([]File, 0, len(raw))
	for k, f := range raw {
		out = append(out, File{Key: k, Origin: f.origin, Data: f.data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Compile validates files as one data set and compiles it. A later file of
// the same key replaces an earlier one. Errors name the file (its origin)
// and, for syntax and type errors, the line.
func Compile(files []File) (*Calendar, error) {
	raw := map[string]rawFile{}
	for _, f := range files {
		raw[f.Key] = rawFile{origin: f.Origin, data: f.Data}
	}
	return compileFiles(raw)
}

// KeyOf tells which file a document is from its content: "cn/YYYY.json"
// for a national year, "regions/NAME.json" for an overlay. origin names it
// in errors.
func KeyOf(origin string, data []byte) (string, error) {
	var probe struct {
		Year   *int    `json:"year"`
		Region *string `json:"region"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		var se *json.SyntaxError
		if ok := asSyntax(err, &se); ok {
			return "", fmt.Errorf("calendar: %s: line %d: %v", origin, lineOf(data, se.Offset), err)
		}
		return "", fmt.Errorf("calendar: %s: %v", origin, err)
	}
	switch {
	case probe.Region != nil && regionNameOK(*probe.Region):
		return "regions/" + *probe.Region + ".json", nil
	case probe.Region != nil:
		return "", fmt.Errorf("calendar: %s: region name %q: use lower-case letters, digits, - or _", origin, *probe.Region)
	case probe.Year != nil && *probe.Year >= MinYear && *probe.Year <= MaxYear:
		return fmt.Sprintf("cn/%04d.json", *probe.Year), nil
	case probe.Year != nil:
		return "", fmt.Errorf("calendar: %s: year %d outside the supported range %d..%d", origin, *probe.Year, MinYear, MaxYear)
	}
	return "", fmt.Errorf("calendar: %s: neither a national year (\"year\") nor a regional overlay (\"region\")", origin)
}

func asSyntax(err error, se **json.SyntaxError) bool {
	e, ok := err.(*json.SyntaxError)
	if ok {
		*se = e
	}
	return ok
}

// Digest identifies the content of a file, not its bytes: the hash of its
// parsed, normalised form (indentation and key order do not count). Files
// that do not parse get the hash of their bytes.
func Digest(f File) string {
	var v any
	switch {
	case strings.HasPrefix(f.Key, "cn/"):
		var yf yearFile
		if decodeStrict(f.Data, &yf) == nil {
			v = yf
		}
	case strings.HasPrefix(f.Key, "regions/"):
		var rf regionFile
		if decodeStrict(f.Data, &rf) == nil {
			v = rf
		}
	}
	h := sha256.New()
	if v == nil {
		h.Write(bytes.TrimSpace(f.Data))
	} else {
		_ = json.NewEncoder(h).Encode(v) // plain data
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Versions returns the version of every table of the calendar: "" (the
// national schedule) and each region.
func (c *Calendar) Versions() map[string]string {
	out := map[string]string{}
	for r, t := range c.tables {
		out[r] = t.version
	}
	return out
}

// Published reports whether year y of region ("" = national) may be
// counted strictly (its schedule, and the overlay's, is published).
func (c *Calendar) Published(y int, region string) bool {
	t, ok := c.tables[region]
	if !ok || y < MinYear || y > MaxYear {
		return false
	}
	return t.published[y-MinYear]
}

// NextYearWarning is the warning every operator surface shows from
// 1 November (Asia/Shanghai) while next year's national schedule is not
// published; "" otherwise.
func (c *Calendar) NextYearWarning(today Date) string {
	if today.Month < 11 || c.Published(today.Year+1, "") {
		return ""
	}
	return fmt.Sprintf("%d年节假日安排（国务院办公厅通知）尚未导入：跨入%d年的期限暂按法定节假日估算，公布后请导入（creditcase calendar import）并重新计算",
		today.Year+1, today.Year+1)
}
