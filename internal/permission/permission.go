// Package permission is the one table of who may do what: role × use case.
// Every use case of the application core is named here (the name is also
// the operationId of its HTTP operation in api/openapi.json) with the roles
// that may take it. The core checks it first, before it reads anything, so
// a role that may not take a step is refused (403, or 401 for the public)
// whatever the object; which objects a permitted role may see (its own
// cases, its provider's records) is decided afterwards by the use case and
// answered 404 when not visible. `creditcase roles` prints the table; a
// test drives every operation of the HTTP API as every role against it.
package permission

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Public is the role of a caller who has not logged in.
const Public auth.Role = "public"

// Roles in the order the table prints them.
var Roles = []auth.Role{Public, auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor, auth.Admin}

// UseCase names one use case (= the operationId of its HTTP operation).
type UseCase string

// Role sets used below.
var (
	everyone  = []auth.Role{Public, auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor, auth.Admin}
	loggedIn  = []auth.Role{auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor, auth.Admin}
	caseRoles = []auth.Role{auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor}
	staff     = []auth.Role{auth.Caseworker, auth.Supervisor}
	subject   = []auth.Role{auth.Subject}
	provider  = []auth.Role{auth.Provider}
	worker    = []auth.Role{auth.Caseworker}
	super     = []auth.Role{auth.Supervisor}
	admin     = []auth.Role{auth.Admin}
	operators = []auth.Role{auth.Supervisor, auth.Admin}
)

// Entry is one row of the table.
type Entry struct {
	UseCase UseCase
	Roles   []auth.Role
	What    string // what the use case does, for the printed table
}

