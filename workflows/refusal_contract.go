package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/cleantext"
)

// Refusal types: the Type of the temporal.ApplicationError an update
// validator refuses with. The details (one Refusal) say why in data, so the
// application core maps a refusal without reading its message.
const (
	RefusedInput            = "invalid-input"         // Fields name what is wrong
	RefusedWrongStage       = "wrong-stage"           // Stage and AllowedStages
	RefusedPaused           = "paused"                // the clock is paused; resume first
	RefusedWindowClosed     = "window-closed"         // WindowEnded
	RefusedAlreadyExtended  = "already-extended"      // the overall limit was extended once
	RefusedAlreadyRequested = "already-requested"     // the one-time notice was sent
	RefusedDuplicate        = "duplicate"             // already received
	RefusedUnanswered       = "unanswered"            // Unanswered names the points
	RefusedHeavier          = "heavier-than-proposed" // Fields name what is heavier
	RefusedTooSoon          = "too-soon"              // a date before a rule allows it: Rule, Profile, PossibleFrom
	RefusedNoHandover       = "no-handover"           // the profile hands no disagreement to the provider: Instead
)

// Refusal is the detail of a refused update.
type Refusal struct {
	Action        string         `json:"action"`
	Stage         string         `json:"stage,omitempty"`
	AllowedStages []string       `json:"allowed_stages,omitempty"`
	Fields        []RefusalField `json:"fields,omitempty"`
	WindowEnded   time.Time      `json:"window_ended,omitzero"`
	Unanswered    []string       `json:"unanswered,omitempty"`
	// Rule and Profile name the profile's rule a refusal applies; a date
	// refused as too soon is possible from PossibleFrom (00:00 Asia/Shanghai
	// of the earliest day).
	Rule         string    `json:"rule,omitempty"`
	Profile      string    `json:"profile,omitempty"`
	PossibleFrom time.Time `json:"possible_from,omitzero"`
	// Instead names the step that applies instead of the refused one
	// (an update name, e.g. "appeal"); empty when none does.
	Instead string `json:"instead,omitempty"`
	// Step is the step (activity) of the case stopped on a data error
	// (RefusedEscalated, StepEscalatedNow).
	Step string `json:"step,omitempty"`
}

// RefusalField is one input field at fault, with the reason in both
// languages.
type RefusalField struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	ZH    string `json:"zh"`
	EN    string `json:"en"`
}

// refuse builds a validator's refusal: a non-retryable application error of
// type kind carrying d as its details. The message is for logs only.
func refuse(kind, msg string, d Refusal) error {
	return temporal.NewApplicationErrorWithOptions(msg, kind, temporal.ApplicationErrorOptions{
		NonRetryable: true, Details: []any{d},
	})
}

// invalid refuses an update's input, naming the fields.
func invalid(action string, fields ...RefusalField) error {
	msg := action + " refused: invalid input:"
	for _, f := range fields {
		msg += " " + f.Field + " (" + f.EN + ")"
	}
	return refuse(RefusedInput, msg, Refusal{Action: action, Fields: fields})
}

// badField is one invalid field.
func badField(field, code, zh, en string) RefusalField {
	return RefusalField{Field: field, Code: code, ZH: zh, EN: en}
}

// cleanInput refuses input with text the system never stores: invalid
// UTF-8, control characters, over-long values (package cleantext, the same
// check the application core applies before it sends the update).
func cleanInput(action string, in any) error {
	fe := cleantext.Check(in)
	if len(fe) == 0 {
		return nil
	}
	out := make([]RefusalField, 0, len(fe))
	for _, f := range fe {
		out = append(out, RefusalField{Field: f.Name, Code: f.Code, ZH: f.Message.ZH, EN: f.Message.EN})
	}
	return invalid(action, out...)
}

// correctionRefused refuses an update whose correction cannot be applied.
func correctionRefused(action string, c map[string]any) error {
	if f := activities.CheckCorrection(c); f != nil {
		return invalid(action, badField(f.Field, f.Code, f.ZH, f.EN))
	}
	return nil
}
