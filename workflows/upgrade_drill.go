//go:build upgradedrill

package workflows

import "go.temporal.io/sdk/workflow"

// procedureVersion is taken once when an objection case starts (see
// versions.go): the rehearsal build knows ChangeUpgradeDrill.
func procedureVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, ChangeUpgradeDrill, workflow.DefaultVersion, 1)
}
