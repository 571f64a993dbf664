// Package libraries holds what pgqtune knows about the queue libraries its
// users run: pg-boss, pgmq, River, graphile-worker, Que, good_job and
// solid_queue, and pgqtune's own skiplocked table. One file per library
// holds its Profile: the tables and indexes the library creates and relies
// on (as expectations, never its DDL), which columns its updates change (so
// whether HOT or fillfactor can ever help), what it already does (LISTEN,
// batching, cleanup, reindexing), the knobs its users turn, and the shapes
// of its claim, enqueue and complete statements.
//
// Detection (the sampler), diagnosis (analyze) and advice (recommendations)
// all read these profiles; none of them guesses a library's behaviour from
// SQL text on its own. Facts come from each library's public documentation
// and schemas; the Source field of every profile says which.
//
// Statement shapes live apart from the profile data, one
// <library>_statements.go per library, each registering a classifier that
// Classify calls; table_statements.go is the shape-only fallback for a
// home-grown table. Classifiers read pg_query parse trees (shape.go), not
// substrings. DecideRoles (decide.go) is the one decision over a run's
// statements: the sampler records its result in run.json
// (runrec.Meta.StatementRoles) and runrec derives it, with the same
// function, for runs recorded before.
package libraries
