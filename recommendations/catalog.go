package recommendations

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// CatalogFile is the catalog snapshot's name inside a run directory.
const CatalogFile = "catalog.json"

// Catalog is what the rules know about the queue tables and the server,
// snapshotted at the end of a run. It is plain data, saved as catalog.json so
// `pgqtune analyze RUN_DIR` re-runs the rules without a database.
type Catalog struct {
	SnapshotAt       time.Time `json:"snapshot_at"`
	ServerVersionNum int       `json:"server_version_num"`
	// Database is the database the snapshot was taken in.
	Database string `json:"database,omitempty"`
	// Settings are the server settings the rules size against.
	Settings map[string]Setting `json:"settings"`
	// Extensions maps installed extensions to their versions.
	Extensions map[string]string `json:"extensions"`
	// Available lists extensions that could be created (not installed).
	Available []string    `json:"available_extensions,omitempty"`
	Tables    []TableInfo `json:"tables"`
	Notes     []string    `json:"notes,omitempty"`
}

// Setting is one pg_settings row.
type Setting struct {
	// Value is the raw setting in its base unit.
	Value string `json:"value"`
	Unit  string `json:"unit,omitempty"`
	// Context is pg_settings.context: "postmaster" needs a restart,
	// "sighup" a reload, "user"/"superuser" can be set per session.
	Context string `json:"context,omitempty"`
	Source  string `json:"source,omitempty"`
}

// TableInfo is one queue table.
type TableInfo struct {
	Name       string   `json:"name"` // schema.table
	Schema     string   `json:"schema"`
	Table      string   `json:"table"`
	Kind       string   `json:"kind"` // "table", "partitioned", "partition"
	Reloptions []string `json:"reloptions,omitempty"`
	Columns    []Column `json:"columns"`
	Indexes    []Index  `json:"indexes"`
	// Checks are CHECK constraint definitions (they name the queue states).
	Checks []string `json:"checks,omitempty"`
	// PartitionKey is pg_get_partkeydef for a partitioned table.
	PartitionKey string `json:"partition_key,omitempty"`
	Partitions   int    `json:"partitions,omitempty"`
	// Parent is the partitioned table this partition belongs to, when the
	// snapshot read it as one of a queue table's partitions.
	Parent string `json:"parent,omitempty"`
	// RowWidth estimates the average heap tuple size in bytes, header
	// included (pg_stats avg_width when analyzed, type lengths otherwise).
	RowWidth   int     `json:"row_width"`
	Pages      int64   `json:"pages"`
	Reltuples  float64 `json:"reltuples"`
	HeapBytes  int64   `json:"heap_bytes"`
	IndexBytes int64   `json:"index_bytes"`
	LiveTup    int64   `json:"n_live_tup"`
	DeadTup    int64   `json:"n_dead_tup"`
	// Cumulative counters from pg_stat_user_tables at snapshot time.
	Ins    int64 `json:"n_tup_ins"`
	Upd    int64 `json:"n_tup_upd"`
	HotUpd int64 `json:"n_tup_hot_upd"`
	Del    int64 `json:"n_tup_del"`
	// Unlogged is true for an UNLOGGED table (relpersistence 'u').
	Unlogged bool `json:"unlogged,omitempty"`
	// NewPageUpd is n_tup_newpage_upd (PG16+; nil before): updates whose
	// new row version went to another page, for want of room on its own.
	NewPageUpd *int64 `json:"n_tup_newpage_upd,omitempty"`
}

// Column is one table column.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null,omitempty"`
	Default string `json:"default,omitempty"`
	// AvgWidth is pg_stats.avg_width (or the type length when unanalyzed).
	AvgWidth int `json:"avg_width"`
	// Labels are the enum labels when the column is an enum.
	Labels []string `json:"labels,omitempty"`
	// MostCommon are pg_stats' most common values with their frequencies
	// (text and enum columns only).
	MostCommon     []string  `json:"most_common,omitempty"`
	MostCommonFreq []float64 `json:"most_common_freq,omitempty"`
	NDistinct      float64   `json:"n_distinct,omitempty"`
}

