// Package reqid carries the HTTP request ID from the API into the workflows
// and activities it starts, through a Temporal context propagator, so that
// every log line about one request can be found with one ID.
package reqid

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

type ctxKey struct{}

// HeaderKey is the Temporal header that carries the ID.
const HeaderKey = "creditcase-request-id"

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the ID in ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// FromWorkflow returns the ID in a workflow context, or "".
func FromWorkflow(ctx workflow.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Propagator moves the ID across client → workflow → activity boundaries.
type Propagator struct{}

var _ workflow.ContextPropagator = Propagator{}

func (Propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(From(ctx), w)
}

func (Propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	return inject(FromWorkflow(ctx), w)
}

func (Propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	id, err := extract(r)
	if err != nil || id == "" {
		return ctx, err
	}
	return With(ctx, id), nil
}

func (Propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	id, err := extract(r)
	if err != nil || id == "" {
		return ctx, err
	}
	return workflow.WithValue(ctx, ctxKey{}, id), nil
}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(HeaderKey, p)
	return nil
}

func extract(r workflow.HeaderReader) (string, error) {
	p, ok := r.Get(HeaderKey)
	if !ok {
		return "", nil
	}
	var id string
	err := converter.GetDefaultDataConverter().FromPayload(p, &id)
	return id, err
}
