package letters

import (
	"fmt"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// Compose builds the data of letter is for case c. It states only what
// the case has: a date the case has not reached is left zero and the
// document's validation refuses it; a deadline the case has not computed
// is ErrNoDeadline.
func Compose(c Case, is Issue) (documents.Data, error) {
	if c.Profile == nil {
		return nil, fmt.Errorf("letters: case %s has no profile", c.Ref)
	}
	h := header(c, is)
	ct := contact(c.Profile)
	received, accepted := date(c.Dates.Received), date(c.Dates.Accepted)
	facts, lists := is.Facts, is.Lists
	switch is.Kind {
	case documents.KindAcceptance:
		d, err := due(c, policy.ObjectionOverall)
		if err != nil {
			return nil, err
		}
		return &documents.AcceptanceNotice{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received, AcceptedOn: accepted,
			Suspended: c.Suspended, ResultDue: d, Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindSupplement:
		return &documents.SupplementNotice{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received,
			Missing: lists["missing"], Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindVerification:
		h.Addressee = c.Record.Provider
		d, err := due(c, policy.ObjectionProviderReply)
		if err != nil {
			return nil, err
		}
		return &documents.VerificationRequest{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received,
			Grounds: lists["grounds"], Enclosures: lists["enclosures"], ReplyDue: d, Basis: basis(c, is.Kind, ""),
			OnLapse: onLapse(c), Contact: ct}, nil
	case documents.KindObjectionResult:
		outcome := facts["outcome"]
		return &documents.ObjectionResult{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received, AcceptedOn: accepted,
			Outcome: documents.Outcome(outcome), Reasons: lists["reasons"], Correction: is.Correction,
			Basis: basis(c, is.Kind, outcome), Remedies: remedies(c, is.Kind, outcome), Contact: ct}, nil
	case documents.KindCorrection:
		return &documents.CorrectionNotice{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received,
			Error: facts["error"], Correction: is.Correction, CorrectedOn: date(c.Dates.Corrected),
			Basis: basis(c, is.Kind, ""), Remedies: remedies(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindAppealDecision:
		result := facts["result"]
		return &documents.AppealDecision{Header: h, Subject: c.Subject, Record: c.Record, ResultNumber: facts["result_number"],
			AppealedOn: date(c.Dates.Appealed), Request: facts["request"], Findings: lists["findings"],
			Result: documents.AppealResult(result), Correction: is.Correction,
			Basis: basis(c, is.Kind, result), Remedies: remedies(c, is.Kind, result)}, nil
	case documents.KindDeadlineCorrection:
		return correction(c, is, h, ct)
	case documents.KindProviderDeadlineCorrection:
		h.Addressee = c.Record.Provider
		return providerCorrection(c, is, h, ct)
	case documents.KindListingNotice, documents.KindListingDecision, documents.KindListingRepairNotice,
		documents.KindListingNotListed, documents.KindListingRemoval, documents.KindListingHearingNotice, documents.KindListingWithdrawn:
		return composeListing(c, is, h, ct)
	case documents.KindRepairAcceptance:
		d, err := due(c, policy.RepairOverall)
		if err != nil {
			return nil, err
		}
		return &documents.RepairAcceptance{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received, AcceptedOn: accepted,
			ResultDue: d, Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindRepairSupplement:
		return &documents.RepairSupplement{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received,
			Missing: lists["missing"], Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindRepairPublicity:
		h.Addressee = "社会公众"
		d, err := due(c, policy.RepairPublicity)
		if err != nil {
			return nil, err
		}
		d.From = ""
		return &documents.RepairPublicity{Header: h, Subject: c.Subject, Record: c.Record, Proposal: facts["proposal"],
			From: date(c.Dates.PublicityFrom), Until: d, Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindRepairDecision:
		return &documents.RepairDecision{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received,
			PublicityFrom: date(c.Dates.PublicityFrom), PublicityTo: c.Dates.PublicityTo, Reasons: lists["reasons"],
			RepairedOn: is.Date, Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindRepairRefusal:
		var eligible *calendar.Date
		if s := facts["eligible_from"]; s != "" {
			d, err := calendar.ParseDate(s)
			if err != nil {
				return nil, fmt.Errorf("letters: eligible_from %q: %w", s, err)
			}
			eligible = &d
		}
		return &documents.RepairRefusal{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: received,
			Reasons: lists["reasons"], EligibleFrom: eligible, Basis: basis(c, is.Kind, ""),
			Remedies: remedies(c, is.Kind, ""), Contact: ct}, nil
	}
	return nil, fmt.Errorf("%w %q", documents.ErrUnknownKind, is.Kind)
}

func composeListing(c Case, is Issue, h documents.Header, ct documents.Contact) (documents.Data, error) {
	l := c.Listing
	if l == nil {
		return nil, fmt.Errorf("letters: %s of case %s needs the listing", is.Kind, c.Ref)
	}
	facts, lists := is.Facts, is.Lists
	switch is.Kind {
	case documents.KindListingNotice:
		return &documents.ListingNotice{Header: h, Subject: c.Subject, Records: c.Records, Reasons: []string{l.Reasons},
			LegalBasis: l.LegalBasis, Measures: l.Measures, JointPunishment: l.Joint, Period: l.Period,
			RepresentationPeriod: period(c, policy.ListingRepresentation), RemovalConditions: removalConditions(c),
			RemovalProcedure: removalProcedure(c), Basis: basis(c, is.Kind, ""),
			RepresentationBasis: ruleCite(c, policy.ListingRepresentation), Contact: ct}, nil
	case documents.KindListingDecision:
		return &documents.ListingDecision{Header: h, Subject: c.Subject, Records: c.Records, ServedOn: date(c.Dates.Served),
			Representation: facts["representation"], Answers: lists["answers"], Reasons: lists["reasons"],
			LegalBasis: l.LegalBasis, Measures: l.Measures, JointPunishment: l.Joint, Period: l.Period,
			ListedOn: date(c.Dates.Listed), RemovalDue: c.Dates.RemovalDue, Remedies: remedies(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindListingRepairNotice:
		shortest := ""
		if p, err := c.Profile.Period(policy.RepairMinPeriodSerious); err == nil {
			shortest = wording.Period(p.Length, p.Unit, wording.ZH)
		}
		return &documents.ListingRepairNotice{Header: h, Subject: c.Subject, DecisionNumber: facts["decision_number"],
			ShortestPeriod: shortest, Conditions: repairConditions, Procedure: repairProcedure(c),
			Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindListingNotListed:
		return &documents.ListingNotListed{Header: h, Subject: c.Subject, Records: c.Records,
			Representation: facts["representation"], Answers: lists["answers"], Reasons: lists["reasons"], Contact: ct}, nil
	case documents.KindListingHearingNotice:
		at, err := time.Parse(time.RFC3339, facts["at"])
		if err != nil {
			return nil, fmt.Errorf("letters: the hearing's time %q: %w", facts["at"], err)
		}
		return &documents.ListingHearingNotice{Header: h, Subject: c.Subject, Records: c.Records, At: at, Place: facts["place"],
			NoticePeriod: period(c, policy.ListingHearingNotice), Basis: basis(c, is.Kind, ""), Contact: ct}, nil
	case documents.KindListingWithdrawn:
		provider := ""
		if len(c.Records) > 0 {
			provider = c.Records[0].Provider
		}
		return &documents.ListingWithdrawn{Header: h, Subject: c.Subject, Records: c.Records, ServedOn: date(c.Dates.Served),
			Provider: provider, Reasons: lists["reasons"], Contact: ct}, nil
	}
	return &documents.ListingRemoval{Header: h, Subject: c.Subject, Records: c.Records, ListedOn: date(c.Dates.Listed),
		RemovedOn: date(c.Dates.Removed), Reason: documents.RemovalReason(facts["reason"]), Detail: facts["detail"], Contact: ct}, nil
}

// What a pre-listing notice and a repair notice say about removal and
// repair (DESIGN.md §2.2.6, §2.3.1), with the profile's time limits.
func removalConditions(c Case) []string {
	return []string{
		"列入期限届满的，自动移出名单",
		"列入所依据的行政决定被依法撤销、变更或者确认无效的，自撤销等之日起" + period(c, policy.ListingRevokedRemoval) + "内移出名单",
		"在列入期间纠正失信行为、履行法定义务并完成信用修复的，可以提前移出名单",
	}
}

func removalProcedure(c Case) []string {
	return []string{
		"期满移出由本中心依职权办理，无需申请",
		"依据被撤销的，可以向本中心提交撤销决定，本中心核实后移出",
		"信用修复：向本中心提出申请，经信息提供单位出具意见、公示" + period(c, policy.RepairPublicity) + "无异议后移出",
	}
}

var repairConditions = []string{
	"已纠正失信行为、履行相关义务，消除不良影响",
	"自列入之日起满最短公示期，且一年内未再发生同类失信行为",
	"作出信用承诺（签署信用承诺书）",
}

func repairProcedure(c Case) []string {
	return []string{
		"向本中心提交信用修复申请书、信用承诺书及履行义务的证明材料",
		"本中心自收到申请之日起" + period(c, policy.RepairAcceptance) + "内决定是否受理，材料不全的一次性告知需补正的全部内容",
		"信息提供单位出具书面修复意见后，拟修复结果公示" + period(c, policy.RepairPublicity),
		"公示无异议的，作出信用修复决定并移出名单，停止公开和联合惩戒",
	}
}
