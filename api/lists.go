package api

import (
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/supervision"
)

// The list answers: one named type each, so the OpenAPI document types
// them and a client knows the member holding the list.
type (
	AccountList struct {
		Accounts []auth.Account `json:"accounts"`
	}
	ProviderList struct {
		Providers []records.Provider `json:"providers"`
	}
	SubjectList struct {
		Subjects []records.Subject `json:"subjects"`
	}
	PublicRecordList struct {
		Records []records.PublicRecord `json:"records"`
		// Next is the cursor of the next page (pass it as cursor with the
		// same q); null on the last page.
		Next *string `json:"next"`
	}
	EventList struct {
		Events []audit.Event `json:"events"`
	}
	QueryList struct {
		Queries []audit.Query `json:"queries"`
	}
	EvidenceList struct {
		Evidence []evidence.Meta `json:"evidence"`
	}
	DocumentList struct {
		Documents []documents.Meta `json:"documents"`
	}
	NotificationList struct {
		Notifications []supervision.Notification `json:"notifications"`
	}
	RepairNoticeList struct {
		Notices []casework.PublicRepairNotice `json:"notices"`
	}
	ListingList struct {
		Listings []casework.ListingSummary `json:"listings"`
	}
	PublicListingList struct {
		Listings []casework.PublicListing `json:"listings"`
	}
)
