package workflows

// Versioning convention for workflow code (read before changing a workflow).
//
// Cases run for weeks (objections), months (repairs) and years (listings), so
// a worker always replays histories written by older code. Any change to the
// commands a workflow issues — an activity, timer, child or marker added,
// removed or moved, or a branch that issues them differently — is guarded
// with workflow.GetVersion and a change ID declared in this file, never
// spelled elsewhere:
//
//	v := workflow.GetVersion(ctx, ChangeX, workflow.DefaultVersion, 1)
//	if v == workflow.DefaultVersion { old commands } else { new commands }
//
// Where the version is taken decides which cases change:
//
//   - A change that must apply to a case only if the case was opened under
//     the new code (a procedure rule: a case keeps the procedure it was
//     opened with) takes the version once, at the very start of the
//     workflow (procedureVersion), keeps it in the workflow's state and
//     branches on it later. Replaying an older history, GetVersion finds no
//     marker where the first command stands and answers DefaultVersion, so
//     old cases finish on the old branch, however far they are.
//   - A change that may apply to running cases from their next step on takes
//     the version at the point of change.
//
// Bump the maximum (1 → 2) for a further change of the same code; drop the
// DefaultVersion branch only when no open case can reach it (listing cases:
// after their disclosure period), keeping the GetVersion call. Record a
// history of every changed path (integration tests with RECORD_HISTORIES=1)
// and keep the older ones: the replay test runs them all against the new
// code in CI.
//
// Why GetVersion rather than Worker Deployment versioning (pinned workflows):
// a pinned case needs the worker build it started on for as long as it runs,
// and a listing runs for up to three years: the centre would keep every build
// of three years running, with its bugs and its dependencies. GetVersion
// keeps one build in service, carrying every branch still needed, and the
// replay test proves it against every recorded path. deploy/README.md walks
// through a rolling upgrade; bench/scaleout rehearses one.
const (
	// ChangeHearingLaw guards the hearing steps of 行政处罚法 art. 64 in
	// ListingWorkflow (the request window and the hearing as deadlines, the
	// notice period checked), taken when the notice is served: cases whose
	// history predates it keep their old steps on replay.
	ChangeHearingLaw = "listing-hearing-law"

	// ChangeLocalOpening makes a case's opening work (projection row,
	// objection label, first event, first deadline, and the listing's and
	// repair's own checks) local activities: one workflow task instead of
	// an engine round trip per step (issue 20); a case registered with its
	// profile version no longer asks for the loaded one. Every step is an
	// idempotent database write, so a worker dying before the task
	// completed (the steps run again on the next worker) leaves the case as
	// if opened once (integration/opening_test.go). Taken when the case
	// file is made, before the first command: cases opened before it replay
	// their opening as regular activities. Letters stay regular activities.
	ChangeLocalOpening = "local-opening"

	// ChangeQuickActions makes a caseworker's action answer without waiting
	// for engine round trips and PDFs (issue 20.2): inside an Update the
	// short database steps (events, deadlines computed and settled, the
	// outcome applied, the projection row) are local activities, and a
	// letter is numbered and dated by a local activity (NumberDocument: its
	// row listed "being prepared") and rendered after the Update has
	// answered, by IssueDocument in a workflow goroutine, under the same
	// number; the workflow waits for its letters before it ends or
	// continues as new. Every step is idempotent (a letter per case and
	// place, its number drawn once, its content filled once). Taken at a
	// case's first action or letter after the change: a case that acted
	// before it keeps the old way for the rest of its run.
	ChangeQuickActions = "quick-actions"

	// ChangeUpgradeDrill is the change the rolling-upgrade rehearsal
	// (bench/scaleout) builds into its "v2" worker with the build tag
	// upgradedrill: cases opened under it record an extra acceptance event.
	// Production builds never take the new branch.
	ChangeUpgradeDrill = "upgrade-drill"

	// ChangeRecomputeCompare guards how a running case answers a calendar
	// change (SignalCalendarChanged), taken at the change: each open
	// deadline is recounted with RecomputeDeadline (a new row only when the
	// date or the provisional flag moved), the party and the subject are
	// told a moved date, and the case reports itself done to the recompute
	// run. Before: every open deadline was superseded with ComputeDeadline.
	ChangeRecomputeCompare = "calendar-recompute-compare"

	// ChangeHearingDays: when a hearing is requested, ListingWorkflow works
	// out the earliest hearing day for every day its notice may reach the
	// party (activities.HearingDays, listing.hearing_notice) and keeps the
	// table, so that a schedule too soon is refused by the update's
	// validator before it enters history. Taken at the hearing request: a
	// case whose request predates it is checked by the handler, as before
	// (accepted, then failed).
	ChangeHearingDays = "listing-hearing-days"

	// ChangeObjectionProfileRules: an objection reads its profile's rules
	// when it opens (activities.ObjectionRules) and follows them: the
	// overall limit starts on the profile's event (from receipt, counted
	// again from receipt of the complete materials after a one-time notice;
	// or from acceptance), a record is deleted only where the profile
	// allows it, and the appeal window opens only where an appeal is
	// granted. Taken at open, after the case is written: cases opened
	// before it keep activities.LegacyObjectionRules on replay.
	ChangeObjectionProfileRules = "objection-profile-rules"

	// ChangeCorrectionNotice: after a calendar change moved a due date of
	// the case to another day, the case issues a deadline
	// correction notice (期限更正通知书: old date, new date, why, the rule),
	// once per calendar revision, before it reports itself recomputed
	// (issue 17). Taken when a recount moved a date: cases whose
	// recompute predates it replay without the letter.
	ChangeCorrectionNotice = "deadline-correction-notice"

	// ChangeProviderCorrectionNotice: when the calendar change moved a due
	// date the provider answers for (its verification reply, its repair
	// opinion, its view on a publicity objection), the provider gets its
	// own deadline correction notice (期限更正通知书 addressed to it:
	// what it is asked, old date, new date, the basis), after the
	// subject's. Taken only when such a date moved: cases whose recompute
	// predates it replay without the provider's letter.
	ChangeProviderCorrectionNotice = "provider-deadline-correction-notice"

	// ChangeUnfiledEnds: a case workflow whose opening finds its case never
	// filed (no case row, no owed start: activities.NotFiled, issue 12.1)
	// ends itself — EndUnfiled frees what it holds and writes the audit
	// entry — instead of failing. Taken only on that path, which no older
	// history contains (the projection writers never refused before).
	ChangeUnfiledEnds = "unfiled-ends"

	// ChangeStepEscalates: a case step whose activity fails with a
	// non-retryable error (a data error, package dataerror, or an
	// activity's typed refusal of its data) no longer fails the workflow
	// or the update: the step is escalated (activities.EscalateStep), the
	// case waits live for a person to retry the step or close the case
	// (UpdateResolveStep, escalation_contract.go). Taken only on that
	// failure path: histories where a step failed so keep failing there.
	ChangeStepEscalates = "step-escalates"

	// ChangeStepsDetached: an update's step runs in a coroutine of its
	// own, holding the case mutex, so that the update can answer at once
	// when one of its activities stops on a data error and the step waits
	// escalated (ChangeStepEscalates). Taken at every update: cases whose
	// updates predate it replay them inline.
	ChangeStepsDetached = "steps-detached"

	// ChangeLetterRenderEscalates: a letter numbered in an action and
	// rendered after it (ChangeQuickActions) whose rendering stops on a
	// non-retryable error (a data error, a letter the case cannot fill) is
	// escalated like a step (step IssueDocument): shown on the
	// case, the board and the escalations, resolved by a person retrying
	// the rendering (or closing the case while it is open). Taken only on
	// that failure path: histories where a rendering failed so keep only
	// logging it.
	ChangeLetterRenderEscalates = "letter-render-escalates"

	// ChangeClockNotices: a clock pause, its resumption and a head-approved
	// extension are told to the parties in their inboxes (they were only
	// recorded as events, so an applicant learned of a lengthened limit
	// from nobody): on a pause the subject and the party of every running
	// working-day deadline are told the clock stands still and why; on
	// resumption and extension every party whose due date moved, and the
	// subject, are told the new date and why. Taken at each pause, resume
	// and extension: histories recorded before replay without the notices.
	ChangeClockNotices = "clock-notices"
)
