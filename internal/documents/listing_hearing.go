package documents

import (
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Letters of the listing procedure added by issue 19: the hearing notice
// and the notice that a proposal was withdrawn.
const (
	// KindListingHearingNotice is the notice of the hearing (听证通知书,
	// 行政处罚法 art. 64(二): served at least seven working days before).
	KindListingHearingNotice Kind = "listing_hearing_notice"
	// KindListingWithdrawn tells the subject that the provider withdrew
	// the proposal before the decision (撤回列入建议告知书).
	KindListingWithdrawn Kind = "listing_withdrawn"
)

// ListingHearingNotice (听证通知书): when and where the hearing is held,
// and the party's rights at it (行政处罚法 art. 64).
type ListingHearingNotice struct {
	Header
	Subject Subject  `json:"subject"`
	Records []Record `json:"records"`
	// At is the hearing's time (Asia/Shanghai), Place where it is held.
	At    time.Time `json:"at"`
	Place string    `json:"place"`
	// NoticePeriod is the notice period in words, e.g. "7个工作日".
	NoticePeriod string     `json:"notice_period"`
	Basis        []Citation `json:"basis"`
	Contact      Contact    `json:"contact"`
}

// Kind is KindListingHearingNotice.
func (*ListingHearingNotice) Kind() Kind { return KindListingHearingNotice }

// When is the hearing's time as letters write it: 2026年3月17日 09:00.
func (d *ListingHearingNotice) When() string {
	at := d.At.In(calendar.Shanghai)
	return ChineseDate(calendar.DateOf(at)) + " " + at.Format("15:04")
}

// Validate reports missing or malformed fields.
func (d *ListingHearingNotice) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	validateRecords(v, d.Records)
	if d.At.IsZero() {
		v.add("at", "the hearing's time is required")
	}
	v.required("place", d.Place)
	v.required("notice_period", d.NoticePeriod)
	validateCitations(v, "basis", d.Basis, true)
	return v.err()
}

// ListingWithdrawn (撤回列入严重失信主体名单建议告知书): the proposal the
// subject was told of is withdrawn before any decision, with the reasons;
// the subject is not listed on it.
type ListingWithdrawn struct {
	Header
	Subject Subject  `json:"subject"`
	Records []Record `json:"records"`
	// ServedOn is when the pre-listing notice was served (zero: not yet).
	ServedOn calendar.Date `json:"served_on,omitzero"`
	// Provider withdrew the proposal.
	Provider string   `json:"provider"`
	Reasons  []string `json:"reasons"`
	Contact  Contact  `json:"contact"`
}

// Kind is KindListingWithdrawn.
func (*ListingWithdrawn) Kind() Kind { return KindListingWithdrawn }

// Validate reports missing or malformed fields.
func (d *ListingWithdrawn) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	validateRecords(v, d.Records)
	v.required("provider", d.Provider)
	v.list("reasons", d.Reasons)
	return v.err()
}
