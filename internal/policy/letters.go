package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Centre is the identity a deployment prints on its letters: the credit
// centre (公共信用信息工作机构) that issues them and the credit authority
// (信用管理部门) that decides appeals. The shipped profiles carry the
// names the regulations imply and demonstration addresses; a deployment
// sets its own through POLICY_DIR.
type Centre struct {
	// Name is the issuing organ (发文机关), printed as masthead and
	// signature.
	Name string `yaml:"name" json:"name"`
	// NumberPrefix starts the centre's letter numbers (发文字号), e.g.
	// 通信 in 通信异受字〔2026〕第0001号.
	NumberPrefix string `yaml:"number_prefix" json:"number_prefix"`
	// Seal is the text of its seal (印章).
	Seal      string `yaml:"seal" json:"seal"`
	Address   string `yaml:"address" json:"address"`
	Postcode  string `yaml:"postcode,omitempty" json:"postcode,omitempty"`
	Telephone string `yaml:"telephone" json:"telephone"`
	// Authority is the credit authority: it decides appeals (申诉) and
	// signs appeal decisions.
	Authority Organ `yaml:"authority" json:"authority"`
}

// Organ is another issuing organ.
type Organ struct {
	Name         string `yaml:"name" json:"name"`
	NumberPrefix string `yaml:"number_prefix" json:"number_prefix"`
	Seal         string `yaml:"seal" json:"seal"`
}

// Remedies are the ways of redress (救济途径) letters may offer.
type Remedies struct {
	// Appeal (申诉) to the credit authority, only where the regulation
	// grants it; nil = no appeal (the objection procedure then has no
	// appeal stage and the profile defines no objection.appeal_window).
	Appeal *AppealRemedy `yaml:"appeal,omitempty" json:"appeal,omitempty"`
	// Transfer: an applicant who still disagrees with an objection's
	// result has it handed to the provider (鞍山 第十条), where the
	// regulation says so.
	Transfer *AppealRemedy `yaml:"transfer,omitempty" json:"transfer,omitempty"`
	// Review: administrative review (行政复议), the organ that hears it.
	Review ReviewRemedy `yaml:"review" json:"review"`
	// Litigation (行政诉讼): the court; "" = 有管辖权的人民法院.
	Litigation LitigationRemedy `yaml:"litigation" json:"litigation"`
}

// AppealRemedy grants the appeal; Cite is the article that grants it.
type AppealRemedy struct {
	Cite []Citation `yaml:"cite" json:"cite"`
}

// ReviewRemedy names the review organ.
type ReviewRemedy struct {
	Organ string `yaml:"organ" json:"organ"`
}

// LitigationRemedy names the court.
type LitigationRemedy struct {
	Court string `yaml:"court,omitempty" json:"court,omitempty"`
}

// Remedy names, as letters list them.
const (
	RemedyAppeal     = "appeal"     // 申诉
	RemedyReview     = "review"     // 行政复议
	RemedyLitigation = "litigation" // 行政诉讼
	RemedyTransfer   = "transfer"   // 移交信息提供单位处理
)

// Letter is what one kind of letter cites and offers under the profile.
type Letter struct {
	// Basis is the legal basis the letter states (依据); empty when the
	// regulation says nothing that supports it.
	Basis []Citation `yaml:"basis,omitempty" json:"basis,omitempty"`
	// Remedies are the remedies the letter tells of, in order.
	Remedies []string `yaml:"remedies,omitempty" json:"remedies,omitempty"`
}

// LetterKinds are the letters profiles describe (documents.Kind values);
// a kind may be refined by a variant ("objection_result.corrected") that
// takes precedence over the kind.
var LetterKinds = []string{
	"objection_acceptance", "objection_supplement", "objection_verification",
	"objection_result", "objection_correction", "appeal_decision",
	"listing_notice", "listing_decision", "listing_repair_notice", "listing_not_listed", "listing_removal",
	"listing_hearing_notice", "listing_withdrawn",
	"repair_acceptance", "repair_supplement", "repair_publicity", "repair_decision", "repair_refusal",
}

// letterVariants are the variants a kind may have.
var letterVariants = map[string][]string{
	"objection_result": {"corrected", "upheld", "deleted"},
	"appeal_decision":  {"dismissed", "corrected", "deleted"},
}

