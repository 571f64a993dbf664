// Package faultinject holds pgqtune's end-to-end fault tests: whole runs
// through internal/pipeline while the server restarts, backends are killed,
// connections run out, statistics are reset or the run directory fails.
// Each test that restarts or reconfigures a server starts its own throwaway
// cluster, so the shared test cluster is never disturbed.
//
// The package has no exported API; its tests are the product.
package faultinject
