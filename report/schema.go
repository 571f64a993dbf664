package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is report/report.schema.json, the published JSON Schema of the
// report.json contract (schema_version 1).
//
//go:embed report.schema.json
var SchemaJSON []byte

const schemaURL = "https://pgqtune.dev/schema/report-v1.json"

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

func compiledSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
		if err != nil {
			schemaErr = fmt.Errorf("report: parse embedded schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(schemaURL, doc); err != nil {
			schemaErr = fmt.Errorf("report: load embedded schema: %w", err)
			return
		}
		schema, schemaErr = c.Compile(schemaURL)
		if schemaErr != nil {
			schemaErr = fmt.Errorf("report: compile embedded schema: %w", schemaErr)
		}
	})
	return schema, schemaErr
}

// ErrInvalid is wrapped by every error ValidateJSON returns for a document
// that does not satisfy the schema (as opposed to a broken schema).
var ErrInvalid = errors.New("report.json does not satisfy report.schema.json")

// ValidateJSON checks a report.json document against the embedded JSON
// Schema. The error wraps ErrInvalid and names the failing locations.
func ValidateJSON(b []byte) error {
	sch, err := compiledSchema()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%w: not JSON: %w", ErrInvalid, err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
