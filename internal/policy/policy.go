// Package policy holds the locality policy profiles: for each city, every
// deadline rule of the objection (异议处理), pre-listing representation
// (陈述申辩) and credit repair (信用修复) procedures, the disclosure periods
// (披露期限), and the flags the workflows need, each with the article it
// comes from. Where the local regulation is silent the national fallback of
// DESIGN.md is used and marked Fallback.
//
// Profiles are YAML files embedded from profiles/ and overridable from a
// directory (POLICY_DIR): a file NAME.yaml replaces the embedded profile
// NAME or adds one. Unknown keys, unknown or missing rules and
// non-positive lengths are refused at load with the file and line.
//
// Units: procedural deadlines are in working days ("wd") or calendar days
// ("cd"); periods (disclosure, listing, shortest period before repair) and
// the litigation window may be in months ("month") or years ("year"), both
// counted by calendar.Calendar.Add (民法典 arts. 201–203). Periods live in
// their own list because a period may be zero (minor dishonesty: repair as
// soon as the obligation is met) while a deadline may not.
package policy

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/creditcase/creditcase/internal/calendar"
)

//go:embed profiles/*.yaml
var embedded embed.FS

// DefaultProfileID is the profile used when none is chosen.
const DefaultProfileID = "nantong"

// ErrUnknownProfile and ErrUnknownRule are returned by Get and Rule.
var (
	ErrUnknownProfile = errors.New("policy: unknown profile")
	ErrUnknownRule    = errors.New("policy: unknown rule")
)

// LabelPolicy says whether a record under objection (异议标注) stays public.
type LabelPolicy string

// Label policies.
const (
	// KeepPublic: the record stays public with the objection label
	// (Nantong art. 32: 不影响其公示与应用).
	KeepPublic LabelPolicy = "keep_public"
	// Suspend: publication is suspended while the objection is handled.
	Suspend LabelPolicy = "suspend"
	// Discretionary: the centre may suspend publication, on its own motion
	// or on the applicant's reasonable request (Qinzhou art. 18: 可以暂停公开).
	Discretionary LabelPolicy = "discretionary"
)

// Rule is one deadline.
type Rule struct {
	ID     string        `yaml:"id" json:"id"`
	Length int           `yaml:"length" json:"length"`
	Unit   calendar.Unit `yaml:"unit" json:"unit"`
	// StartsOn names the event that starts the period (the day of the
	// event is not counted).
	StartsOn string `yaml:"starts_on" json:"starts_on"`
	// OnLapse lists what happens when the period runs out: remind,
	// escalate, suspend_public_query, proceed.
	OnLapse []string `yaml:"on_lapse" json:"on_lapse"`
	// RemindBefore is how many working days before the due date the party
	// responsible is reminded (0 = no reminder).
	RemindBefore int `yaml:"remind_before" json:"remind_before"`
	// Source is the internal note on where the rule comes from.
	Source string `yaml:"source" json:"source"`
	// Cite is what letters cite for the rule's length: only articles that
	// set it (empty: no instrument sets it, and letters state it as the
	// centre's own time limit).
	Cite []Citation `yaml:"cite,omitempty" json:"cite,omitempty"`
	// Fallback marks a national/DESIGN.md default used where the local
	// regulation is silent.
	Fallback bool   `yaml:"fallback" json:"fallback"`
	Note     string `yaml:"note,omitempty" json:"note,omitempty"`
}

// Period is a disclosure or waiting period.
type Period struct {
	ID       string        `yaml:"id" json:"id"`
	Length   int           `yaml:"length" json:"length"`
	Unit     calendar.Unit `yaml:"unit" json:"unit"`
	Source   string        `yaml:"source" json:"source"`
	Cite     []Citation    `yaml:"cite,omitempty" json:"cite,omitempty"`
	Fallback bool          `yaml:"fallback" json:"fallback"`
	Note     string        `yaml:"note,omitempty" json:"note,omitempty"`
}

// LabelSetting is the label policy with its basis.
type LabelSetting struct {
	Value    LabelPolicy `yaml:"value" json:"value"`
	Source   string      `yaml:"source" json:"source"`
	Fallback bool        `yaml:"fallback" json:"fallback"`
}

