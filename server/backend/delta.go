package backend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// edit is one element of a checkpoint delta (the CLI's gotextdiff.TextEdit): replace the
// bytes from Span.Start.Offset to Span.End.Offset of the previous checkpoint by NewText.
type edit struct {
	Span struct {
		Start struct {
			Offset int `json:"offset"`
		} `json:"start"`
		End struct {
			Offset int `json:"offset"`
		} `json:"end"`
	}
	NewText string
}

// ApplyDelta applies a checkpoint delta to base, the checkpoint the update saved last, and
// checks the result against wantHash (hex SHA-256, as the CLI computes it). maxSize bounds
// the result. Edits must be in order and must not overlap.
func ApplyDelta(base []byte, delta json.RawMessage, wantHash string, maxSize int) ([]byte, error) {
	var edits []edit
	if err := json.Unmarshal(delta, &edits); err != nil {
		return nil, fmt.Errorf("deploymentDelta: not a list of text edits: %v", err)
	}
	size, pos := len(base), 0
	for i, e := range edits {
		start, end := e.Span.Start.Offset, e.Span.End.Offset
		if start < pos || end < start || end > len(base) {
			return nil, fmt.Errorf("deploymentDelta[%d]: span %d..%d is out of order or outside the previous checkpoint (%d bytes)", i, start, end, len(base))
		}
		size += len(e.NewText) - (end - start)
		pos = end
	}
	if size > maxSize {
		return nil, &TooLargeError{Size: size, Max: maxSize}
	}
	out := make([]byte, 0, size)
	pos = 0
	for _, e := range edits {
		start, end := e.Span.Start.Offset, e.Span.End.Offset
		out = append(out, base[pos:start]...)
		out = append(out, e.NewText...)
		pos = end
	}
	out = append(out, base[pos:]...)
	sum := sha256.Sum256(out)
	if got := hex.EncodeToString(sum[:]); got != wantHash {
		return nil, fmt.Errorf("checkpointHash: the delta applied to the stored checkpoint hashes to %s, not %s; send the whole checkpoint (checkpointverbatim)", got, wantHash)
	}
	return out, nil
}

// TooLargeError is a checkpoint beyond the server's limit.
type TooLargeError struct{ Size, Max int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the checkpoint would be %d bytes; this server stores at most %d", e.Size, e.Max)
}
