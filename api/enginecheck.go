package api

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/workflows"
)

// EngineCheckResponse is the answer to an engine check.
type EngineCheckResponse struct {
	activities.EngineCheckRecord
	RoundTripMS int64 `json:"round_trip_ms"`
}

// createEngineCheck starts an EngineCheckWorkflow and waits for the row its
// activity writes: proof that API, Temporal, worker and PostgreSQL all work.
func (s *Server) createEngineCheck(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	in := activities.EngineCheck{CheckID: newRequestID(), RequestedAt: start.UTC()}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.EngineCheckWorkflowID(in.CheckID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: 30 * time.Second,
	}, workflows.EngineCheckWorkflow, in)
	if err != nil {
		return engineUnavailable(err)
	}
	var rec activities.EngineCheckRecord
	if err := run.Get(ctx, &rec); err != nil {
		return engineUnavailable(err)
	}
	return c.JSON(http.StatusCreated, EngineCheckResponse{EngineCheckRecord: rec, RoundTripMS: time.Since(start).Milliseconds()})
}

var checkIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// getEngineCheck reads a recorded check from PostgreSQL.
func (s *Server) getEngineCheck(c echo.Context) error {
	id := c.Param("id")
	if !checkIDPattern.MatchString(id) {
		return &Error{
			Status: http.StatusBadRequest,
			Code:   "invalid-parameter",
			Title:  Message{ZH: "参数无效", EN: "Invalid parameter"},
			Fields: []Field{{Name: "id", Code: "format", Message: Message{
				ZH: "检查编号应为 24 位十六进制字符", EN: "a check ID is 24 hexadecimal characters",
			}}},
		}
	}
	var rec activities.EngineCheckRecord
	err := s.Pool.QueryRow(c.Request().Context(), `
		SELECT id, workflow_id, request_id, requested_at, recorded_at, worker
		FROM engine_checks WHERE id = $1`, id,
	).Scan(&rec.CheckID, &rec.WorkflowID, &rec.RequestID, &rec.RequestedAt, &rec.RecordedAt, &rec.Worker)
	if db.IsNoRows(err) {
		return &Error{
			Status: http.StatusNotFound,
			Code:   "not-found",
			Title:  Message{ZH: "未找到", EN: "Not found"},
			Detail: Message{ZH: "没有该编号的引擎检查记录", EN: "No engine check has this ID"},
		}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}
