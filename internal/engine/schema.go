package engine

import (
	"context"
	"fmt"
	"slices"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"

	"github.com/creditcase/creditcase/internal/pgcluster"
)

// prepareSchema creates the database if missing, installs the schema version
// tables on a new database, and then brings the schema up to the newest
// version shipped with the server module (a no-op when it is current). It
// uses the server's own schema tooling and embedded SQL.
func prepareSchema(ctx context.Context, adminURL string, cfg *config.SQL, schemaName string, logger log.Logger) error {
	if err := pgcluster.CreateDatabase(ctx, adminURL, cfg.DatabaseName); err != nil {
		return fmt.Errorf("create database %s: %w", cfg.DatabaseName, err)
	}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.DatabaseName, err)
	}
	defer conn.Close()
	tables, err := conn.ListTables()
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", cfg.DatabaseName, err)
	}
	if !slices.Contains(tables, "schema_version") {
		setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger)
		if err := setup.Run(); err != nil {
			return fmt.Errorf("set up schema version tables in %s: %w", cfg.DatabaseName, err)
		}
	}
	update := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger)
	if err := update.Run(); err != nil {
		return fmt.Errorf("update schema of %s: %w", cfg.DatabaseName, err)
	}
	return nil
}