// Index is one index on a queue table.
type Index struct {
	Name       string  `json:"name"` // schema.index
	Definition string  `json:"definition"`
	Method     string  `json:"method"`
	SizeBytes  int64   `json:"size_bytes"`
	Pages      int64   `json:"pages"`
	Reltuples  float64 `json:"reltuples"`
	// Columns are the key columns (or expressions) in order; Include are
	// INCLUDE columns.
	Columns []string `json:"columns"`
	Desc    []bool   `json:"desc,omitempty"`
	Include []string `json:"include,omitempty"`
	// Predicate is the partial index's WHERE clause ("" for a full index).
	Predicate string `json:"predicate,omitempty"`
	Unique    bool   `json:"unique,omitempty"`
	Primary   bool   `json:"primary,omitempty"`
	Valid     bool   `json:"valid"`
	// Constraint names the constraint the index backs, if any.
	Constraint string `json:"constraint,omitempty"`
	// IdxScan is the cumulative pg_stat_user_indexes.idx_scan.
	IdxScan int64 `json:"idx_scan"`
}

// Table returns the table named name ("schema.table", or a bare name
// matching one table), or nil.
func (c *Catalog) Table(name string) *TableInfo {
	if c == nil {
		return nil
	}
	for i := range c.Tables {
		if c.Tables[i].Name == name {
			return &c.Tables[i]
		}
	}
	// A bare name (no schema) matches when exactly one table has it.
	var found *TableInfo
	for i := range c.Tables {
		if c.Tables[i].Table == name {
			if found != nil {
				return nil
			}
			found = &c.Tables[i]
		}
	}
	return found
}

// HasExtension reports whether ext is installed.
func (c *Catalog) HasExtension(ext string) bool {
	if c == nil {
		return false
	}
	_, ok := c.Extensions[ext]
	return ok
}

// SettingBytes returns a memory/size setting in bytes (false when unknown).
func (c *Catalog) SettingBytes(name string) (int64, bool) {
	s, ok := c.setting(name)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s.Value, 64)
	if err != nil {
		return 0, false
	}
	mult := map[string]float64{"": 1, "B": 1, "kB": 1 << 10, "8kB": 8 << 10, "16kB": 16 << 10, "MB": 1 << 20, "16MB": 16 << 20, "GB": 1 << 30, "TB": 1 << 40}[s.Unit]
	if mult == 0 {
		return 0, false
	}
	return int64(v * mult), true
}

// SettingSeconds returns a time setting in seconds (false when unknown).
func (c *Catalog) SettingSeconds(name string) (float64, bool) {
	s, ok := c.setting(name)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s.Value, 64)
	if err != nil {
		return 0, false
	}
	switch s.Unit {
	case "ms":
		return v / 1000, true
	case "s", "":
		return v, true
	case "min":
		return v * 60, true
	case "us":
		return v / 1e6, true
	}
	return 0, false
}

// SettingFloat returns a unitless numeric setting.
func (c *Catalog) SettingFloat(name string) (float64, bool) {
	s, ok := c.setting(name)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s.Value, 64)
	return v, err == nil
}

// SettingString returns a setting's raw value.
func (c *Catalog) SettingString(name string) string {
	s, _ := c.setting(name)
	return s.Value
}

func (c *Catalog) setting(name string) (Setting, bool) {
	if c == nil {
		return Setting{}, false
	}
	s, ok := c.Settings[name]
	return s, ok
}

// Reloption returns a table's reloption value ("" when unset).
func (t *TableInfo) Reloption(name string) string {
	for _, o := range t.Reloptions {
		k, v, ok := strings.Cut(o, "=")
		if ok && k == name {
			return v
		}
	}
	return ""
}

// Column returns the column named name, or nil.
func (t *TableInfo) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// SaveCatalog writes c as catalog.json into the run directory dir.
func SaveCatalog(dir string, c *Catalog) error {
	if err := runrec.WriteJSON(filepath.Join(dir, CatalogFile), c); err != nil {
		return fmt.Errorf("recommendations: save catalog: %w", err)
	}
	return nil
}

// LoadCatalog reads catalog.json from the run directory dir. A run without
// one (older runs, a snapshot that failed) returns nil and no error: the
// rules then work from the samples alone.
func LoadCatalog(dir string) (*Catalog, error) {
	path := filepath.Join(dir, CatalogFile)
	var c Catalog
	if err := runrec.ReadJSON(path, &c); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("recommendations: load catalog: %w", err)
	}
	return &c, nil
}
