package layout_test

// liveRecommendationFiles are the only files of recommendations that talk
// to a database: reading a catalog, checking an index under hypopg or on a
// scratch copy, matching a scratch database to a run, applying changes.
// Everything else there (the rules, the facts they read, Recommend) is pure
// and tested on recorded snapshots; a rule that needs the database goes
// through one of these. TestImportRules keeps the others free of pgx.
var liveRecommendationFiles = map[string]bool{
	"apply.go":            true,
	"catalog_snapshot.go": true,
	"hypopg.go":           true,
	"replay.go":           true,
	"scratch.go":          true,
}
