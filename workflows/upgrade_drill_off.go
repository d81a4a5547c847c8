//go:build !upgradedrill

package workflows

import "go.temporal.io/sdk/workflow"

// procedureVersion is taken once when an objection case starts (see
// versions.go). Production builds carry no change yet: every case runs the
// default procedure, and no marker is recorded.
func procedureVersion(workflow.Context) workflow.Version { return workflow.DefaultVersion }
