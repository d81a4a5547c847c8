// Package downstream is the application core of what leaves the centre and
// of keeping the case projection true (issue 19.1, 19.6): the pull feed of
// events for systems that poll, the deliveries to subscribers (dead letters
// on the supervisors' board and on each case) and their re-send, and the
// reconciler run on demand with its findings. One exported method per use
// case, in the core's order: permission table, clean input, visibility,
// the step, the answer; every error a *refusal.Error.
package downstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/reconcile"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/reqid"
	"github.com/creditcase/creditcase/workflows"
)

// Deps are what the use cases use.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client // nil: a reconciliation on demand answers 503
	Guard    permission.Guard
	Logger   zerolog.Logger
}

// Service holds the use cases.
type Service struct {
	d          Deps
	store      relay.Store
	reconciler *reconcile.Reconciler
}

// New returns the service.
func New(d Deps) *Service {
	return &Service{d: d, store: relay.Store{Pool: d.Pool}, reconciler: &reconcile.Reconciler{Pool: d.Pool}}
}

// FeedQuery is the pull feed's query.
type FeedQuery struct {
	After string `query:"after"`
	Limit int    `query:"limit"`
}

// ReadFeed returns the events after the cursor, oldest first. A provider's
// account reads the events about its own records only.
func (s *Service) ReadFeed(ctx context.Context, a permission.Actor, q FeedQuery) (relay.FeedPage, error) {
	if err := s.d.Guard.Require(ctx, a, "readFeed"); err != nil {
		return relay.FeedPage{}, err
	}
	after, err := relay.ParseCursor(q.After)
	if err != nil {
		return relay.FeedPage{}, refusal.BadParam("after", "cursor", refusal.T("游标无效：请使用上一页返回的 next_cursor", "not a cursor: pass the next_cursor of the previous page"))
	}
	if q.Limit < 0 || q.Limit > relay.FeedLimit {
		return relay.FeedPage{}, refusal.BadParam("limit", "range", refusal.T(fmt.Sprintf("每页 1 至 %d 条", relay.FeedLimit), fmt.Sprintf("1 to %d events a page", relay.FeedLimit)))
	}
	var provider int64
	if a.Role() == auth.Provider {
		provider = a.Account.ProviderID
	}
	page, err := s.store.Feed(ctx, after, q.Limit, provider)
	if err != nil {
		return relay.FeedPage{}, faults.Database(err)
	}
	return page, nil
}

// DeliveryQuery selects deliveries: the dead letters (state=dead, the
// board), or those of one case.
type DeliveryQuery struct {
	State  string `query:"state"`
	CaseNo string `query:"case_no"`
	Limit  int    `query:"limit"`
}

// DeliveryPage is a list of deliveries with the number of dead ones.
type DeliveryPage struct {
	Deliveries []relay.Delivery `json:"deliveries"`
	// Dead is how many deliveries are dead in all (the board's counter).
	Dead int `json:"dead"`
}

// ListDeliveries lists deliveries to the subscribers.
func (s *Service) ListDeliveries(ctx context.Context, a permission.Actor, q DeliveryQuery) (DeliveryPage, error) {
	if err := s.d.Guard.Require(ctx, a, "listDeliveries"); err != nil {
		return DeliveryPage{}, err
	}
	switch q.State {
	case "", relay.StatePending, relay.StateDelivered, relay.StateDead:
	default:
		return DeliveryPage{}, refusal.BadParam("state", "enum", refusal.T("状态应为 pending、delivered 或 dead", "pending, delivered or dead"))
	}
	if q.Limit < 0 || q.Limit > 500 {
		return DeliveryPage{}, refusal.BadParam("limit", "range", refusal.T("每页 1 至 500 条", "1 to 500 a page"))
	}
	ds, err := s.store.Deliveries(ctx, relay.DeliveryFilter{State: q.State, CaseNo: q.CaseNo, Limit: q.Limit})
	if err != nil {
		return DeliveryPage{}, faults.Database(err)
	}
	dead, err := s.store.DeadCount(ctx)
	if err != nil {
		return DeliveryPage{}, faults.Database(err)
	}
	if ds == nil {
		ds = []relay.Delivery{}
	}
	return DeliveryPage{Deliveries: ds, Dead: dead}, nil
}

