package runrec

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is runrec/report.schema.json, the published JSON Schema of the
// report.json contract (schema_version 1). It lives beside the Report type
// it describes so that the contract, its types and its check change
// together, and a package that writes or reads report.json (report,
// results) validates it without depending on the renderer.
//
//go:embed report.schema.json
var SchemaJSON []byte

const schemaURL = "https://pgqtune.dev/schema/report-v1.json"

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// compiledSchema compiles SchemaJSON once per process: compiling is far
// slower than validating, and every report written or loaded needs it.
func compiledSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
		if err != nil {
			schemaErr = fmt.Errorf("runrec: parse embedded report schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(schemaURL, doc); err != nil {
			schemaErr = fmt.Errorf("runrec: load embedded report schema: %w", err)
			return
		}
		schema, schemaErr = c.Compile(schemaURL)
		if schemaErr != nil {
			schemaErr = fmt.Errorf("runrec: compile embedded report schema: %w", schemaErr)
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