// BoolSetting is a yes/no policy with its basis.
type BoolSetting struct {
	Value    bool   `yaml:"value" json:"value"`
	Source   string `yaml:"source" json:"source"`
	Fallback bool   `yaml:"fallback" json:"fallback"`
}

// IntSetting is a number with its basis.
type IntSetting struct {
	Value    int    `yaml:"value" json:"value"`
	Source   string `yaml:"source" json:"source"`
	Fallback bool   `yaml:"fallback" json:"fallback"`
}

// Settings are the flags the workflows and the board need.
type Settings struct {
	// LabelledRecord: does a record under objection stay public?
	LabelledRecord LabelSetting `yaml:"labelled_record" json:"labelled_record"`
	// ProviderLapseStopsPublicQuery: when the provider misses its
	// verification deadline, the record is no longer served to the public
	// (Qinzhou art. 22: 不再向社会提供该信息的查询).
	ProviderLapseStopsPublicQuery BoolSetting `yaml:"provider_lapse_stops_public_query" json:"provider_lapse_stops_public_query"`
	// UnverifiableDeleted: an objection that cannot be verified leads to
	// deletion with the reason recorded (Anshan art. 11).
	UnverifiableDeleted BoolSetting `yaml:"unverifiable_deleted" json:"unverifiable_deleted"`
	// WarningMarginWD: the supervisor board shows a deadline yellow this
	// many working days before it is due (red when overdue).
	WarningMarginWD IntSetting `yaml:"warning_margin_wd" json:"warning_margin_wd"`
	// PublicPersonName: how the public list (严重失信主体名单) shows a
	// natural person's name: full or masked (张*). The identity number is
	// always masked.
	PublicPersonName NameSetting `yaml:"public_person_name" json:"public_person_name"`
	// DisagreementHandover: an applicant who still disagrees after the
	// provider's verification has the case handed to the provider (Anshan
	// art. 10 last sentence: 移交信息提供主体处理).
	DisagreementHandover BoolSetting `yaml:"disagreement_handover" json:"disagreement_handover"`
}

// Name display on the public list.
const (
	NameFull   = "full"
	NameMasked = "masked"
)

// NameSetting is the public list's name display with its basis.
type NameSetting struct {
	Value    string `yaml:"value" json:"value"`
	Source   string `yaml:"source" json:"source"`
	Fallback bool   `yaml:"fallback" json:"fallback"`
}

// GroundOther is the objection ground outside the regulation's list; it
// needs the applicant's own words.
const GroundOther = "other"

// Ground is one objection ground (异议情形) as the profile's regulation
// lists it: a stable code, the legal words letters print, the article.
type Ground struct {
	Code   string `yaml:"code" json:"code"`
	Text   string `yaml:"text" json:"text"`
	Source string `yaml:"source" json:"source"`
}

// Profile is one locality's policy.
type Profile struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	// Regulation names the local regulation and its file in
	// shared/regulations.
	Regulation string `yaml:"regulation" json:"regulation"`
	// Region is the calendar overlay ("" = national only, "guangxi").
	Region string `yaml:"region" json:"region"`
	// DeclaredVersion is the version written in the file.
	DeclaredVersion string   `yaml:"version" json:"declared_version"`
	Settings        Settings `yaml:"settings" json:"settings"`
	// ObjectionGrounds are the regulation's objection grounds, in its
	// order; "other" (with the applicant's words) is always allowed too.
	ObjectionGrounds []Ground `yaml:"objection_grounds" json:"objection_grounds"`
	Rules            []Rule   `yaml:"rules" json:"rules"`
	Periods          []Period `yaml:"periods" json:"periods"`
	Notes            []string `yaml:"notes,omitempty" json:"notes,omitempty"`
	// Regulations are the titles of the local regulations the profile's
	// letters may cite (instruments/instruments.yaml); any other city's are
	// refused.
	Regulations []string `yaml:"regulations,omitempty" json:"regulations,omitempty"`
	// Centre, Remedies and Letters are what letters print: the issuing
	// centre, the ways of redress, and each letter's basis (letters.go).
	Centre   Centre            `yaml:"centre" json:"centre"`
	Remedies Remedies          `yaml:"remedies" json:"remedies"`
	Letters  map[string]Letter `yaml:"letters" json:"letters"`

	// Version is DeclaredVersion plus a hash of the file: it changes with
	// any edit. Cases store it.
	Version string `yaml:"-" json:"version"`
	// Source is where the profile was loaded from.
	Source string `yaml:"-" json:"source"`

	doc []byte
}