// table is THE permission table. Admin does accounts, providers, profiles
// and calendars (DESIGN.md §1): no casework.
var table = []Entry{
	// operations and the document
	{"getOpenAPI", everyone, "the OpenAPI document"},
	{"createEngineCheck", operators, "run an engine check (API → Temporal → worker → PostgreSQL)"},
	{"getEngineCheck", operators, "read an engine check"},
	{"getSweepRun", []auth.Role{auth.Supervisor, auth.Admin}, "read a disclosure sweep run"},

	// accounts
	{"logIn", everyone, "log in (session or bearer token)"},
	{"logOut", loggedIn, "log out"},
	{"getMe", loggedIn, "the current account"},
	{"listAccounts", admin, "list accounts"},
	{"createAccount", admin, "create an account"},
	{"disableAccount", admin, "disable an account (ends its sessions and tokens)"},
	{"enableAccount", admin, "enable a disabled account"},
	{"revokeAccountTokens", admin, "end every session and token of an account"},
	{"resetAccountPassword", admin, "give an account a new password (ends its sessions and tokens)"},
	{"listAccountTokens", admin, "list an account's sessions and tokens"},
	{"listLoginThrottles", operators, "failed log-ins, back-offs and locks"},
	{"unblockLogin", admin, "lift a log-in back-off or lock"},

	// register: providers, subjects, records
	{"listProviders", loggedIn, "list providers"},
	{"getProvider", loggedIn, "read a provider"},
	{"createProvider", admin, "create a provider"},
	{"listSubjects", caseRoles, "list subjects (a subject: itself; a provider: its records' subjects)"},
	{"getSubject", caseRoles, "read a subject"},
	{"createSubject", []auth.Role{auth.Provider, auth.Caseworker}, "register a subject"},
	{"listRecords", caseRoles, "list records (non-public reads are logged with their purpose)"},
	{"getRecord", caseRoles, "read a record and its versions"},
	{"createRecord", []auth.Role{auth.Provider, auth.Caseworker}, "submit a record"},
	{"importRecords", []auth.Role{auth.Provider, auth.Caseworker}, "import records (CSV, JSON lines)"},
	{"correctRecord", worker, "correct a record (new version)"},
	{"lookUpPublicRecords", everyone, "look up 社会公开 records"},
	{"listEvents", super, "read the event log"},
	{"listQueryLog", super, "read the query log"},

	// objections (异议)
	{"fileObjection", subject, "file an objection"},
	{"listObjections", caseRoles, "list objection cases"},
	{"getObjection", caseRoles, "read an objection case"},
	{"supplementObjection", subject, "answer the one-time notice"},
	{"withdrawObjection", subject, "withdraw an objection"},
	{"appealObjection", subject, "appeal the outcome (申诉)"},
	{"handOverObjection", subject, "still disagree: the case is handed to the provider (Anshan art. 10, where the profile says so)"},
	{"acceptObjection", worker, "accept an objection (受理)"},
	{"requestObjectionSupplement", worker, "one-time notice of what is missing"},
	{"decideObjectionOwnError", worker, "correct the centre's own error"},
	{"forwardObjectionToProvider", worker, "ask the provider to verify"},
	{"decideObjection", worker, "decide and reply in writing"},
	{"pauseObjection", worker, "pause the clock (expert test, review)"},
	{"resumeObjection", worker, "resume the clock"},
	{"extendObjection", worker, "extend the overall limit (head-approved)"},
	{"replyToObjection", provider, "the provider's verification result"},
	{"decideObjectionAppeal", super, "decide an appeal"},
	{"uploadObjectionEvidence", []auth.Role{auth.Subject, auth.Provider, auth.Caseworker}, "upload evidence to a case"},
	{"listObjectionEvidence", caseRoles, "list a case's evidence"},
	{"downloadObjectionEvidence", caseRoles, "download evidence"},
	{"listObjectionDocuments", caseRoles, "list a case's letters"},
	{"downloadObjectionDocument", caseRoles, "download a letter"},

	// supervision
	{"getBoard", staff, "the deadline board"},
	{"getWorklist", staff, "the caseworkers' worklist (open cases, soonest deadline first)"},
	{"listEscalations", staff, "list escalations"},
	{"getEscalation", staff, "read an escalation"},
	{"acknowledgeEscalation", super, "acknowledge an escalation"},
	{"reassignEscalation", super, "reassign an escalation"},
	{"orderEscalationCorrection", super, "order a correction"},
	{"resolveEscalatedStep", staff, "retry a case's step stopped on a data error, or close the case"},
	{"getProviderPerformance", super, "the provider performance report"},
	{"listInbox", caseRoles, "the caller's notices"},
	{"markNotificationRead", caseRoles, "mark a notice read"},

	// repairs (信用修复)
	{"getRepairEligibility", caseRoles, "whether a record may be repaired now"},
	{"listRepairs", caseRoles, "list repair applications"},
	{"getRepair", caseRoles, "read a repair application"},
	{"applyForRepair", subject, "apply for credit repair"},
	{"supplementRepair", subject, "answer the one-time notice"},
	{"withdrawRepair", subject, "withdraw an application"},
	{"acceptRepair", worker, "accept an application"},
	{"requestRepairSupplement", worker, "one-time notice of missing documents"},
	{"giveRepairOpinion", provider, "the provider's written opinion"},
	{"publishRepair", worker, "publish the repair proposal (公示)"},
	{"verifyRepairObjection", provider, "verify a public objection"},
	{"decideRepair", worker, "repair or refuse"},
	{"listRepairDocuments", caseRoles, "list an application's letters"},
	{"downloadRepairDocument", caseRoles, "download a letter"},
	{"downloadRepairEvidence", caseRoles, "download a file filed with an application (evidence, the signed commitment)"},
	{"listRepairNotices", everyone, "repair proposals in publicity"},
	{"objectToRepair", everyone, "object to a repair during publicity"},
	{"getRepairObjectionAnswer", everyone, "read the answer to a public objection"},

	// listings (列入严重失信主体名单)
	{"proposeListing", []auth.Role{auth.Provider, auth.Caseworker}, "propose a listing"},
	{"listListings", caseRoles, "list listing cases"},
	{"getListing", caseRoles, "read a listing case"},
	{"recordListingService", worker, "record service of the notice (送达)"},
	{"submitListingStatement", subject, "submit statements (陈述申辩)"},
	{"requestListingHearing", subject, "ask for a hearing"},
	{"scheduleListingHearing", staff, "schedule the hearing"},
	{"recordListingHearing", staff, "record the hearing"},
	{"waiveListingRepresentation", subject, "waive representation"},
	{"answerListingPoints", []auth.Role{auth.Provider, auth.Caseworker, auth.Supervisor}, "answer representation points"},
	{"decideListing", staff, "list or not list"},
	{"removeListing", staff, "remove an entry early"},
	{"revokeListingBasis", staff, "record that the basis was revoked"},
	{"withdrawListingProposal", []auth.Role{auth.Provider, auth.Caseworker}, "withdraw a proposal before the decision"},
	{"listListingDocuments", caseRoles, "list a listing's letters"},
	{"downloadListingDocument", caseRoles, "download a letter"},
	{"listPublicListings", everyone, "the public list of seriously dishonest subjects"},

	// results delivered downstream; no stale case
	{"readFeed", []auth.Role{auth.Provider, auth.Caseworker, auth.Supervisor, auth.Admin}, "the pull feed of events (a provider: its own records)"},
	{"listDeliveries", staff, "deliveries to subscribers (dead letters, a case's)"},
	{"resendDelivery", super, "re-send a dead delivery"},
	{"runReconciliation", []auth.Role{auth.Supervisor, auth.Admin}, "compare open cases with the engine now (repair or flag)"},
	{"listReconcileFindings", []auth.Role{auth.Caseworker, auth.Supervisor, auth.Admin}, "the reconciler's findings"},

	// calendar (issue 17)
	{"getCalendarStatus", []auth.Role{auth.Supervisor, auth.Admin}, "the calendar: years published, provisional or missing; recompute runs"},
	{"importCalendar", admin, "import a holiday schedule year or a regional overlay"},
	{"getCalendarRecompute", []auth.Role{auth.Supervisor, auth.Admin}, "progress of a recompute run after an import"},
}