// Letter returns what letter kind (refined by variant, if the profile
// says something particular about it) cites and offers.
func (p *Profile) Letter(kind, variant string) Letter {
	if variant != "" {
		if l, ok := p.Letters[kind+"."+variant]; ok {
			base := p.Letters[kind]
			if len(l.Remedies) == 0 {
				l.Remedies = base.Remedies
			}
			return l
		}
	}
	return p.Letters[kind]
}

// HasAppeal reports whether the regulation grants an appeal (申诉).
func (p *Profile) HasAppeal() bool { return p.Remedies.Appeal != nil }

// HasResultWindow says the objection's written reply opens a window
// (objection.appeal_window): for an appeal (申诉), or for the applicant's
// continued disagreement that the centre hands to the provider (Anshan
// art. 10).
func (p *Profile) HasResultWindow() bool { return p.HasAppeal() || p.Remedies.Transfer != nil }

// What an applicant who still disagrees with an objection's written reply
// may do next under a profile (ResultRoute): the words people read for the
// closed stage and its window (objection.appeal_window) follow it.
const (
	// ResultAppeal: an appeal (申诉) to the credit authority (Nantong
	// art. 33).
	ResultAppeal = "appeal"
	// ResultHandover: the centre hands the continued disagreement to the
	// provider (移交, Anshan art. 10); there is no appeal.
	ResultHandover = "handover"
	// ResultFinal: the written reply ends the procedure; administrative
	// review and litigation remain.
	ResultFinal = "final"
)

// ResultRoute is what follows an objection's written reply under the
// profile: ResultAppeal, ResultHandover or ResultFinal (the workflow's own
// choice: an appeal where the regulation grants one, else the hand-over
// where it provides it, else nothing).
func (p *Profile) ResultRoute() string {
	return ResultRouteOf(p.HasAppeal(), p.Settings.DisagreementHandover.Value)
}

// ResultRouteOf is ResultRoute from the two decisions a running case keeps
// (activities.ObjectionRules.Appeal, the input's DisagreementHandover).
func ResultRouteOf(appeal, handover bool) string {
	switch {
	case appeal:
		return ResultAppeal
	case handover:
		return ResultHandover
	}
	return ResultFinal
}

// FirstSchema says the profile is a stored version of the first schema
// (2026.1), written before profiles named the centre and what letters cite:
// it is read for the deadlines of the cases opened under it, and letters of
// those cases are composed from the profile loaded now. policy check and
// every profile a process loads must be of the present schema
// (LoadDir refuses the first).
func (p *Profile) FirstSchema() bool { return p.Centre.Name == "" }

