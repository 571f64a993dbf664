package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/sqlload"
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/all" // the adapters listed
	"github.com/pgqtune/pgqtune/units"
)

func init() { register(newScenariosCmd) }

func newScenariosCmd() *cobra.Command {
	var show string
	c := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in workload scenarios (or print one as YAML)",
		Long: `List the built-in scenarios 'pgqtune run --scenario NAME' accepts, with what each
does and how long it runs. With --show NAME, print that scenario as YAML: a
starting point for your own file (run it with --scenario FILE.yaml).`,
		Example: `  pgqtune scenarios
  pgqtune scenarios --show saturation > my-steps.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if show != "" {
				sc, err := sqlload.LoadScenario(show)
				if err != nil {
					return usageError(err)
				}
				fmt.Fprint(out, sc.YAML())
				return nil
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tDURATION\tDESCRIPTION")
			for _, s := range sqlload.Builtins() {
				fmt.Fprintf(w, "%s\t%s\t%s\n", s.Name, shortDuration(s.Duration), s.Description)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "\nadapters (--adapter, or adapter: in a scenario): %s\n", strings.Join(sqlload.Adapters(), ", "))
			for _, a := range sqlload.Adapters() {
				fmt.Fprintf(out, "  %-11s %s\n", a, sqlload.AdapterUse(a))
			}
			return nil
		},
	}
	c.Flags().StringVar(&show, "show", "", "print this scenario (built-in name or file) as YAML, defaults filled in")
	return c
}

// shortDuration prints 2m0s as 2m, leaving 30s and 1m3s alone.
func shortDuration(d time.Duration) string { return units.Duration(d, units.DurFlag) }
