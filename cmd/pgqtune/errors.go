package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// badFlagValue matches pflag's "invalid argument" error, whose tail is the
// Go parser's own message (strconv.ParseFloat: parsing "abc": ...).
var badFlagValue = regexp.MustCompile(`^invalid argument "(.*)" for "(.*)" flag: (.*)$`)

// flagError says what was wrong with a flag in words: `--rate: "abc" is not
// a number`, not the parser's internals.
func flagError(err error) string {
	m := badFlagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err.Error()
	}
	value, flag, why := m[1], m[2], m[3]
	if i := strings.LastIndex(flag, "--"); i >= 0 {
		flag = flag[i:]
	}
	want := "valid"
	switch {
	case strings.Contains(why, "ParseFloat"):
		want = "a number"
	case strings.Contains(why, "ParseInt"), strings.Contains(why, "ParseUint"):
		want = "a whole number"
	case strings.Contains(why, "ParseBool"):
		want = "true or false"
	case strings.HasPrefix(why, "time:"):
		want = "a duration such as 30s, 2m or 1h30m"
	}
	return fmt.Sprintf("%s: %q is not %s", flag, value, want)
}

// namedArgs replaces cobra's "accepts 1 arg(s), received 0" with the
// missing argument's name from the command's usage ("missing RUN_DIR").
func namedArgs(c *cobra.Command) {
	check := c.Args
	if check == nil {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if check(cmd, args) == nil {
			return nil
		}
		var names []string
		for _, w := range strings.Fields(cmd.Use)[1:] {
			if w == strings.ToUpper(w) && !strings.HasPrefix(w, "[") {
				names = append(names, w)
			}
		}
		switch {
		case len(args) < len(names):
			return usageErrorf("%s: missing %s (usage: %s)", cmd.Name(), strings.Join(names[len(args):], " and "), cmd.UseLine())
		case len(names) == 0:
			return usageErrorf("%s takes no arguments, got %q (see '%s --help')", cmd.Name(), strings.Join(args, " "), cmd.CommandPath())
		default:
			return usageErrorf("%s: too many arguments, want only %s (usage: %s)", cmd.Name(), strings.Join(names, " "), cmd.UseLine())
		}
	}
}

// listError is a refusal with several reasons, printed as a list (one
// reason a line) rather than one long line.
type listError struct {
	head  string
	items []string
	err   error
}

func (e *listError) Error() string {
	var b strings.Builder
	b.WriteString(e.head)
	for _, it := range e.items {
		b.WriteString("\n  - " + it)
	}
	return b.String()
}

func (e *listError) Unwrap() error { return e.err }

// osReason is why a file operation failed, without the path it used (for a
// temporary file, a name the user never chose): "permission denied", "no
// such file or directory".
func osReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}
