// Package faults turns an error the application core did not expect into a
// refusal with an honest status: 503 only when the workflow engine or the
// database cannot be reached (try again later), 500 for anything else (a
// fault of ours, logged with its cause). Refusals pass unchanged.
package faults

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"go.temporal.io/api/serviceerror"

	"github.com/creditcase/creditcase/internal/refusal"
)

// Database returns an error of a database call as a refusal: 503 when
// PostgreSQL cannot be reached (or did not answer in time), else 500.
func Database(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := refusal.As(err); ok {
		return err
	}
	if DatabaseUnreachable(err) || errors.Is(err, context.DeadlineExceeded) {
		e := refusal.Unavailable(refusal.DatabaseUnavail, err)
		e.Unchanged = NothingSent(err)
		return e
	}
	return refusal.Internalf(err, "database")
}

// NothingSent reports whether err says the statement never reached
// PostgreSQL (no connection could be made, the pool is closed): then
// nothing was changed by it.
func NothingSent(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, puddle.ErrClosedPool) || pgconn.SafeToRetry(err)
}

// Engine returns an error of a Temporal call as a refusal: 503 when the
// frontend cannot be reached or did not answer in time, when it cannot
// serve the namespace at the moment (refused before any workflow saw the
// call: nothing changed), or when the case's workflow cannot take an
// Update now (its last workflow task failed and is being retried: the
// Update was not admitted, nothing changed), else 500.
func Engine(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := refusal.As(err); ok {
		return err
	}
	var nr *serviceerror.WorkflowNotReady
	if errors.As(err, &nr) {
		// Temporal refuses an Update before admitting it while the
		// workflow's task keeps failing (e.g. a task that ran past its
		// timeout on an overloaded worker): a moment later it passes.
		e := refusal.Unavailable(refusal.EngineUnavailable, err)
		e.Title = refusal.T("案件流程暂时无法响应", "The case's workflow cannot answer at the moment")
		e.Detail = refusal.T("案件流程的上一步正在重试，本次请求未被受理；请稍后重试，如持续出现请联系管理员",
			"The case's previous step is being retried and this request was not taken; try again in a moment, and tell the operator if it persists")
		e.Unchanged = true
		e.RetryAfter = 5 * time.Second
		return e
	}
	var nn *serviceerror.NamespaceNotFound
	if errors.As(err, &nn) {
		// The frontend refused the call before any workflow saw it:
		// nothing changed, and a moment later it goes through.
		e := refusal.Unavailable(refusal.EngineUnavailable, err)
		e.Unchanged = true
		e.RetryAfter = 5 * time.Second
		return e
	}
	if EngineUnreachable(err) {
		return refusal.Unavailable(refusal.EngineUnavailable, err)
	}
	return refusal.Internalf(err, "workflow engine")
}

// Refusal returns err as a refusal: itself when it is one, 503 when it
// says a dependency is unreachable, 500 otherwise (nil for nil).
func Refusal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := refusal.As(err); ok {
		return err
	}
	switch {
	case DatabaseUnreachable(err):
		return refusal.Unavailable(refusal.DatabaseUnavail, err)
	case EngineUnreachable(err):
		return refusal.Unavailable(refusal.EngineUnavailable, err)
	}
	return refusal.Internalf(err, "unexpected")
}

// DatabaseUnreachable reports whether err says PostgreSQL cannot be
// reached (connection refused or lost, pool closed, timed out connecting).
func DatabaseUnreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ce), errors.Is(err, puddle.ErrClosedPool):
		return true
	case pgconn.SafeToRetry(err) && !isTemporal(err):
		return true
	case pgconn.Timeout(err):
		return true
	case errors.As(err, &oe) && !isTemporal(err):
		return true
	case errors.As(err, &ne) && ne.Timeout() && !isTemporal(err):
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P01..57P03: admin shutdown, crash shutdown, cannot connect now;
		// 08*: connection exceptions.
		switch {
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", len(pe.Code) == 5 && pe.Code[:2] == "08":
			return true
		}
	}
	return false
}

// EngineUnreachable reports whether err says the Temporal frontend cannot
// be reached or did not answer in time, or cannot serve this system's
// namespace at the moment. The namespace is registered before any role
// starts, so an engine that says it does not know it is one whose
// namespace registry cannot read its database (e.g. while its connections
// come back after a PostgreSQL restart): unavailable, not our fault.
func EngineUnreachable(err error) bool {
	var un *serviceerror.Unavailable
	var de *serviceerror.DeadlineExceeded
	var cc *serviceerror.Canceled
	var nn *serviceerror.NamespaceNotFound
	return errors.As(err, &un) || errors.As(err, &de) || errors.As(err, &cc) || errors.As(err, &nn) ||
		errors.Is(err, context.DeadlineExceeded)
}

func isTemporal(err error) bool {
	var se serviceerror.ServiceError
	return errors.As(err, &se)
}