// Document returns the YAML document the profile was parsed from (what the
// database keeps for every version a case may be pinned to).
func (p *Profile) Document() []byte { return p.doc }

// ParseProfile parses and validates one profile document; name is the
// profile ID (the file name without .yaml) and origin says where the
// document comes from in errors, which give the line.
func ParseProfile(name, origin string, data []byte) (*Profile, error) {
	p, err := parseProfile(name, data)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", origin, err)
	}
	p.Source = origin
	return p, nil
}

// Profiles returns the set's profiles sorted by ID.
func (s *Set) Profiles() []*Profile {
	out := make([]*Profile, 0, len(s.profiles))
	for _, id := range s.IDs() {
		out = append(out, s.profiles[id])
	}
	return out
}

// Ground returns the objection ground code of the profile.
func (p *Profile) Ground(code string) (Ground, bool) {
	for _, g := range p.ObjectionGrounds {
		if g.Code == code {
			return g, true
		}
	}
	return Ground{}, false
}

// Rule returns the rule id.
func (p *Profile) Rule(id string) (Rule, error) {
	for _, r := range p.Rules {
		if r.ID == id {
			return r, nil
		}
	}
	return Rule{}, fmt.Errorf("%w %q in profile %s", ErrUnknownRule, id, p.ID)
}

// Period returns the period id.
func (p *Profile) Period(id string) (Period, error) {
	for _, r := range p.Periods {
		if r.ID == id {
			return r, nil
		}
	}
	return Period{}, fmt.Errorf("%w %q in profile %s", ErrUnknownRule, id, p.ID)
}

// Deadline computes rule id for an event on start with the profile's
// calendar region.
func (p *Profile) Deadline(cal *calendar.Calendar, id string, start calendar.Date, provisional bool) (calendar.Deadline, error) {
	r, err := p.Rule(id)
	if err != nil {
		return calendar.Deadline{}, err
	}
	return cal.Add(start, r.Length, r.Unit, calendar.Options{Region: p.Region, Provisional: provisional})
}

// Reminder returns the day on which to remind the party responsible for
// rule id due on due (RemindBefore working days earlier); ok is false when
// the rule has no reminder.
func (p *Profile) Reminder(cal *calendar.Calendar, id string, due calendar.Date, provisional bool) (day calendar.Date, ok bool, err error) {
	r, err := p.Rule(id)
	if err != nil || r.RemindBefore == 0 {
		return calendar.Date{}, false, err
	}
	day, err = cal.SubtractWorkingDays(due, r.RemindBefore, calendar.Options{Region: p.Region, Provisional: provisional})
	return day, err == nil, err
}

// Set is a loaded, validated set of profiles. It is immutable.
type Set struct {
	profiles map[string]*Profile
}

// Get returns profile id ("" = DefaultProfileID).
func (s *Set) Get(id string) (*Profile, error) {
	if id == "" {
		id = DefaultProfileID
	}
	p, ok := s.profiles[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProfile, id)
	}
	return p, nil
}

