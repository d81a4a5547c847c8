package workflows

import "time"

// A step stopped by a data error (issue 11.4). When an activity of a case
// fails with a non-retryable error — a data error classified by package
// dataerror (a constraint broken, a value PostgreSQL cannot read, stored
// data that does not decode, a row the step needs missing) or an
// activity's own typed refusal of its data (no-record, bad-correction,
// unknown-rule…) — the workflow does not fail and does not retry: the
// step is escalated. The case stays open and live (its record stays
// labelled while it is), shows the step on its page, on the board and on
// the supervisors' escalations, refuses other steps meanwhile
// (RefusedEscalated), and waits for a supervisor or caseworker to resolve
// it with UpdateResolveStep: retry the step once the data is corrected,
// or close the case (its deadlines cancelled, its record unlabelled, the
// closing audited).
const (
	// UpdateResolveStep resolves the escalated step (StepResolution).
	UpdateResolveStep = "resolve-escalated-step"
	// RefusedEscalated refuses a step while another step of the case is
	// escalated: details name the stage; the escalated step is in the
	// case's state (CaseProgress.Escalated).
	RefusedEscalated = "step-escalated"
	// StepEscalatedNow answers the update whose own step stopped on a data
	// error: accepted, partly done, escalated; do not repeat it.
	StepEscalatedNow = "step-escalated-now"
	// OutcomeClosedOnEscalation: the case was closed by a supervisor after
	// one of its steps stopped on a data error.
	OutcomeClosedOnEscalation = "closed_on_escalation"
	// ResolveRetry runs the escalated step again (after the data is
	// corrected); ResolveClose closes the case.
	ResolveRetry = "retry"
	ResolveClose = "close"
)

// EscalatedStep is a step of the case stopped by a data error, waiting for
// a person. Message is safe to show: it names what is wrong (SQLSTATE,
// constraint, table, column) without the value, and ID numbers are
// masked.
type EscalatedStep struct {
	// Seq numbers the case's escalated steps from 1.
	Seq int `json:"seq"`
	// Step is the activity that failed (e.g. LabelRecord, ApplyOutcome).
	Step      string    `json:"step"`
	Stage     string    `json:"stage"`
	ErrorType string    `json:"error_type"`
	Message   string    `json:"message"`
	Since     time.Time `json:"since"`
}

// StepResolution resolves the escalated step Seq: Action is ResolveRetry
// or ResolveClose; Reason says why (required to close).
type StepResolution struct {
	By     Actor  `json:"by"`
	Seq    int    `json:"seq"`
	Action string `json:"action" text:"max=10"`
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
}
