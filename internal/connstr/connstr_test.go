package connstr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/internal/connstr"
)

func TestRedact(t *testing.T) {
	const pw = "s3cr3t-Pass"
	cases := []struct {
		name, dsn, env string
	}{
		{"URL", "postgres://app:" + pw + "@db.internal:5432/app", ""},
		{"key=value", "host=db user=app password=" + pw + " dbname=app", ""},
		{"key=value quoted", "host=db user=app password='" + pw + "' dbname=app", ""},
		{"URL that does not parse", "postgres://app:" + pw + "@db:port/app", ""},
		{"PGPASSWORD", "postgres://app@db/app", pw},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("PGPASSWORD", c.env)
			msg := fmt.Sprintf("connect to %s: password %s rejected", c.dsn, pw)
			got := connstr.Redact(msg, c.dsn)
			if strings.Contains(got, pw) {
				t.Fatalf("Redact left the password: %q", got)
			}
			if !strings.Contains(got, connstr.Mask) {
				t.Fatalf("Redact did not mask: %q", got)
			}
			base := errors.New(msg)
			err := connstr.RedactErr(fmt.Errorf("store: %w", base), c.dsn)
			if strings.Contains(err.Error(), pw) || !errors.Is(err, base) {
				t.Fatalf("RedactErr = %q (unwraps to the original: %v)", err, errors.Is(err, base))
			}
		})
	}
	t.Run("a password inside a longer one is masked whole", func(t *testing.T) {
		t.Setenv("PGPASSWORD", "abc")
		got := connstr.Redact("abcdef", "postgres://u:abcdef@h/d")
		if got != connstr.Mask {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("nothing to hide", func(t *testing.T) {
		t.Setenv("PGPASSWORD", "")
		if got := connstr.Redact("plain", "postgres://u@h/d", ""); got != "plain" {
			t.Fatalf("got %q", got)
		}
		if connstr.RedactErr(nil, "x") != nil {
			t.Fatal("RedactErr(nil) is not nil")
		}
	})
}

func TestDescribe(t *testing.T) {
	t.Setenv("PGPASSWORD", "")
	if got, want := connstr.Describe("postgres://app:pw@db:6432/app"), "app@db:6432/app"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got := connstr.Describe("postgres://app:pw@db:port/app"); got != "(invalid DSN)" {
		t.Errorf("Describe of a bad DSN = %q", got)
	}
}