// IDs returns the profile IDs, sorted.
func (s *Set) IDs() []string {
	ids := make([]string, 0, len(s.profiles))
	for id := range s.profiles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

var (
	defaultOnce sync.Once
	defaultSet  *Set
)

// Default returns the embedded profiles; it panics only if they are invalid,
// which the tests guard.
func Default() *Set {
	defaultOnce.Do(func() {
		files, err := readEmbedded()
		if err == nil {
			defaultSet, err = parseSet(files)
		}
		if err != nil {
			panic("policy: embedded profiles invalid: " + err.Error())
		}
	})
	return defaultSet
}

// Load returns the embedded profiles amended by the NAME.yaml files of
// overrideDir (POLICY_DIR). With "" it returns Default(). Any invalid file
// is refused with an error naming the file and line; callers keep
// Default().
func Load(overrideDir string) (*Set, error) {
	if overrideDir == "" {
		return Default(), nil
	}
	files, err := readEmbedded()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(overrideDir)
	if err != nil {
		return nil, fmt.Errorf("policy: override directory: %w", err)
	}
	found := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		p := filepath.Join(overrideDir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		files[strings.TrimSuffix(e.Name(), ".yaml")] = rawFile{origin: p, data: b}
		found++
	}
	if found == 0 {
		return nil, fmt.Errorf("policy: override directory %s has no .yaml file", overrideDir)
	}
	return parseSet(files)
}

type rawFile struct {
	origin string
	data   []byte
}

func readEmbedded() (map[string]rawFile, error) {
	entries, err := fs.ReadDir(embedded, "profiles")
	if err != nil {
		return nil, err
	}
	files := map[string]rawFile{}
	for _, e := range entries {
		b, err := fs.ReadFile(embedded, "profiles/"+e.Name())
		if err != nil {
			return nil, err
		}
		files[strings.TrimSuffix(e.Name(), ".yaml")] = rawFile{origin: "embedded:profiles/" + e.Name(), data: b}
	}
	return files, nil
}

func parseSet(files map[string]rawFile) (*Set, error) {
	s := &Set{profiles: map[string]*Profile{}}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := files[name]
		p, err := parseProfile(name, f.data)
		if err == nil && p.FirstSchema() {
			err = errAt(1, "centre: the centre's name is required (letters are signed with it; see profiles/%s.yaml)", DefaultProfileID)
		}
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %w", f.origin, err)
		}
		p.Source = f.origin
		s.profiles[name] = p
	}
	if _, ok := s.profiles[DefaultProfileID]; !ok {
		return nil, fmt.Errorf("policy: the default profile %q is missing", DefaultProfileID)
	}
	return s, nil
}

// parseProfile decodes one YAML document strictly and validates it. Errors
// start with "line N:".
func parseProfile(name string, data []byte) (*Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// yaml.v3 says "line N: field x not found in type policy.Rule".
			return nil, errors.New(strings.Join(te.Errors, "; "))
		}
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	l := locator{root: &root}
	for i := range p.Rules {
		if to, ok := renamedEvents[p.Rules[i].StartsOn]; ok {
			p.Rules[i].StartsOn = to
		}
	}
	if err := validate(name, &p, l); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p.Version = p.DeclaredVersion + "+" + hex.EncodeToString(sum[:])[:12]
	p.doc = data
	return &p, nil
}

// locator finds the line of a key in the document for error messages.
type locator struct{ root *yaml.Node }

func (l locator) doc() *yaml.Node {
	if l.root != nil && l.root.Kind == yaml.DocumentNode && len(l.root.Content) > 0 {
		return l.root.Content[0]
	}
	return l.root
}

