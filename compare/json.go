package compare

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON prints the comparison as one JSON document.
func (c *Comparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("compare: encode comparison: %w", err)
	}
	return nil
}
