package recommendations

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	//go:embed sql/catalog_table.sql
	sqlCatalogTable string
	//go:embed sql/catalog_columns.sql
	sqlCatalogColumns string
	//go:embed sql/catalog_indexes.sql
	sqlCatalogIndexes string
	//go:embed sql/catalog_settings.sql
	sqlCatalogSettings string
	//go:embed sql/catalog_extensions.sql
	sqlCatalogExtensions string
	//go:embed sql/catalog_partitions.sql
	sqlCatalogPartitions string
)

// maxPartitions caps how many leaf partitions of one partitioned queue
// table the snapshot reads.
const maxPartitions = 200

// catalogSettings are the settings any rule reads.
var catalogSettings = []string{
	"server_version_num", "block_size", "max_connections", "shared_buffers", "work_mem", "maintenance_work_mem",
	"max_wal_size", "min_wal_size", "checkpoint_timeout", "checkpoint_completion_target", "wal_compression",
	"full_page_writes", "synchronous_commit", "commit_delay", "commit_siblings", "wal_buffers", "wal_writer_delay",
	"fsync", "autovacuum", "autovacuum_naptime", "autovacuum_max_workers", "autovacuum_vacuum_scale_factor",
	"autovacuum_vacuum_threshold", "autovacuum_vacuum_insert_scale_factor", "autovacuum_vacuum_insert_threshold",
	"autovacuum_analyze_scale_factor", "autovacuum_vacuum_cost_limit", "autovacuum_vacuum_cost_delay",
	"vacuum_cost_limit", "vacuum_cost_delay", "idle_in_transaction_session_timeout", "statement_timeout",
	"lock_timeout", "idle_session_timeout", "max_replication_slots", "hot_standby_feedback", "max_slot_wal_keep_size", "transaction_timeout",
	"old_snapshot_threshold", "random_page_cost", "effective_cache_size", "track_io_timing",
}

// SnapshotCatalog reads the catalog entries of the given queue tables
// ("schema.table"; a bare name follows search_path) and the server settings
// and extensions the rules need. It only reads: it is safe on a production
// target. A table that does not exist is noted, not an error.
func SnapshotCatalog(ctx context.Context, dsn string, tables []string) (*Catalog, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("recommendations: snapshot catalog: parse dsn: %w", err)
	}
	cfg.RuntimeParams["application_name"] = "pgqtune-catalog"
	cfg.RuntimeParams["statement_timeout"] = "10000"
	cfg.RuntimeParams["lock_timeout"] = "2000"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("recommendations: snapshot catalog: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	c := &Catalog{
		SnapshotAt: time.Now().UTC(),
		Database:   cfg.Database,
		Settings:   map[string]Setting{},
		Extensions: map[string]string{},
	}
	if err := snapshotSettings(ctx, conn, c); err != nil {
		return nil, err
	}
	if err := snapshotExtensions(ctx, conn, c); err != nil {
		return nil, err
	}
	for _, name := range tables {
		t, err := snapshotTable(ctx, conn, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("recommendations: snapshot catalog: %w", ctx.Err())
			}
			c.Notes = append(c.Notes, fmt.Sprintf("catalog: %s: %v", name, err))
			continue
		}
		if t == nil {
			c.Notes = append(c.Notes, fmt.Sprintf("catalog: queue table %s not found", name))
			continue
		}
		c.Tables = append(c.Tables, *t)
		if t.Kind == "partitioned" {
			// A library that partitions its job table (pg-boss v10) keeps
			// its indexes on the partitions: the rules compare those.
			parts, err := snapshotPartitions(ctx, conn, t.Name)
			if err != nil {
				c.Notes = append(c.Notes, fmt.Sprintf("catalog: partitions of %s: %v", t.Name, err))
				continue
			}
			for _, p := range parts {
				if have := c.Table(p); have != nil && have.Name == p {
					continue
				}
				pt, err := snapshotTable(ctx, conn, p)
				if err != nil || pt == nil {
					if ctx.Err() != nil {
						return nil, fmt.Errorf("recommendations: snapshot catalog: %w", ctx.Err())
					}
					continue
				}
				pt.Parent = t.Name
				c.Tables = append(c.Tables, *pt)
			}
		}
	}
	sort.Slice(c.Tables, func(i, j int) bool { return c.Tables[i].Name < c.Tables[j].Name })
	return c, nil
}

func snapshotPartitions(ctx context.Context, conn *pgx.Conn, parent string) ([]string, error) {
	rows, err := conn.Query(ctx, sqlCatalogPartitions, parent, maxPartitions)
	if err != nil {
		return nil, fmt.Errorf("read partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read partitions: %w", err)
	}
	return names, nil
}