// value returns the value node of key in mapping m.
func value(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// line returns the line of the last key of path (keys, and sequence indexes
// as "#N"), or of the deepest node found.
func (l locator) line(path ...string) int {
	n := l.doc()
	if n == nil {
		return 1
	}
	line := n.Line
	for _, p := range path {
		if strings.HasPrefix(p, "#") {
			i, err := strconv.Atoi(p[1:])
			if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		k, v := value(n, p)
		if k == nil {
			return line
		}
		line = k.Line // the key's line: where people look
		n = v
	}
	return line
}

func errAt(line int, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

func validate(name string, p *Profile, l locator) error {
	if p.ID != name {
		return errAt(l.line("id"), "id %q does not match the file name %s.yaml", p.ID, name)
	}
	for _, f := range []struct{ key, v string }{{"name", p.Name}, {"regulation", p.Regulation}, {"version", p.DeclaredVersion}} {
		if strings.TrimSpace(f.v) == "" {
			return errAt(l.line(f.key), "%s is required", f.key)
		}
	}
	if p.Region != "" && !regionOK(p.Region) {
		return errAt(l.line("region"), "region %q: use a calendar overlay name such as guangxi", p.Region)
	}
	// Settings.
	switch p.Settings.LabelledRecord.Value {
	case KeepPublic, Suspend, Discretionary:
	default:
		return errAt(l.line("settings", "labelled_record", "value"), "labelled_record must be %s, %s or %s, not %q", KeepPublic, Suspend, Discretionary, p.Settings.LabelledRecord.Value)
	}
	for _, s := range []struct {
		key, source string
	}{
		{"labelled_record", p.Settings.LabelledRecord.Source},
		{"provider_lapse_stops_public_query", p.Settings.ProviderLapseStopsPublicQuery.Source},
		{"unverifiable_deleted", p.Settings.UnverifiableDeleted.Source},
		{"warning_margin_wd", p.Settings.WarningMarginWD.Source},
		{"public_person_name", p.Settings.PublicPersonName.Source},
		{"disagreement_handover", p.Settings.DisagreementHandover.Source},
	} {
		if strings.TrimSpace(s.source) == "" {
			return errAt(l.line("settings", s.key), "settings.%s: source is required (article, or the fallback it uses)", s.key)
		}
	}
	if p.Settings.WarningMarginWD.Value < 0 {
		return errAt(l.line("settings", "warning_margin_wd", "value"), "warning_margin_wd must not be negative")
	}
	if v := p.Settings.PublicPersonName.Value; v != NameFull && v != NameMasked {
		return errAt(l.line("settings", "public_person_name", "value"), "public_person_name must be %s or %s, not %q", NameFull, NameMasked, v)
	}
	// Objection grounds: the regulation's list, each with its article.
	if len(p.ObjectionGrounds) == 0 {
		return errAt(l.line("objection_grounds"), "objection_grounds: list the regulation's grounds (异议情形)")
	}
	gseen := map[string]bool{}
	for i, g := range p.ObjectionGrounds {
		at := func(key string) int { return l.line("objection_grounds", fmt.Sprintf("#%d", i), key) }
		switch {
		case !regionOK(g.Code) || g.Code == GroundOther:
			return errAt(at("code"), "objection ground code %q: lower-case letters, digits and _ (and not %q, which is always allowed)", g.Code, GroundOther)
		case gseen[g.Code]:
			return errAt(at("code"), "objection ground %s defined twice", g.Code)
		case strings.TrimSpace(g.Text) == "":
			return errAt(at("text"), "objection ground %s: text (the regulation's words) is required", g.Code)
		case strings.TrimSpace(g.Source) == "":
			return errAt(at("source"), "objection ground %s: source (article) is required", g.Code)
		}
		gseen[g.Code] = true
	}
	// Rules.
	specs := map[string]ruleSpec{}
	for _, s := range ruleCatalogue {
		specs[s.id] = s
	}
	seen := map[string]bool{}
	for i, r := range p.Rules {
		at := func(key string) int { return l.line("rules", fmt.Sprintf("#%d", i), key) }
		spec, ok := specs[r.ID]
		if !ok {
			return errAt(at("id"), "unknown rule %q (known: %s)", r.ID, strings.Join(RuleIDs(), ", "))
		}
		if seen[r.ID] {
			return errAt(at("id"), "rule %s defined twice", r.ID)
		}
		seen[r.ID] = true
		if r.Length <= 0 {
			return errAt(at("length"), "rule %s: length must be positive, not %d", r.ID, r.Length)
		}
		if !unitIn(r.Unit, spec.units) {
			return errAt(at("unit"), "rule %s: unit %q not allowed (use %s)", r.ID, r.Unit, unitList(spec.units))
		}
		if _, ok := events[r.StartsOn]; !ok {
			return errAt(at("starts_on"), "rule %s: unknown event %q (known: %s)", r.ID, r.StartsOn, strings.Join(eventNames(), ", "))
		}
		if !slices.Contains(spec.starts, r.StartsOn) {
			return errAt(at("starts_on"), "rule %s: the procedure cannot start it on %s (it can on: %s)", r.ID, r.StartsOn, strings.Join(spec.starts, ", "))
		}
		if len(r.OnLapse) == 0 {
			return errAt(at("on_lapse"), "rule %s: on_lapse is required", r.ID)
		}
		for j, a := range r.OnLapse {
			switch a {
			case LapseRemind, LapseEscalate, LapseSuspendPublicQuery, LapseProceed:
			default:
				return errAt(l.line("rules", fmt.Sprintf("#%d", i), "on_lapse", fmt.Sprintf("#%d", j)), "rule %s: unknown lapse action %q (remind, escalate, suspend_public_query, proceed)", r.ID, a)
			}
		}
		if r.RemindBefore < 0 || (r.Unit == calendar.WorkingDays && r.RemindBefore >= r.Length && r.RemindBefore > 0) {
			return errAt(at("remind_before"), "rule %s: remind_before %d must be 0 or between 1 and length-1", r.ID, r.RemindBefore)
		}
		if strings.TrimSpace(r.Source) == "" {
			return errAt(at("source"), "rule %s: source (article) is required", r.ID)
		}
	}
	var missing []string
	for _, s := range ruleCatalogue {
		switch {
		case s.id == ObjectionAppealWindow && p.FirstSchema():
			// 2026.1 had the window in every profile.
		case s.id == ObjectionAppealWindow && p.HasResultWindow() != seen[s.id]:
			if seen[s.id] {
				return errAt(l.line("rules"), "rule %s: the profile grants no appeal and hands no disagreement to the provider (remedies.appeal, remedies.transfer); remove the rule", s.id)
			}
			missing = append(missing, s.id+" (remedies.appeal or remedies.transfer needs the window)")
		case s.id == ObjectionAppealWindow:
		case !seen[s.id]:
			missing = append(missing, s.id)
		}
	}
	if len(missing) > 0 {
		return errAt(l.line("rules"), "missing rules: %s", strings.Join(missing, ", "))
	}
	// Periods.
	pspecs := map[string]periodSpec{}
	for _, s := range periodCatalogue {
		pspecs[s.id] = s
	}
	pseen := map[string]bool{}
	for i, r := range p.Periods {
		at := func(key string) int { return l.line("periods", fmt.Sprintf("#%d", i), key) }
		spec, ok := pspecs[r.ID]
		if !ok {
			return errAt(at("id"), "unknown period %q (known: %s)", r.ID, strings.Join(PeriodIDs(), ", "))
		}
		if pseen[r.ID] {
			return errAt(at("id"), "period %s defined twice", r.ID)
		}
		pseen[r.ID] = true
		if r.Length < 0 || (r.Length == 0 && !spec.allowZero) {
			return errAt(at("length"), "period %s: length must be positive, not %d", r.ID, r.Length)
		}
		if r.Unit != calendar.Months && r.Unit != calendar.Years && r.Unit != calendar.CalendarDays {
			return errAt(at("unit"), "period %s: unit %q not allowed (use month, year or cd)", r.ID, r.Unit)
		}
		if strings.TrimSpace(r.Source) == "" {
			return errAt(at("source"), "period %s: source (article) is required", r.ID)
		}
	}
	missing = nil
	for _, s := range periodCatalogue {
		if !pseen[s.id] {
			missing = append(missing, s.id)
		}
	}
	if len(missing) > 0 {
		return errAt(l.line("periods"), "missing periods: %s", strings.Join(missing, ", "))
	}
	minP, _ := p.Period(ListingPeriodMin)
	maxP, _ := p.Period(ListingPeriodMax)
	if months(minP) > months(maxP) {
		return errAt(l.line("periods"), "listing.period_min is longer than listing.period_max")
	}
	if p.FirstSchema() {
		// A stored version written before profiles said what letters
		// print: kept for the deadlines of the cases opened under it.
		return nil
	}
	if err := validateLapse(p, l); err != nil {
		return err
	}
	return validateLetters(p, l)
}

func months(p Period) int {
	switch p.Unit {
	case calendar.Years:
		return 12 * p.Length
	case calendar.Months:
		return p.Length
	}
	return p.Length / 30
}

func unitIn(u calendar.Unit, us []calendar.Unit) bool {
	for _, x := range us {
		if u == x {
			return true
		}
	}
	return false
}

func unitList(us []calendar.Unit) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = string(u)
	}
	return strings.Join(s, ", ")
}

func eventNames() []string {
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// EventDescription describes a starts_on event for people.
func EventDescription(event string) string { return events[event] }

func regionOK(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return len(s) > 0 && len(s) <= 32
}