var byName = func() map[UseCase]Entry {
	m := make(map[UseCase]Entry, len(table))
	for _, e := range table {
		if _, dup := m[e.UseCase]; dup {
			panic("permission: use case listed twice: " + string(e.UseCase))
		}
		m[e.UseCase] = e
	}
	return m
}()

// Table returns every entry, in the table's order.
func Table() []Entry { return slices.Clone(table) }

// Lookup returns the entry of a use case.
func Lookup(uc UseCase) (Entry, bool) { e, ok := byName[uc]; return e, ok }

// Allows reports whether role may take use case uc. An unknown use case is
// allowed to nobody.
func Allows(role auth.Role, uc UseCase) bool {
	e, ok := byName[uc]
	return ok && slices.Contains(e.Roles, role)
}

// Actor is who calls a use case: an account, or the public (zero Account).
type Actor struct {
	Account auth.Account
}

// Anonymous is the public caller.
var Anonymous = Actor{}

// As is the actor of an account.
func As(a auth.Account) Actor { return Actor{Account: a} }

// Role is the actor's role; Public for the public.
func (a Actor) Role() auth.Role {
	if a.Account.ID == 0 {
		return Public
	}
	return a.Account.Role
}

// LoggedIn reports whether the actor is an account.
func (a Actor) LoggedIn() bool { return a.Account.ID != 0 }

// Audit names the actor for the audit trail.
func (a Actor) Audit() audit.Actor {
	if !a.LoggedIn() {
		return audit.Public
	}
	return a.Account.Actor()
}

// Guard checks the table and writes every refusal to the audit trail
// (access.denied: who, which use case) and the log.
type Guard struct {
	DB  audit.DB
	Log zerolog.Logger
}

// Require refuses an actor whose role may not take uc: 401 for the public
// (log in first), 403 for an account.
func (g Guard) Require(ctx context.Context, a Actor, uc UseCase) error {
	if Allows(a.Role(), uc) {
		return nil
	}
	if !a.LoggedIn() {
		return refusal.Unauth()
	}
	g.record(ctx, a, uc, 403, "", "")
	return refusal.Deny(string(uc))
}

// Hide refuses access to an object the actor may not see, as if it did not
// exist (404), and records the attempt.
func (g Guard) Hide(ctx context.Context, a Actor, uc UseCase, objectType, objectID string) error {
	g.record(ctx, a, uc, 404, objectType, objectID)
	return refusal.NotFoundErr()
}

// Forbid refuses a permitted role acting on an object outside its reach
// where saying so reveals nothing (403), and records it.
func (g Guard) Forbid(ctx context.Context, a Actor, uc UseCase, objectType, objectID string) error {
	g.record(ctx, a, uc, 403, objectType, objectID)
	return refusal.Deny(string(uc))
}

func (g Guard) record(ctx context.Context, a Actor, uc UseCase, status int, objectType, objectID string) {
	if g.DB != nil {
		err := audit.Write(ctx, g.DB, a.Audit(), audit.Event{
			Action: audit.ActionDenied, ObjectType: objectType, ObjectID: objectID,
			Data: map[string]any{"use_case": string(uc), "status": status},
		})
		if err != nil {
			g.Log.Error().Err(err).Msg("cannot write access.denied event")
		}
	}
	g.Log.Warn().Str("actor", a.Audit().Username).Str("role", string(a.Role())).
		Str("use_case", string(uc)).Str("object", objectType).Int("status", status).Msg("access denied")
}

// Print writes the table: one line per use case, a mark per role.
func Print(w io.Writer) error {
	width := 0
	for _, e := range table {
		width = max(width, len(e.UseCase))
	}
	head := fmt.Sprintf("%-*s", width, "use case")
	for _, r := range Roles {
		head += fmt.Sprintf("  %-10s", r)
	}
	if _, err := fmt.Fprintln(w, strings.TrimRight(head, " ")); err != nil {
		return err
	}
	for _, e := range table {
		line := fmt.Sprintf("%-*s", width, e.UseCase)
		for _, r := range Roles {
			mark := "-"
			if slices.Contains(e.Roles, r) {
				mark = "yes"
			}
			line += fmt.Sprintf("  %-10s", mark)
		}
		if _, err := fmt.Fprintf(w, "%s  %s\n", line, e.What); err != nil {
			return err
		}
	}
	return nil
}
