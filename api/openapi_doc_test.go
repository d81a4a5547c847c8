package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/accounts"
	"github.com/creditcase/creditcase/internal/apidoc"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendaradmin"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/registry"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

// docOp is what the code says an operation takes and answers: its JSON
// request body, its success status and body, and its query filter.
type docOp struct {
	req   any
	ok    string
	resp  any
	query any
	form  any // the Go type a multipart/form-data body is read into
	// alsoOK are further success statuses answering the same type (a dry
	// run answers 200 where the import itself answers 201).
	alsoOK []string
}

// docOps lists the body and answer types of the operations. Operations
// not listed here (downstream, the OpenAPI document itself) keep their
// hand-written schemas, which must still be typed.
var docOps = map[string]docOp{
	"createEngineCheck": {ok: "201", resp: api.EngineCheckResponse{}},
	"getEngineCheck":    {ok: "200", resp: health.EngineCheck{}},

	"getCalendarStatus":    {ok: "200", resp: rules.Status{}},
	"importCalendar":       {req: calendaradmin.ImportInput{}, ok: "201", resp: calendaradmin.ImportOutput{}, alsoOK: []string{"200"}},
	"getCalendarRecompute": {ok: "200", resp: activities.RecomputeProgress{}},

	"logIn":                {req: accounts.LogIn{}, ok: "200", resp: api.LoginResponse{}},
	"logOut":               {ok: "204"},
	"getMe":                {ok: "200", resp: api.MeResponse{}},
	"listAccounts":         {ok: "200", resp: api.AccountList{}},
	"createAccount":        {req: auth.NewAccount{}, ok: "201", resp: auth.Account{}},
	"disableAccount":       {req: accounts.Reason{}, ok: "200", resp: auth.Account{}},
	"enableAccount":        {req: accounts.Reason{}, ok: "200", resp: auth.Account{}},
	"revokeAccountTokens":  {req: accounts.Reason{}, ok: "200", resp: accounts.Revoked{}},
	"listAccountTokens":    {ok: "200", resp: api.TokenList{}},
	"resetAccountPassword": {req: accounts.ResetPassword{}, ok: "200", resp: accounts.PasswordReset{}},
	"listLoginThrottles":   {ok: "200", resp: accounts.LoginThrottles{}},
	"unblockLogin":         {req: accounts.Unblock{}, ok: "204"},

	"listProviders":       {ok: "200", resp: api.ProviderList{}},
	"createProvider":      {req: records.ProviderInput{}, ok: "201", resp: records.Provider{}},
	"getProvider":         {ok: "200", resp: records.Provider{}},
	"listSubjects":        {ok: "200", resp: api.SubjectList{}, query: registry.SubjectFilter{}},
	"createSubject":       {req: records.SubjectInput{}, ok: "201", resp: records.Subject{}},
	"getSubject":          {ok: "200", resp: records.Subject{}},
	"listRecords":         {ok: "200", resp: records.Page{}, query: registry.RecordFilter{}},
	"createRecord":        {req: records.RecordInput{}, ok: "201", resp: records.Record{}},
	"importRecords":       {ok: "201", resp: records.ImportReport{}},
	"getRecord":           {ok: "200", resp: registry.RecordDetail{}},
	"correctRecord":       {req: records.RecordInput{}, ok: "200", resp: records.Record{}},
	"lookUpPublicRecords": {ok: "200", resp: api.PublicRecordList{}, query: registry.PublicLookupQuery{}},
	"listEvents":          {ok: "200", resp: api.EventList{}, query: registry.EventFilter{}},
	"listQueryLog":        {ok: "200", resp: api.QueryList{}, query: registry.QueryFilter{}},

	"fileObjection":              {req: casework.FileObjection{}, ok: "201", resp: casework.FiledObjection{}, form: casework.FileObjection{}},
	"listObjections":             {ok: "200", resp: casework.CasePage{}, query: casework.ObjectionFilter{}},
	"getObjection":               {ok: "200", resp: casework.ObjectionDetail{}},
	"supplementObjection":        {req: workflows.SupplementInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"withdrawObjection":          {req: workflows.WithdrawInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"appealObjection":            {req: workflows.AppealInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"acceptObjection":            {req: workflows.AcceptInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"requestObjectionSupplement": {req: workflows.SupplementRequest{}, ok: "200", resp: casework.ObjectionLive{}},
	"decideObjectionOwnError":    {req: workflows.OwnErrorInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"forwardObjectionToProvider": {req: workflows.ForwardInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"decideObjection":            {req: workflows.DecisionInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"pauseObjection":             {req: workflows.PauseInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"resumeObjection":            {req: workflows.ResumeInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"extendObjection":            {req: workflows.ExtendInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"replyToObjection":           {req: workflows.ProviderReplyInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"decideObjectionAppeal":      {req: workflows.AppealDecisionInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"handOverObjection":          {req: workflows.HandOverInput{}, ok: "200", resp: casework.ObjectionLive{}},
	"uploadObjectionEvidence":    {ok: "201", resp: api.EvidenceList{}},
	"listObjectionEvidence":      {ok: "200", resp: api.EvidenceList{}},
	"listObjectionDocuments":     {ok: "200", resp: api.DocumentList{}},

	"getBoard":                  {ok: "200", resp: casework.BoardPage{}, query: casework.BoardFilter{}},
	"getWorklist":               {ok: "200", resp: casework.WorklistPage{}, query: casework.WorklistFilter{}},
	"listEscalations":           {ok: "200", resp: casework.EscalationPage{}, query: casework.EscalationFilter{}},
	"getEscalation":             {ok: "200", resp: supervision.EscalationRow{}},
	"acknowledgeEscalation":     {req: casework.EscalationAction{}, ok: "200", resp: supervision.ActionResult{}},
	"reassignEscalation":        {req: casework.EscalationAction{}, ok: "200", resp: supervision.ActionResult{}},
	"orderEscalationCorrection": {req: casework.EscalationAction{}, ok: "200", resp: supervision.ActionResult{}},
	"resolveEscalatedStep":      {req: casework.StepResolution{}, ok: "200", resp: casework.StepResolved{}},
	"getProviderPerformance":    {ok: "200", resp: supervision.ProviderReport{}},
	"getSweepRun":               {ok: "200", resp: supervision.SweepRun{}},
	"listInbox":                 {ok: "200", resp: api.NotificationList{}, query: casework.InboxFilter{}},
	"markNotificationRead":      {ok: "200", resp: supervision.Notification{}},

	"getRepairEligibility":     {ok: "200", resp: casework.RepairEligibility{}, query: casework.RepairEligibilityQuery{}},
	"listRepairs":              {ok: "200", resp: casework.CasePage{}, query: casework.ObjectionFilter{}},
	"applyForRepair":           {ok: "201", resp: casework.FiledRepair{}, form: casework.ApplyForRepair{}},
	"getRepair":                {ok: "200", resp: casework.RepairDetail{}},
	"supplementRepair":         {ok: "200", resp: casework.RepairLive{}, form: casework.SupplementRepair{}},
	"withdrawRepair":           {req: workflows.WithdrawInput{}, ok: "200", resp: casework.RepairLive{}},
	"acceptRepair":             {req: workflows.AcceptInput{}, ok: "200", resp: casework.RepairLive{}},
	"requestRepairSupplement":  {req: workflows.SupplementRequest{}, ok: "200", resp: casework.RepairLive{}},
	"giveRepairOpinion":        {req: workflows.OpinionInput{}, ok: "200", resp: casework.RepairLive{}},
	"publishRepair":            {req: workflows.PublishInput{}, ok: "200", resp: casework.RepairLive{}},
	"verifyRepairObjection":    {req: workflows.VerifyObjectionInput{}, ok: "200", resp: casework.RepairLive{}},
	"decideRepair":             {req: workflows.RepairDecisionInput{}, ok: "200", resp: casework.RepairLive{}},
	"listRepairDocuments":      {ok: "200", resp: api.DocumentList{}},
	"listRepairNotices":        {ok: "200", resp: api.RepairNoticeList{}},
	"objectToRepair":           {req: casework.PublicObjectionForm{}, ok: "201", resp: casework.PublicObjectionReceipt{}},
	"getRepairObjectionAnswer": {ok: "200", resp: casework.PublicObjectionAnswer{}},

	"proposeListing":             {req: casework.ProposeListing{}, ok: "201", resp: casework.ListingSummary{}},
	"listListings":               {ok: "200", resp: api.ListingList{}, query: casework.ListingFilter{}},
	"getListing":                 {ok: "200", resp: casework.ListingDetail{}},
	"recordListingService":       {req: workflows.ServiceInput{}, ok: "200", resp: casework.ListingLive{}},
	"submitListingStatement":     {req: workflows.StatementInput{}, ok: "200", resp: casework.ListingLive{}},
	"requestListingHearing":      {req: workflows.HearingRequest{}, ok: "200", resp: casework.ListingLive{}},
	"scheduleListingHearing":     {req: workflows.HearingSchedule{}, ok: "200", resp: casework.ListingLive{}},
	"recordListingHearing":       {req: workflows.HearingRecord{}, ok: "200", resp: casework.ListingLive{}},
	"waiveListingRepresentation": {req: workflows.WaiveInput{}, ok: "200", resp: casework.ListingLive{}},
	"answerListingPoints":        {req: workflows.AnswerInput{}, ok: "200", resp: casework.ListingLive{}},
	"decideListing":              {req: workflows.ListingDecision{}, ok: "200", resp: casework.ListingLive{}},
	"removeListing":              {req: workflows.RemoveInput{}, ok: "200", resp: casework.ListingLive{}},
	"revokeListingBasis":         {req: workflows.RevokeBasisInput{}, ok: "200", resp: casework.ListingLive{}},
	"withdrawListingProposal":    {req: workflows.WithdrawProposalInput{}, ok: "200", resp: casework.ListingLive{}},
	"listListingDocuments":       {ok: "200", resp: api.DocumentList{}},
	"listPublicListings":         {ok: "200", resp: api.PublicListingList{}},
}

type jsonDoc = map[string]any

func obj(m any, keys ...string) jsonDoc {
	cur, _ := m.(jsonDoc)
	for _, k := range keys {
		next, ok := cur[k].(jsonDoc)
		if !ok {
			next = jsonDoc{}
			cur[k] = next
		}
		cur = next
	}
	return cur
}

// routeNames maps "METHOD /path/{param}" to the operationId the route was
// registered with.
func routeNames(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, r := range testAPI.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "echo_route_not_found" {
			continue
		}
		out[r.Method+" "+strings.TrimPrefix(pathParam.ReplaceAllString(r.Path, "{$1}"), "/api/v1")] = r.Name
	}
	return out
}

// refreshed returns the document with everything the code decides set
// from the code: operationIds, the JSON bodies' and answers' schemas
// (generated from the Go types), the query parameters of filter types,
// maxLength on every text parameter, a Problem answer for every status not
// listed, and the component schemas.
func refreshed(t *testing.T, doc jsonDoc) jsonDoc {
	t.Helper()
	names := routeNames(t)
	reqGen, respGen := apidoc.NewGenerator(true), apidoc.NewGenerator(false)
	problem := respGen.Ref(api.Problem{})
	_ = respGen.Ref(api.ImportProblem{})
	paths := obj(doc, "paths")
	documented := map[string]bool{}
	for p, v := range paths {
		for m, o := range v.(jsonDoc) {
			op, ok := o.(jsonDoc)
			if !ok || (m != "get" && m != "post" && m != "put" && m != "delete" && m != "patch") {
				continue
			}
			documented[strings.ToUpper(m)+" "+p] = true
			id, served := names[strings.ToUpper(m)+" "+p]
			if !served {
				t.Errorf("%s %s is documented but not served", strings.ToUpper(m), p)
				continue
			}
			op["operationId"] = id
			d, typed := docOps[id]
			if typed && d.req != nil {
				obj(op, "requestBody", "content", "application/json")["schema"] = reqGen.Ref(d.req)
			}
			if typed && d.form != nil {
				formLimits(obj(op, "requestBody", "content", "multipart/form-data", "schema"), reflect.TypeOf(d.form))
			}
			responses := obj(op, "responses")
			if typed && d.resp != nil {
				for _, st := range append([]string{d.ok}, d.alsoOK...) {
					obj(responses, st, "content", "application/json")["schema"] = respGen.Ref(d.resp)
					if obj(responses, st)["description"] == nil {
						obj(responses, st)["description"] = "OK"
					}
				}
			}
			responses["default"] = jsonDoc{"$ref": "#/components/responses/Problem"}
			var params []any
			if ps, ok := op["parameters"].([]any); ok {
				params = ps
			}
			if typed && d.query != nil {
				params = queryParams(params, reflect.TypeOf(d.query))
			}
			for _, pv := range params {
				pm := pv.(jsonDoc)
				if pm["in"] == "header" {
					continue
				}
				if s := obj(pm, "schema"); s["type"] == "string" {
					s["maxLength"] = cleantext.ParamMax
				}
			}
			if m != "get" {
				params = withKeyHeader(params)
			}
			if params != nil {
				op["parameters"] = params
			}
		}
	}
	for route, id := range names {
		if !documented[route] {
			t.Errorf("%s (%s) is served but not documented", route, id)
		}
	}
	schemas := obj(doc, "components", "schemas")
	for name, s := range respGen.Components {
		schemas[name] = s
	}
	for name, s := range reqGen.Components {
		schemas[name] = s
	}
	obj(doc, "components", "responses", "Problem", "content", "application/problem+json")["schema"] = problem
	// Drop component schemas nothing refers to any more.
	for {
		raw, _ := json.Marshal(doc)
		dropped := false
		for name := range schemas {
			if !bytes.Contains(raw, []byte(`"#/components/schemas/`+name+`"`)) {
				delete(schemas, name)
				dropped = true
			}
		}
		if !dropped {
			break
		}
	}
	return doc
}

// withKeyHeader documents the Idempotency-Key header every state-changing
// operation takes.
func withKeyHeader(params []any) []any {
	for _, p := range params {
		if pm := p.(jsonDoc); pm["in"] == "header" && pm["name"] == idempotency.Header {
			return params
		}
	}
	return append(params, jsonDoc{
		"name": idempotency.Header, "in": "header", "required": false,
		"description": "Makes repeating the request safe: the same key with the same request gets the first answer again " +
			"(Idempotent-Replayed: true); the same key with another request is refused (422). Kept at least 24 hours.",
		"schema": jsonDoc{"type": "string", "pattern": idempotency.Pattern.String()},
	})
}

// formLimits sets the maxLength of a multipart form's text fields from the
// clean-text limits of the Go type it is read into.
func formLimits(schema jsonDoc, t reflect.Type) {
	props, _ := schema["properties"].(jsonDoc)
	g := apidoc.NewGenerator(true)
	g.Ref(reflect.New(t).Elem().Interface())
	gen := g.Components[g.Name(t)]
	gprops, _ := gen["properties"].(map[string]any)
	for name, p := range props {
		ps := p.(jsonDoc)
		gp, ok := gprops[name].(apidoc.Schema)
		if !ok {
			continue
		}
		switch ps["type"] {
		case "string":
			if ps["format"] != "binary" {
				ps["maxLength"] = gp["maxLength"]
			}
		case "array":
			if items, ok := ps["items"].(jsonDoc); ok && items["type"] == "string" && items["format"] != "binary" {
				if gi, ok := gp["items"].(apidoc.Schema); ok {
					items["maxLength"] = gi["maxLength"]
				}
			}
		}
	}
}

// queryParams makes the documented query parameters those of the filter
// type (tags query:"name"), keeping each one's description.
func queryParams(params []any, t reflect.Type) []any {
	var out []any
	known := map[string]jsonDoc{}
	for _, p := range params {
		pm := p.(jsonDoc)
		if pm["in"] == "query" {
			known[pm["name"].(string)] = pm
			continue
		}
		out = append(out, pm)
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("query")
		if name == "" {
			continue
		}
		pm := known[name]
		if pm == nil {
			pm = jsonDoc{"name": name, "in": "query", "required": false}
		}
		kind := f.Type.Kind()
		if kind == reflect.Pointer {
			kind = f.Type.Elem().Kind()
		}
		switch kind {
		case reflect.Int, reflect.Int64:
			pm["schema"] = jsonDoc{"type": "integer", "minimum": 0}
		case reflect.Bool:
			pm["schema"] = jsonDoc{"type": "boolean"}
			if f.Type.Kind() == reflect.Pointer {
				pm["allowEmptyValue"] = true
			}
		default:
			if s, ok := pm["schema"].(jsonDoc); !ok || s["type"] != "string" {
				pm["schema"] = jsonDoc{"type": "string"}
			}
		}
		out = append(out, pm)
	}
	return out
}

func loadDoc(t *testing.T) jsonDoc {
	t.Helper()
	var doc jsonDoc
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func canonical(t *testing.T, doc jsonDoc) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOpenAPIDocumentIsTheCode keeps api/openapi.json true to the code:
// every operation has the operationId of its route (its row of the
// permission table), its JSON body and its answer are the schemas of the
// Go types the handler decodes and encodes, its query parameters are the
// filter type's, every text parameter carries its maxLength. After a
// change, regenerate with UPDATE_OPENAPI=1 go test ./api -run TestOpenAPIDocumentIsTheCode.
func TestOpenAPIDocumentIsTheCode(t *testing.T) {
	want := canonical(t, refreshed(t, loadDoc(t)))
	if os.Getenv("UPDATE_OPENAPI") != "" {
		if err := os.WriteFile("openapi.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := canonical(t, loadDoc(t)); !bytes.Equal(got, want) {
		if d := os.Getenv("OPENAPI_DIFF_DIR"); d != "" {
			_ = os.WriteFile(d+"/got.json", got, 0o644)
			_ = os.WriteFile(d+"/want.json", want, 0o644)
		}
		t.Fatal("api/openapi.json is out of step with the code; run UPDATE_OPENAPI=1 go test ./api -run TestOpenAPIDocumentIsTheCode and review the diff")
	}
	// Every body and answer typed: no schema is a bare object.
	var untyped []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case jsonDoc:
			if x["type"] == "object" && x["properties"] == nil && x["additionalProperties"] == nil {
				untyped = append(untyped, path)
			}
			for k, c := range x {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(path+"/"+strings.Repeat("[]", 1)+string(rune('0'+i%10)), c)
			}
		}
	}
	walk("", loadDoc(t))
	if len(untyped) > 0 {
		sort.Strings(untyped)
		t.Errorf("untyped object schemas:\n  %s", strings.Join(untyped, "\n  "))
	}
}