// ResendInput says why a dead delivery is sent again.
type ResendInput struct {
	Reason string `json:"reason"`
}

// ResendDelivery puts a dead delivery back in the queue for a new round of
// attempts (a supervisor, once the receiver is mended).
func (s *Service) ResendDelivery(ctx context.Context, a permission.Actor, subscriber string, eventID int64, in ResendInput) (relay.Delivery, error) {
	if err := s.d.Guard.Require(ctx, a, "resendDelivery"); err != nil {
		return relay.Delivery{}, err
	}
	if len([]rune(in.Reason)) > 500 {
		return relay.Delivery{}, refusal.Invalid(refusal.Field{Name: "reason", Code: "too_long", Message: refusal.T("不超过 500 字", "at most 500 characters")})
	}
	d, err := s.store.Resend(ctx, a.Audit(), subscriber, eventID, in.Reason)
	switch {
	case errors.Is(err, relay.ErrNoDelivery):
		return d, refusal.NotFoundErr()
	case errors.Is(err, relay.ErrNotDead):
		return d, &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("该投递未失败", "The delivery is not dead"),
			Detail: refusal.T("只有已达重试上限（死信）的投递可以重新发送；该投递仍在发送或已送达", "Only a delivery that reached its retry limit (dead) is re-sent; this one is still being sent or was delivered")}
	case err != nil:
		return d, faults.Database(err)
	}
	s.d.Logger.Info().Str("subscriber", subscriber).Int64("event_id", eventID).Str("actor", a.Audit().Username).
		Str("request_id", reqid.From(ctx)).Msg("dead delivery re-sent")
	return d, nil
}

// ReconcileTimeout bounds a reconciliation run on demand.
const ReconcileTimeout = 2 * time.Minute

// RunReconciliation runs the reconciler now and answers its summary.
func (s *Service) RunReconciliation(ctx context.Context, a permission.Actor) (reconcile.Run, error) {
	if err := s.d.Guard.Require(ctx, a, "runReconciliation"); err != nil {
		return reconcile.Run{}, err
	}
	if s.d.Temporal == nil {
		return reconcile.Run{}, faults.Engine(errors.New("no Temporal client"))
	}
	ctx, cancel := context.WithTimeout(ctx, ReconcileTimeout)
	defer cancel()
	id := workflows.ReconcileWorkflowID + ":" + reqid.From(ctx)
	if reqid.From(ctx) == "" {
		id = fmt.Sprintf("%s:%d", workflows.ReconcileWorkflowID, time.Now().UnixNano())
	}
	run, err := s.d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflow, workflows.ReconcileInput{Trigger: workflows.ReconcileOnDemand, RequestedBy: a.Audit().Username})
	if err != nil {
		return reconcile.Run{}, faults.Engine(err)
	}
	var out reconcile.Run
	if err := run.Get(ctx, &out); err != nil {
		return reconcile.Run{}, faults.Engine(err)
	}
	return out, nil
}

// FindingQuery selects reconciliation findings: of one run, or the flagged
// ones a person must look at.
type FindingQuery struct {
	Run     string `query:"run"`
	Flagged bool   `query:"flagged"`
	Limit   int    `query:"limit"`
}

// ListReconcileFindings lists findings, newest first.
func (s *Service) ListReconcileFindings(ctx context.Context, a permission.Actor, q FindingQuery) ([]reconcile.Finding, error) {
	if err := s.d.Guard.Require(ctx, a, "listReconcileFindings"); err != nil {
		return nil, err
	}
	if q.Limit < 0 || q.Limit > 500 {
		return nil, refusal.BadParam("limit", "range", refusal.T("每页 1 至 500 条", "1 to 500 a page"))
	}
	fs, err := s.reconciler.Findings(ctx, q.Run, q.Flagged, q.Limit)
	if err != nil {
		return nil, faults.Database(err)
	}
	if fs == nil {
		fs = []reconcile.Finding{}
	}
	return fs, nil
}
