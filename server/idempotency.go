package server

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/iamref/iam/server/store"
)

// idempotencyWindow is how long a create's outcome is replayed for its Idempotency-Key.
const idempotencyWindow = 24 * time.Hour

// create runs a create handler at most once per (caller, Idempotency-Key): a retried POST with
// the same key gets the first response back, never a second object, whichever replica it
// reaches. The key is reserved in the transaction of the create's first write (a pending
// entry committed with the change and its audit record, MutationAudit.Reserve), so no retry can
// carry the create out twice, not even after a crash between the write and the answer; the
// answer then completes the entry. The stored response is sealed with a key derived from the
// caller's token value and the idempotency key, neither of which the database holds, so a
// token value in it is not readable from the database.
func (s *Server) create(w http.ResponseWriter, r *http.Request, c *call, resource string, in any, do func() (int, any, error)) error {
	body, err := decodeBody(r, resource, in)
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		status, out, err := do()
		if err != nil {
			return err
		}
		writeJSON(w, status, out)
		return nil
	}
	if len(key) > 255 {
		return invalid(resource, "Idempotency-Key", "header is longer than 255 characters")
	}
	reqHash := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	unlock := s.idem.lock(c.principal.token.ID + "\x00" + key)
	defer unlock()

	prev, err := s.st.GetIdempotent(r.Context(), s.org.Name, c.principal.token.ID, key)
	switch {
	case err == nil && s.now().Sub(prev.Created) < idempotencyWindow:
		return s.replay(w, r, c, key, reqHash[:], prev)
	case err == nil:
		// Older than the window: forget it (and anything older), or PutIdempotent would keep
		// it and a retry of this request would run the create again instead of replaying.
		if err := s.st.PruneIdempotent(r.Context(), prev.Created.Add(time.Microsecond)); err != nil {
			return err
		}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if c.audit != nil {
		c.audit.Reserve(store.Idempotent{Org: s.org.Name, Principal: c.principal.token.ID, Key: key,
			RequestHash: reqHash[:], Created: s.now().UTC()})
	}
	status, out, err := do()
	if err != nil {
		// ErrKeyReserved, or a refusal caused by the object the winner created (a name now
		// taken): another replica ran this key's request first and committed. Answer as it did.
		if prev, gerr := s.st.GetIdempotent(r.Context(), s.org.Name, c.principal.token.ID, key); gerr == nil {
			return s.replay(w, r, c, key, reqHash[:], prev)
		}
		return err // failures are not remembered: the retry runs again
	}
	plain, err := json.Marshal(out)
	if err != nil {
		return err
	}
	sealed, err := seal(c.principal.value, key, plain)
	if err != nil {
		return err
	}
	if _, _, err := s.st.PutIdempotent(r.Context(), store.Idempotent{
		Org: s.org.Name, Principal: c.principal.token.ID, Key: key, RequestHash: reqHash[:],
		Status: status, Body: sealed, Created: s.now().UTC(),
	}); err != nil {
		s.log.Error("remembering an idempotent create's answer failed; a retry will be told it was carried out", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(plain, '\n'))
	return nil
}

// pendingWait bounds how long a retry waits for the answer of the same key's request still
// running (on another replica) before it is told to come back.
const pendingWait = 2 * time.Second

// replay answers a request whose Idempotency-Key was used before (prev): the stored answer,
// after waiting up to pendingWait for one still being written; a 422 if the key was used for
// another request; a 409 if the request was carried out but its answer is lost.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, c *call, key string, reqHash []byte, prev store.Idempotent) error {
	if !bytes.Equal(prev.RequestHash, reqHash) {
		return errorf(http.StatusUnprocessableEntity, "Idempotency-Key %q was already used for a different request; use a new key for a new request", key)
	}
	for deadline := time.Now().Add(pendingWait); prev.Status == store.IdempotentPending && time.Now().Before(deadline); {
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(20 * time.Millisecond):
		}
		var err error
		if prev, err = s.st.GetIdempotent(r.Context(), s.org.Name, c.principal.token.ID, key); err != nil {
			return err
		}
	}
	if prev.Status == store.IdempotentPending {
		if s.now().Sub(prev.Created) < pendingWait {
			w.Header().Set("Retry-After", "1")
			return errorf(http.StatusConflict, "a request with Idempotency-Key %q is still being carried out; retry shortly to get its answer", key)
		}
		return errorf(http.StatusConflict, "the request with Idempotency-Key %q was carried out, but its answer was lost (the server running it stopped before answering); "+
			"it is not carried out twice: read or list the object it created instead", key)
	}
	plain, err := unseal(c.principal.value, key, prev.Body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	_, _ = w.Write(plain)
	return nil
}

func sealKey(tokenValue, idemKey string) []byte {
	k := sha256.Sum256([]byte("iamref idempotency v1\x00" + tokenValue + "\x00" + idemKey))
	return k[:]
}

// aeadFor is the cipher that seals one stored response.
func aeadFor(tokenValue, idemKey string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(sealKey(tokenValue, idemKey))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(tokenValue, idemKey string, plain []byte) ([]byte, error) {
	aead, err := aeadFor(tokenValue, idemKey)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, nil), nil
}

func unseal(tokenValue, idemKey string, sealed []byte) ([]byte, error) {
	aead, err := aeadFor(tokenValue, idemKey)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("stored idempotent response is corrupt")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
}
