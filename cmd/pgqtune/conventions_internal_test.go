package main

import (
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	code, out, errText := runCLI(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "pgqtune ") || out != versionLine() {
		t.Fatalf("--version: exit %d %q %q", code, out, errText)
	}
	_, sub, _ := runCLI(t, "version")
	if sub != out {
		t.Fatalf("--version %q and version %q differ", out, sub)
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_pgqtune",
		"zsh":  "#compdef pgqtune",
		"fish": "complete -c pgqtune",
	} {
		code, out, errText := runCLI(t, "completion", shell)
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d %q, script lacks %q", shell, code, errText, want)
		}
	}
}