func snapshotSettings(ctx context.Context, conn *pgx.Conn, c *Catalog) error {
	rows, err := conn.Query(ctx, sqlCatalogSettings, catalogSettings)
	if err != nil {
		return fmt.Errorf("recommendations: read settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var s Setting
		if err := rows.Scan(&name, &s.Value, &s.Unit, &s.Context, &s.Source); err != nil {
			return fmt.Errorf("recommendations: read settings: %w", err)
		}
		c.Settings[name] = s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recommendations: read settings: %w", err)
	}
	if v, ok := c.SettingFloat("server_version_num"); ok {
		c.ServerVersionNum = int(v)
	}
	return nil
}

func snapshotExtensions(ctx context.Context, conn *pgx.Conn, c *Catalog) error {
	rows, err := conn.Query(ctx, sqlCatalogExtensions)
	if err != nil {
		return fmt.Errorf("recommendations: read extensions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, version string
		var installed bool
		if err := rows.Scan(&name, &version, &installed); err != nil {
			return fmt.Errorf("recommendations: read extensions: %w", err)
		}
		if installed {
			c.Extensions[name] = version
		} else {
			c.Available = append(c.Available, name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recommendations: read extensions: %w", err)
	}
	return nil
}

// snapshotTable returns nil, nil when the table does not exist.
func snapshotTable(ctx context.Context, conn *pgx.Conn, name string) (*TableInfo, error) {
	var (
		t           TableInfo
		oid         int64
		relkind     string
		isPartition bool
		partitions  int64
	)
	err := conn.QueryRow(ctx, sqlCatalogTable, name).Scan(&oid, &t.Schema, &t.Table, &relkind, &t.Reloptions,
		&t.Pages, &t.Reltuples, &t.HeapBytes, &t.IndexBytes, &t.LiveTup, &t.DeadTup, &t.Ins, &t.Upd, &t.HotUpd, &t.Del, &t.NewPageUpd,
		&isPartition, &t.PartitionKey, &partitions, &t.Checks, &t.Unlogged)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	t.Name = t.Schema + "." + t.Table
	t.Partitions = int(partitions)
	switch {
	case relkind == "p":
		t.Kind = "partitioned"
	case isPartition:
		t.Kind = "partition"
	default:
		t.Kind = "table"
	}
	if err := snapshotColumns(ctx, conn, oid, &t); err != nil {
		return nil, err
	}
	if err := snapshotIndexes(ctx, conn, oid, &t); err != nil {
		return nil, err
	}
	t.RowWidth = estimateRowWidth(t.Columns)
	return &t, nil
}

func snapshotColumns(ctx context.Context, conn *pgx.Conn, oid int64, t *TableInfo) error {
	rows, err := conn.Query(ctx, sqlCatalogColumns, oid, t.Schema, t.Table)
	if err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var col Column
		if err := rows.Scan(&col.Name, &col.Type, &col.NotNull, &col.Default, &col.AvgWidth, &col.NDistinct,
			&col.Labels, &col.MostCommon, &col.MostCommonFreq); err != nil {
			return fmt.Errorf("read columns: %w", err)
		}
		t.Columns = append(t.Columns, col)
	}
	if err := rows.Err(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return fmt.Errorf("read columns (SQLSTATE %s): %w", pgErr.Code, err)
		}
		return fmt.Errorf("read columns: %w", err)
	}
	return nil
}

func snapshotIndexes(ctx context.Context, conn *pgx.Conn, oid int64, t *TableInfo) error {
	rows, err := conn.Query(ctx, sqlCatalogIndexes, oid)
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ix Index
		if err := rows.Scan(&ix.Name, &ix.Definition, &ix.Method, &ix.SizeBytes, &ix.Pages, &ix.Reltuples,
			&ix.Columns, &ix.Desc, &ix.Include, &ix.Predicate, &ix.Unique, &ix.Primary, &ix.Valid,
			&ix.Constraint, &ix.IdxScan); err != nil {
			return fmt.Errorf("read indexes: %w", err)
		}
		if !anyTrue(ix.Desc) {
			ix.Desc = nil
		}
		t.Indexes = append(t.Indexes, ix)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	return nil
}

func anyTrue(b []bool) bool {
	for _, v := range b {
		if v {
			return true
		}
	}
	return false
}

// estimateRowWidth is the average heap tuple size: a 24-byte header plus a
// 4-byte line pointer plus the columns' average widths, each aligned as
// Postgres would (8 bytes is the pessimistic alignment for mixed rows).
func estimateRowWidth(cols []Column) int {
	w := 24 + 4
	for _, c := range cols {
		w += c.AvgWidth
	}
	return (w + 7) / 8 * 8
}
