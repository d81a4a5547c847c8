package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
)

// A worker starting while the engine is slow keeps trying to set up its
// schedules instead of failing its start; a wrong request fails at once.
func TestRetryTransient(t *testing.T) {
	ctx := context.Background()

	calls := 0
	err := retryTransient(ctx, time.Minute, func(context.Context) error {
		calls++
		switch calls {
		case 1:
			return fmt.Errorf("create: %w", context.DeadlineExceeded)
		case 2:
			return serviceerror.NewUnavailable("engine starting")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("slow engine: err %v after %d calls, want success on the 3rd", err, calls)
	}

	// After a restart the engine's own worker (which answers schedule
	// updates) may not poll yet: the start waits for it.
	calls = 0
	err = retryTransient(ctx, time.Minute, func(context.Context) error {
		calls++
		if calls == 1 {
			return fmt.Errorf("update: %w", serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down"))
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("engine worker not polling yet: err %v after %d calls, want success on the 2nd", err, calls)
	}
	calls = 0
	other := serviceerror.NewFailedPrecondition("namespace is not active")
	err = retryTransient(ctx, time.Minute, func(context.Context) error { calls++; return other })
	if !errors.Is(err, other) || calls != 1 {
		t.Fatalf("other precondition: err %v after %d calls, want it returned after 1", err, calls)
	}

	calls = 0
	wrong := serviceerror.NewInvalidArgument("bad spec")
	err = retryTransient(ctx, time.Minute, func(context.Context) error { calls++; return wrong })
	if !errors.Is(err, wrong) || calls != 1 {
		t.Fatalf("wrong request: err %v after %d calls, want it returned after 1", err, calls)
	}

	calls = 0
	err = retryTransient(ctx, 300*time.Millisecond, func(context.Context) error {
		calls++
		return serviceerror.NewUnavailable("down")
	})
	var unavailable *serviceerror.Unavailable
	if !errors.As(err, &unavailable) || calls < 2 {
		t.Fatalf("engine down: err %v after %d calls, want unavailable after retrying", err, calls)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	calls = 0
	err = retryTransient(cancelled, time.Minute, func(ctx context.Context) error { calls++; return ctx.Err() })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("cancelled start: err %v after %d calls, want cancelled after 1", err, calls)
	}
}
