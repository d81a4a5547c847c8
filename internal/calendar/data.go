package calendar

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The embedded data set. Layout (also the layout of an override directory):
//
//	cn/YYYY.json        national schedule of year YYYY (国务院办公厅 notice)
//	regions/NAME.json   regional overlay NAME (e.g. guangxi: 壮族三月三)
//
//go:embed data/cn/*.json data/regions/*.json
var embedded embed.FS

// Source cites the official document a year's schedule comes from.
type Source struct {
	// ID names the source inside its file; day entries refer to it.
	ID string `json:"id"`
	// Title, e.g. 国务院办公厅关于2025年部分节假日安排的通知.
	Title string `json:"title"`
	// Number is the document number, e.g. 国办发明电〔2024〕12号 (empty for
	// regional notices that carry none).
	Number string `json:"number"`
	// Date of issue, YYYY-MM-DD (or YYYY-MM / YYYY when only that is known).
	Date string `json:"date"`
	// URL where the text was published or reprinted.
	URL string `json:"url"`
	// Verified says how the facts were checked.
	Verified string `json:"verified,omitempty"`
}

// Day kinds in the data files.
const (
	kindOff  = "off"  // a day off (法定节假日 or 调休放假)
	kindWork = "work" // a Saturday or Sunday that is a working day (调休上班)
)

// Year statuses. National files are "published" or "unpublished"; overlay
// years are "confirmed", "reported" or "unpublished".
const (
	StatusPublished   = "published"
	StatusUnpublished = "unpublished"
	StatusConfirmed   = "confirmed"
	StatusReported    = "reported"
)