// validateLetters checks the centre, the remedies, the letters' citations
// and every rule's and period's citations.
func validateLetters(p *Profile, l locator) error {
	for i, r := range p.Regulations {
		if in, ok := LookupInstrument(r); !ok || in.Scope != ScopeLocal {
			return errAt(l.line("regulations", fmt.Sprintf("#%d", i)), "regulations: %q is not a local regulation of instruments/instruments.yaml", r)
		}
	}
	c := p.Centre
	for _, f := range []struct{ key, v string }{
		{"name", c.Name}, {"number_prefix", c.NumberPrefix}, {"seal", c.Seal}, {"address", c.Address}, {"telephone", c.Telephone},
	} {
		if strings.TrimSpace(f.v) == "" {
			return errAt(l.line("centre", f.key), "centre.%s is required (printed on every letter)", f.key)
		}
	}
	if p.HasAppeal() {
		a := c.Authority
		for _, f := range []struct{ key, v string }{{"name", a.Name}, {"number_prefix", a.NumberPrefix}, {"seal", a.Seal}} {
			if strings.TrimSpace(f.v) == "" {
				return errAt(l.line("centre", "authority", f.key), "centre.authority.%s is required: the authority decides appeals", f.key)
			}
		}
	}
	if strings.TrimSpace(p.Remedies.Review.Organ) == "" {
		return errAt(l.line("remedies", "review", "organ"), "remedies.review.organ is required")
	}
	check := func(cs []Citation, path ...string) error {
		for i, ct := range cs {
			if err := checkCitation(p, ct); err != nil {
				return errAt(l.line(append(path, fmt.Sprintf("#%d", i))...), "%s: %v", strings.Join(path, "."), err)
			}
		}
		return nil
	}
	if p.HasAppeal() {
		if len(p.Remedies.Appeal.Cite) == 0 {
			return errAt(l.line("remedies", "appeal"), "remedies.appeal: cite the article that grants the appeal")
		}
		if err := check(p.Remedies.Appeal.Cite, "remedies", "appeal", "cite"); err != nil {
			return err
		}
	}
	if (p.Remedies.Transfer != nil) != p.Settings.DisagreementHandover.Value {
		return errAt(l.line("settings", "disagreement_handover"),
			"settings.disagreement_handover (%v) and remedies.transfer disagree: letters offer the hand-over to the provider exactly when the setting grants it",
			p.Settings.DisagreementHandover.Value)
	}
	if t := p.Remedies.Transfer; t != nil {
		if len(t.Cite) == 0 {
			return errAt(l.line("remedies", "transfer"), "remedies.transfer: cite the article that provides it")
		}
		if err := check(t.Cite, "remedies", "transfer", "cite"); err != nil {
			return err
		}
	}
	for i, r := range p.Rules {
		if err := check(r.Cite, "rules", fmt.Sprintf("#%d", i), "cite"); err != nil {
			return err
		}
	}
	for i, r := range p.Periods {
		if err := check(r.Cite, "periods", fmt.Sprintf("#%d", i), "cite"); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(p.Letters))
	for k := range p.Letters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind, variant, _ := strings.Cut(k, ".")
		if !slices.Contains(LetterKinds, kind) || (variant != "" && !slices.Contains(letterVariants[kind], variant)) {
			return errAt(l.line("letters", k), "letters.%s: unknown letter (known: %s)", k, strings.Join(LetterKinds, ", "))
		}
		lt := p.Letters[k]
		if err := check(lt.Basis, "letters", k, "basis"); err != nil {
			return err
		}
		for _, r := range lt.Remedies {
			switch r {
			case RemedyAppeal:
				if !p.HasAppeal() {
					return errAt(l.line("letters", k, "remedies"), "letters.%s offers an appeal but remedies.appeal is not granted", k)
				}
			case RemedyTransfer:
				if p.Remedies.Transfer == nil {
					return errAt(l.line("letters", k, "remedies"), "letters.%s offers a transfer to the provider but remedies.transfer is not provided", k)
				}
			case RemedyReview, RemedyLitigation:
			default:
				return errAt(l.line("letters", k, "remedies"), "letters.%s: unknown remedy %q (appeal, transfer, review, litigation)", k, r)
			}
		}
	}
	if _, ok := p.Letters["appeal_decision"]; ok && !p.HasAppeal() {
		return errAt(l.line("letters", "appeal_decision"), "letters.appeal_decision: the profile grants no appeal")
	}
	return nil
}

// validateLapse refuses a profile whose provider-lapse setting and the
// lapse actions of its rules say different things: the record leaves
// public query on the provider's lapse exactly when the setting says so,
// and on no other lapse.
func validateLapse(p *Profile, l locator) error {
	want := p.Settings.ProviderLapseStopsPublicQuery.Value
	for i, r := range p.Rules {
		has := slices.Contains(r.OnLapse, LapseSuspendPublicQuery)
		switch {
		case r.ID == ObjectionProviderReply && has != want:
			if want {
				return errAt(l.line("rules", fmt.Sprintf("#%d", i), "on_lapse"),
					"rule %s: settings.provider_lapse_stops_public_query is true but on_lapse has no %s", r.ID, LapseSuspendPublicQuery)
			}
			return errAt(l.line("rules", fmt.Sprintf("#%d", i), "on_lapse"),
				"rule %s: on_lapse has %s but settings.provider_lapse_stops_public_query is false", r.ID, LapseSuspendPublicQuery)
		case r.ID != ObjectionProviderReply && has:
			return errAt(l.line("rules", fmt.Sprintf("#%d", i), "on_lapse"),
				"rule %s: %s applies to the provider's verification (%s) only", r.ID, LapseSuspendPublicQuery, ObjectionProviderReply)
		}
	}
	return nil
}
