// Package recommendations turns a run's findings, its recorded statistics, a
// snapshot of the queue tables' catalog and the parsed hot statements into
// concrete changes a DBA can apply: CREATE INDEX CONCURRENTLY, per-table
// reloptions, server and database settings, partitioning outlines and
// application changes.
//
// The pieces, in the order a run uses them:
//
//	SnapshotCatalog   reads the queue tables' columns, indexes (keys, order,
//	                  predicate, size), reloptions, row width, partitioning,
//	                  the server settings and extensions; saved as catalog.json
//	ParseStatement    pg_query parse of a normalized statement: the claim's
//	                  WHERE / ORDER BY / LIMIT / FOR UPDATE SKIP LOCKED
//	Recommend         runs every rule (rule_*.go, one concern each) and
//	                  numbers the results R1, R2, ... deterministically;
//	                  rule_libindex.go runs first: a queue library's own
//	                  index that is missing or INVALID (compared with its
//	                  libraries.Profile) is recreated, CONCURRENTLY, on the
//	                  table that holds it (pg-boss v10: the partition)
//	ValidateWithHypopg  checks every recommended index against the claim
//	                  under a generic plan (force_generic_plan, PREPARE
//	                  with the claim's $n), created hypothetically in a
//	                  transaction that is rolled back; one the planner
//	                  ignores is removed and becomes a note
//
// For a table a queue library owns (library.go), the rules never drop the
// library's indexes, never partition or rewrite its tables, give no
// fillfactor where its updates cannot be HOT, no application advice it
// already follows (LISTEN/NOTIFY, batching), and say its tuning in its own
// terms (option, where it is set, a value from the run) with no SQL; an
// index pgqtune adds on such a table says so and what an upgrade may do.
//
//	Rerun, MatchCatalog, Apply, Retarget
//	                  the parts of `pgqtune validate`: repeat the scenario
//	                  without and with the change (ABBA-interleaved) from the
//	                  recorded starting state, and test the difference
//
// Every rule is a pure function of an Input, so the rules run the same on a
// live run and on a saved run directory (catalog.json stands in for the
// database). Only five files talk to a database: catalog_snapshot.go,
// hypopg.go, scratch.go, replay.go and apply.go; internal/layout's
// TestImportRules fails if any other file imports pgx.
//
// Everything a rule writes is meant to be pasted: SQL runs as written on the
// server version the run recorded (settings and syntax are gated on
// server_version_num), DDL that takes a table lock starts with SET
// lock_timeout and says to retry, concurrent builds start with SET
// statement_timeout = 0, a restart-only setting is its own recommendation
// that says so, guarded statements (pg_terminate_backend, slot drops,
// partition rotation) act only while their condition still holds, and a
// rollback is SQL, with any prose in comments. Tables a queue library owns
// (libraryOwned) never get table rewrites: no partition swap, no SET
// UNLOGGED, no retention DELETE. TestEveryRecommendationExecutes applies
// every recommendation of the golden files and fixtures, and its rollback,
// on a real cluster. Every recommendation cites the findings or the measured numbers
// that justify it, states its expected impact, its risk and how to roll it
// back; a steady, well-tuned run gets none (or only ones marked
// informational).
package recommendations