type dayEntry struct {
	Date   Date   `json:"date"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Note   string `json:"note,omitempty"`
	Source string `json:"source,omitempty"`
}

// yearFile is the format of cn/YYYY.json.
type yearFile struct {
	Year            int        `json:"year"`
	Status          string     `json:"status"`
	Sources         []Source   `json:"sources,omitempty"`
	Days            []dayEntry `json:"days,omitempty"`
	WorkingDays     int        `json:"working_days,omitempty"`
	CrossCheck      []string   `json:"cross_check,omitempty"`
	Notes           []string   `json:"notes,omitempty"`
	ProvisionalDays []dayEntry `json:"provisional_days,omitempty"`
}

// regionFile is the format of regions/NAME.json.
type regionFile struct {
	Region string       `json:"region"`
	Name   string       `json:"name"`
	Basis  string       `json:"basis"`
	Notes  []string     `json:"notes,omitempty"`
	Years  []regionYear `json:"years"`
}

type regionYear struct {
	Year            int        `json:"year"`
	Status          string     `json:"status"`
	Sources         []Source   `json:"sources,omitempty"`
	Days            []dayEntry `json:"days,omitempty"`
	Notes           []string   `json:"notes,omitempty"`
	ProvisionalDays []dayEntry `json:"provisional_days,omitempty"`
}

// dataSet is the parsed, not yet compiled, calendar data.
type dataSet struct {
	years   map[int]*yearFile
	regions map[string]*regionFile
	// origin names where each file came from, for messages.
	yearOrigin   map[int]string
	regionOrigin map[string]string
	// noMakeUp leaves out the 补假 of unpublished years (the estimator
	// before art. 6, for EvaluateEstimator only).
	noMakeUp bool
}

// Supported range. Dates outside it are refused with ErrOutOfRange; data
// files outside it are refused at load.
const (
	MinYear = 2000
	MaxYear = 2099
)

// Plausible number of working days in a published year. 2025 and 2026 both
// have 248; the range leaves room for extraordinary years such as 2020.
const (
	minPlausibleWorkingDays = 240
	maxPlausibleWorkingDays = 255
)

// regionNameOK reports whether s is a usable region name (also the overlay
// file name): lower-case ASCII letters, digits, '-' and '_'.
func regionNameOK(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

func parseYearFileName(name string) (int, bool) {
	base := strings.TrimSuffix(name, ".json")
	if len(base) != 4 || base+".json" != name {
		return 0, false
	}
	y, err := strconv.Atoi(base)
	if err != nil {
		return 0, false
	}
	return y, true
}

// rawFile is one data file before parsing.
type rawFile struct {
	origin string // "embedded:cn/2025.json" or an absolute path
	data   []byte
}

// readEmbedded returns the embedded files keyed by "cn/2025.json" or
// "regions/guangxi.json".
func readEmbedded() (map[string]rawFile, error) {
	files := map[string]rawFile{}
	for _, dir := range []string{"cn", "regions"} {
		entries, err := fs.ReadDir(embedded, "data/"+dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			b, err := fs.ReadFile(embedded, "data/"+dir+"/"+e.Name())
			if err != nil {
				return nil, err
			}
			key := dir + "/" + e.Name()
			files[key] = rawFile{origin: "embedded:" + key, data: b}
		}
	}
	return files, nil
}

// readOverrides adds the .json files of dir/cn and dir/regions to files,
// replacing embedded files of the same name.
func readOverrides(dir string, files map[string]rawFile) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("calendar: override directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("calendar: override directory %s: not a directory", dir)
	}
	found := 0
	for _, sub := range []string{"cn", "regions"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("calendar: override directory: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			p := filepath.Join(dir, sub, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("calendar: %w", err)
			}
			files[sub+"/"+e.Name()] = rawFile{origin: p, data: b}
			found++
		}
	}
	if found == 0 {
		return fmt.Errorf("calendar: override directory %s has no cn/*.json or regions/*.json file", dir)
	}
	return nil
}

// parseFiles decodes and validates every file, then the set as a whole.
func parseFiles(files map[string]rawFile) (*dataSet, error) {
	ds := &dataSet{
		years:        map[int]*yearFile{},
		regions:      map[string]*regionFile{},
		yearOrigin:   map[int]string{},
		regionOrigin: map[string]string{},
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := files[k]
		dir, name := path.Split(k)
		switch dir {
		case "cn/":
			y, ok := parseYearFileName(name)
			if !ok {
				return nil, fmt.Errorf("calendar: %s: file name must be YYYY.json", f.origin)
			}
			var yf yearFile
			if err := decodeStrict(f.data, &yf); err != nil {
				return nil, fmt.Errorf("calendar: %s: %w", f.origin, err)
			}
			if yf.Year != y {
				return nil, fmt.Errorf("calendar: %s: year %d does not match the file name", f.origin, yf.Year)
			}
			if err := validateYear(&yf); err != nil {
				return nil, fmt.Errorf("calendar: %s: %w", f.origin, err)
			}
			ds.years[y] = &yf
			ds.yearOrigin[y] = f.origin
		case "regions/":
			region := strings.TrimSuffix(name, ".json")
			var rf regionFile
			if err := decodeStrict(f.data, &rf); err != nil {
				return nil, fmt.Errorf("calendar: %s: %w", f.origin, err)
			}
			if rf.Region != region {
				return nil, fmt.Errorf("calendar: %s: region %q does not match the file name", f.origin, rf.Region)
			}
			ds.regions[region] = &rf
			ds.regionOrigin[region] = f.origin
		default:
			return nil, fmt.Errorf("calendar: %s: unexpected file", f.origin)
		}
	}
	// Overlays are checked against the national data they amend.
	for _, name := range sortedKeys(ds.regions) {
		if err := validateRegion(ds.regions[name], ds); err != nil {
			return nil, fmt.Errorf("calendar: %s: %w", ds.regionOrigin[name], err)
		}
	}
	if len(ds.years) == 0 {
		return nil, errors.New("calendar: no national year file")
	}
	return ds, nil
}

// decodeStrict decodes one JSON document, refusing unknown fields and
// trailing data, and reports syntax errors with their line.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("line %d: %v", lineOf(data, se.Offset), err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("line %d: field %s: %v", lineOf(data, te.Offset), te.Field, err)
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

func validateSources(srcs []Source) (map[string]bool, error) {
	ids := map[string]bool{}
	if len(srcs) == 0 {
		return nil, errors.New("a published schedule must cite its source (sources is empty)")
	}
	for i, s := range srcs {
		if s.ID == "" || s.Title == "" || s.Date == "" || s.URL == "" {
			return nil, fmt.Errorf("sources[%d]: id, title, date and url are required", i)
		}
		if ids[s.ID] {
			return nil, fmt.Errorf("sources[%d]: duplicate id %q", i, s.ID)
		}
		ids[s.ID] = true
	}
	return ids, nil
}

// validateDays checks one list of day entries of year y.
func validateDays(field string, y int, days []dayEntry, srcIDs map[string]bool, allowWork bool) error {
	seen := map[Date]bool{}
	for i, d := range days {
		where := fmt.Sprintf("%s[%d] %s", field, i, d.Date)
		if !d.Date.Valid() {
			return fmt.Errorf("%s[%d]: missing or invalid date", field, i)
		}
		if d.Date.Year != y {
			return fmt.Errorf("%s: date is not in %d (a date belongs in the file of its own year; cite the notice that set it in its source field)", where, y)
		}
		if seen[d.Date] {
			return fmt.Errorf("%s: duplicate date", where)
		}
		seen[d.Date] = true
		if d.Name == "" {
			return fmt.Errorf("%s: name is required (e.g. 春节)", where)
		}
		switch d.Kind {
		case kindOff:
		case kindWork:
			if !allowWork {
				return fmt.Errorf("%s: kind work is not allowed here", where)
			}
			if wd := d.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
				return fmt.Errorf("%s: a make-up working day (调休上班) must be a Saturday or Sunday, not a %s", where, wd)
			}
		default:
			return fmt.Errorf("%s: kind must be %q or %q, not %q", where, kindOff, kindWork, d.Kind)
		}
		if d.Source != "" && !srcIDs[d.Source] {
			return fmt.Errorf("%s: unknown source %q", where, d.Source)
		}
	}
	return nil
}

func validateYear(yf *yearFile) error {
	if yf.Year < MinYear || yf.Year > MaxYear {
		return fmt.Errorf("year %d outside the supported range %d..%d", yf.Year, MinYear, MaxYear)
	}
	switch yf.Status {
	case StatusPublished:
		ids, err := validateSources(yf.Sources)
		if err != nil {
			return err
		}
		if len(yf.Days) == 0 {
			return errors.New("a published year lists its days off and make-up working days (days is empty)")
		}
		if len(yf.ProvisionalDays) > 0 {
			return errors.New("provisional_days is only for unpublished years")
		}
		if err := validateDays("days", yf.Year, yf.Days, ids, true); err != nil {
			return err
		}
		n := countWorkingDays(yf.Year, yf.Days, nil)
		if n < minPlausibleWorkingDays || n > maxPlausibleWorkingDays {
			return fmt.Errorf("%d working days is implausible (expected %d..%d)", n, minPlausibleWorkingDays, maxPlausibleWorkingDays)
		}
		if yf.WorkingDays != n {
			return fmt.Errorf("working_days says %d but the days listed give %d", yf.WorkingDays, n)
		}
	case StatusUnpublished:
		if len(yf.Days) > 0 || yf.WorkingDays != 0 {
			return errors.New("an unpublished year has no days or working_days (use provisional_days for statutory holidays)")
		}
		if err := validateDays("provisional_days", yf.Year, yf.ProvisionalDays, nil, false); err != nil {
			return err
		}
	default:
		return fmt.Errorf("status must be %q or %q, not %q", StatusPublished, StatusUnpublished, yf.Status)
	}
	return nil
}

func validateRegion(rf *regionFile, ds *dataSet) error {
	if !regionNameOK(rf.Region) {
		return fmt.Errorf("region name %q: use lower-case letters, digits, - or _", rf.Region)
	}
	if rf.Name == "" || rf.Basis == "" {
		return errors.New("name and basis are required")
	}
	seen := map[int]bool{}
	for i, ry := range rf.Years {
		if ry.Year < MinYear || ry.Year > MaxYear {
			return fmt.Errorf("years[%d]: year %d outside %d..%d", i, ry.Year, MinYear, MaxYear)
		}
		if seen[ry.Year] {
			return fmt.Errorf("years[%d]: duplicate year %d", i, ry.Year)
		}
		seen[ry.Year] = true
		where := fmt.Sprintf("year %d", ry.Year)
		switch ry.Status {
		case StatusConfirmed, StatusReported:
			ids, err := validateSources(ry.Sources)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if len(ry.ProvisionalDays) > 0 {
				return fmt.Errorf("%s: provisional_days is only for unpublished years", where)
			}
			if err := validateDays("days", ry.Year, ry.Days, ids, true); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			nat := ds.years[ry.Year]
			if nat == nil || nat.Status != StatusPublished {
				return fmt.Errorf("%s: overlay for a year whose national schedule is not published", where)
			}
			natKind := map[Date]string{}
			for _, d := range nat.Days {
				natKind[d.Date] = d.Kind
			}
			for _, d := range ry.Days {
				if d.Kind == kindWork && natKind[d.Date] == kindOff {
					return fmt.Errorf("%s: %s: an overlay make-up working day cannot cancel a national day off", where, d.Date)
				}
			}
			n := countWorkingDays(ry.Year, nat.Days, ry.Days)
			if n < minPlausibleWorkingDays-4 || n > maxPlausibleWorkingDays {
				return fmt.Errorf("%s: %d working days is implausible", where, n)
			}
		case StatusUnpublished:
			if len(ry.Days) > 0 {
				return fmt.Errorf("%s: an unpublished year has no days (use provisional_days)", where)
			}
			if err := validateDays("provisional_days", ry.Year, ry.ProvisionalDays, nil, false); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		default:
			return fmt.Errorf("%s: status must be %q, %q or %q, not %q", where, StatusConfirmed, StatusReported, StatusUnpublished, ry.Status)
		}
	}
	return nil
}

// countWorkingDays counts the working days of year y: Monday to Friday,
// minus the days off, plus the make-up days, national days first and then
// the overlay days replacing them.
func countWorkingDays(y int, national, overlay []dayEntry) int {
	kind := map[Date]string{}
	for _, d := range national {
		kind[d.Date] = d.Kind
	}
	for _, d := range overlay {
		kind[d.Date] = d.Kind
	}
	n := 0
	for d := (Date{Year: y, Month: time.January, Day: 1}); d.Year == y; d = d.AddDays(1) {
		work := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		switch kind[d] {
		case kindOff:
			work = false
		case kindWork:
			work = true
		}
		if work {
			n++
		}
	}
	return n
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
