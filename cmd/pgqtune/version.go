package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/version"
)

func init() { register(newVersionCmd) }

// versionLine is what both `pgqtune version` and `pgqtune --version` print.
func versionLine() string {
	return fmt.Sprintf("pgqtune %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print pgqtune's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}
