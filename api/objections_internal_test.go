package api

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/workflows"
)

// The workflow's validator messages become field errors naming the fields.
func TestRefusalFieldsNameTheFields(t *testing.T) {
	cases := []struct {
		msg  string
		want []string // field names
		code string
	}{
		{"missing: by.name, statement", []string{"by.name", "statement"}, "required"},
		{"missing: reasons", []string{"reasons"}, "required"},
		{"missing: list every missing item at once (一次性告知)", []string{"missing"}, "required"},
		{"finding: want error, accurate or unverifiable", []string{"finding"}, "invalid"},
		{"correction: a correction needs the corrected fields", []string{"correction"}, "invalid"},
		{"no colon here", []string{"body"}, "invalid"},
	}
	for _, c := range cases {
		fe := refusalFields(c.msg)
		var names []string
		for _, f := range fe {
			names = append(names, f.Name)
			if f.Code != c.code || f.Message.ZH == "" || f.Message.EN == "" {
				t.Errorf("%q: field %+v, want code %s and both languages", c.msg, f, c.code)
			}
		}
		if !reflect.DeepEqual(names, c.want) {
			t.Errorf("%q: fields %v, want %v", c.msg, names, c.want)
		}
	}
}

// A correction names only fields a record has, with values it accepts.
func TestCorrectionCheck(t *testing.T) {
	check := correctionOf(func(in *workflows.DecisionInput) map[string]any { return in.Correction })
	cases := []struct {
		correction map[string]any
		want       []string
	}{
		{map[string]any{"content": "罚款 1 万元", "severity": "minor", "decided_on": "2025-03-01"}, nil},
		{map[string]any{"capital": "800 万元"}, []string{"correction.capital"}},
		{map[string]any{"severity": "huge", "content": ""}, []string{"correction.content", "correction.severity"}},
		{map[string]any{"decided_on": "2025-02-30", "title": 7}, []string{"correction.decided_on", "correction.title"}},
	}
	for _, c := range cases {
		var names []string
		for _, f := range check(&workflows.DecisionInput{Correction: c.correction}) {
			names = append(names, f.Name)
		}
		if !reflect.DeepEqual(names, c.want) {
			t.Errorf("%v: fields %v, want %v", c.correction, names, c.want)
		}
	}
}

// Refusals are the client's (422), failures inside the workflow ours.
func TestRefusedMapsTheEngineAnswer(t *testing.T) {
	cs := CaseSummary{CaseNo: "YY2026-000001", Stage: workflows.StageAcceptance}
	status := func(err error) int {
		var ae *Error
		if errors.As(err, &ae) {
			return ae.Status
		}
		return http.StatusInternalServerError
	}
	for typ, want := range map[string]int{
		"wrong-stage": 422, "paused": 422, "invalid-input": 422, "window-closed": 422, "already-extended": 422, "something-else": 500,
	} {
		err := refused("decide", cs, temporal.NewApplicationError("x: y", typ))
		if got := status(err); got != want {
			t.Errorf("%s: status %d, want %d", typ, got, want)
		}
	}
	if got := status(refused("decide", cs, temporal.NewTimeoutError(0, nil))); got != http.StatusServiceUnavailable {
		t.Errorf("timeout: status %d, want 503", got)
	}
}
