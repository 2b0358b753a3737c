package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	papi "github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/backend"
	"github.com/iamref/iam/server/store"
)

// The Pulumi state backend: the part of Pulumi Cloud's service API that the CLI's cloud
// backend (pkg/backend/httpstate) uses to keep a stack's state, so that `pulumi login
// http://<server>` then `pulumi up` runs through this server and every call is authorized
// with the scope Pulumi Cloud uses for it. Request and response bodies are Pulumi's own types
// (sdk/go/common/apitype, imported as papi).

// Scopes of the backend's update kinds.
var (
	stackWrite   = authz.MustScope("stack:write")
	stackDelete  = authz.MustScope("stack:delete")
	stackEncrypt = authz.MustScope("stack:encrypt")
	stackDecrypt = authz.MustScope("stack:decrypt")
)

// kindScope is the scope an update of this kind needs (Pulumi Cloud's): previews read,
// updates and refreshes write, destroys delete.
func kindScope(kind string) authz.Scope {
	switch kind {
	case "preview":
		return stackRead
	case "destroy":
		return stackDelete
	default:
		return stackWrite
	}
}

// Backend limits and defaults.
const (
	DefaultMaxCheckpointBytes = 64 << 20
	defaultLeaseDuration      = 5 * time.Minute
	maxLeaseDuration          = time.Hour
	maxBatchValues            = 10_000
	maxProgramBytes           = 256 << 10
	deltaCutoffBytes          = 1024 // checkpoints this large go as deltas (capability delta-checkpoint-uploads-v2)
	// stillHasResources is the message the CLI recognises to suggest `--force`.
	stillHasResources = "Bad Request: Stack still contains resources."
)

// cliBody reads a body the Pulumi CLI sent (gzip when Content-Encoding says so; the
// decompressed size is bounded by limit as the raw one is) and decodes it into v. The CLI's
// bodies are Pulumi's types: unknown fields are refused, nulls are accepted (the CLI sends
// null for empty maps).
func cliBody(r *http.Request, resource string, v any, limit int64) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return invalid(resource, "body", "Content-Encoding is gzip but the body is not gzip data: %v", err)
		}
		body, err = io.ReadAll(io.LimitReader(zr, limit+1))
		if err != nil {
			return invalid(resource, "body", "the gzip body is corrupt: %v", err)
		}
		if int64(len(body)) > limit {
			return errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes once decompressed", limit)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid(resource, "body", "a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return invalid(resource, typeErr.Field, "want %s, got a JSON %s", typeErr.Type, typeErr.Value)
		}
		if field, ok := unknownField(err); ok {
			return invalid(resource, field, "unknown field; check the spelling against the API reference")
		}
		return invalid(resource, "body", "invalid JSON: %v", err)
	}
	if dec.More() {
		return invalid(resource, "body", "trailing data after the JSON object")
	}
	return nil
}

// GET /api/capabilities: what this backend supports beyond the base protocol.
func (s *Server) getCapabilities(w http.ResponseWriter, r *http.Request, c *call) error {
	cfg, _ := json.Marshal(papi.DeltaCheckpointUploadsConfigV2{CheckpointCutoffSizeBytes: deltaCutoffBytes})
	writeJSON(w, http.StatusOK, papi.CapabilitiesResponse{Capabilities: []papi.APICapabilityConfig{
		{Capability: papi.DeltaCheckpointUploadsV2, Version: 2, Configuration: cfg},
		{Capability: papi.BatchEncrypt},
	}})
	return nil
}

// cliTags are the "pulumi:" tags the CLI sets on a stack from its project (Pulumi's
// ProjectNameTag, ProjectRuntimeTag, ProjectDescriptionTag, ProjectTemplateTag). Conditions
// never see them (userTags); every other "pulumi:" name stays reserved.
var cliTags = map[string]bool{papi.ProjectNameTag: true, papi.ProjectRuntimeTag: true, papi.ProjectDescriptionTag: true, papi.ProjectTemplateTag: true}

// stackTags validates a stack's tags from the CLI: the caller's as validTags wants them, and
// the CLI's own "pulumi:" tags.
func stackTags(tags map[string]string) error {
	user := map[string]string{}
	for k, v := range tags {
		if cliTags[k] {
			if len(v) > maxTagValue || !utf8.ValidString(v) {
				return invalid("stack", "tags."+k, "tag values are valid UTF-8 of at most %d bytes", maxTagValue)
			}
			continue
		}
		user[k] = v
	}
	return validTags("stack", user)
}

// reservedTags are the "pulumi:" tags of tags.
func reservedTags(tags map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tags {
		if cliTags[k] {
			out[k] = v
		}
	}
	return out
}

// stackResponse is a stack with its backend state (version, running update).
func (s *Server) stackResponse(ctx context.Context, e store.Entity) (papi.Stack, error) {
	st, err := s.st.GetStackState(ctx, s.org.Name, e.ID)
	if err != nil {
		return papi.Stack{}, err
	}
	tags := map[papi.StackTagName]string{}
	for k, v := range e.Tags {
		tags[k] = v
	}
	out := papi.Stack{ID: e.ID, OrgName: s.org.Name, ProjectName: e.Project, StackName: tokens.QName(e.Name),
		ActiveUpdate: st.ActiveUpdate, Tags: tags, Version: st.Version}
	if st.ActiveUpdate != "" {
		if u, err := s.st.GetUpdate(ctx, s.org.Name, st.ActiveUpdate); err == nil {
			out.CurrentOperation = &papi.OperationStatus{Kind: papi.UpdateKind(u.Kind), Author: u.Actor, Started: u.Started.Unix()}
		}
	}
	return out, nil
}

// DELETE /api/stacks/{org}/{project}/{stack}: refused while an update runs, and while the
// latest state holds resources unless ?force=true.
func (s *Server) deleteStack(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.st.GetStackState(r.Context(), s.org.Name, c.entity.ID)
	if err != nil {
		return err
	}
	if st.ActiveUpdate != "" {
		return refused("stack", "activeUpdate", "update %s is running on stack %s; wait for it or run `pulumi cancel` first", st.ActiveUpdate, qualified(c.entity.Project, c.entity.Name))
	}
	if n := st.Resources; n > 0 && r.URL.Query().Get("force") != "true" {
		e := errorf(http.StatusBadRequest, stillHasResources)
		e.fields = []apitype.FieldError{{Resource: "stack", Attribute: "force", ErrorType: "invalid",
			CustomMessage: fmt.Sprintf("the stack's state holds %d resources: run `pulumi destroy` first, or delete with force=true (`pulumi stack rm --force`)", n)}}
		return e
	}
	return s.deleteEntity(w, r, c)
}

// POST /api/stacks/{org}/{project}/{stack}/rename: keeps the stack's ID, so its state, keys
// and grants follow it (grants name stacks by ID and conditions see tags, never names: a
// rename gives no one new rights). Refused while an update runs.
func (s *Server) renameStack(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.StackRenameRequest
	if err := cliBody(r, "stack", &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	project, name := req.NewProject, req.NewName
	if project == "" {
		project = c.entity.Project
	}
	if name == "" {
		name = c.entity.Name
	}
	if err := validName("project", project, maxProjectName); err != nil {
		return invalid("stack", "newProject", "%s", err.Error())
	}
	if err := validName("stack name", name, maxEntityName); err != nil {
		return invalid("stack", "newName", "%s", err.Error())
	}
	st, err := s.st.GetStackState(r.Context(), s.org.Name, c.entity.ID)
	if err != nil {
		return err
	}
	if st.ActiveUpdate != "" {
		return refused("stack", "activeUpdate", "update %s is running on the stack; rename it when it has ended", st.ActiveUpdate)
	}
	c.detail = "renamed to " + qualified(project, name)
	if _, err := s.st.RenameEntity(r.Context(), s.org.Name, c.entity.ID, project, name, s.stamp()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("stack", "newName", "stack %s/%s already exists", s.org.Name, qualified(project, name))
		}
		return err
	}
	s.ents.drop(c.entity)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Secrets: the service secrets provider. Each stack has a data key, made on its first secret
// and stored sealed under the server's master key; plaintexts and keys never leave the server.

// stackKeys caches opened stack keys by stack ID.
type stackKeys struct {
	mu   sync.Mutex
	keys map[string]*backend.StackKey
}

func (s *Server) stackKey(ctx context.Context, stackID string) (*backend.StackKey, error) {
	if s.cfg.SecretsKey == nil {
		return nil, errorf(http.StatusServiceUnavailable, "this server has no secrets key (iam-server serve --secrets-key-file), so it cannot encrypt or decrypt: use a passphrase stack (`pulumi stack init --secrets-provider passphrase`)")
	}
	s.secretKeys.mu.Lock()
	k := s.secretKeys.keys[stackID]
	s.secretKeys.mu.Unlock()
	if k != nil {
		return k, nil
	}
	fresh, err := s.cfg.SecretsKey.NewSealedStackKey(stackID)
	if err != nil {
		return nil, err
	}
	sealed, err := s.st.EnsureStackKey(ctx, s.org.Name, stackID, fresh)
	if err != nil {
		return nil, err
	}
	if k, err = s.cfg.SecretsKey.StackKey(stackID, sealed); err != nil {
		return nil, err
	}
	s.secretKeys.mu.Lock()
	if s.secretKeys.keys == nil || len(s.secretKeys.keys) >= maxCached {
		s.secretKeys.keys = map[string]*backend.StackKey{}
	}
	s.secretKeys.keys[stackID] = k
	s.secretKeys.mu.Unlock()
	return k, nil
}

func (s *Server) encryptValue(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.EncryptValueRequest
	if err := cliBody(r, "secret", &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	k, err := s.stackKey(r.Context(), c.entity.ID)
	if err != nil {
		return err
	}
	ct, err := k.Encrypt(req.Plaintext)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, papi.EncryptValueResponse{Ciphertext: ct})
	return nil
}

func (s *Server) batchEncrypt(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.BatchEncryptRequest
	if err := cliBody(r, "secret", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	if len(req.Plaintexts) > maxBatchValues {
		return invalid("secret", "plaintexts", "%d values; at most %d per batch", len(req.Plaintexts), maxBatchValues)
	}
	k, err := s.stackKey(r.Context(), c.entity.ID)
	if err != nil {
		return err
	}
	resp := papi.BatchEncryptResponse{Ciphertexts: make([][]byte, len(req.Plaintexts))}
	for i, p := range req.Plaintexts {
		if resp.Ciphertexts[i], err = k.Encrypt(p); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) decryptValue(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.DecryptValueRequest
	if err := cliBody(r, "secret", &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	k, err := s.stackKey(r.Context(), c.entity.ID)
	if err != nil {
		return err
	}
	p, err := k.Decrypt(req.Ciphertext)
	if err != nil {
		return invalid("secret", "ciphertext", "%v", err)
	}
	writeJSON(w, http.StatusOK, papi.DecryptValueResponse{Plaintext: p})
	return nil
}

func (s *Server) batchDecrypt(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.BatchDecryptRequest
	if err := cliBody(r, "secret", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	if len(req.Ciphertexts) > maxBatchValues {
		return invalid("secret", "ciphertexts", "%d values; at most %d per batch", len(req.Ciphertexts), maxBatchValues)
	}
	k, err := s.stackKey(r.Context(), c.entity.ID)
	if err != nil {
		return err
	}
	resp := papi.BatchDecryptResponse{Plaintexts: make(map[string][]byte, len(req.Ciphertexts))}
	for i, ct := range req.Ciphertexts {
		p, err := k.Decrypt(ct)
		if err != nil {
			return invalid("secret", fmt.Sprintf("ciphertexts[%d]", i), "%v", err)
		}
		resp.Plaintexts[base64.StdEncoding.EncodeToString(ct)] = p
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// logDecryption records that the CLI decrypted a stack's secrets with a provider of its own
// (a passphrase, a cloud KMS): the service only logs it.
func (s *Server) logDecryption(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.Log3rdPartyDecryptionEvent
	if err := cliBody(r, "stack", &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	c.note = truncate(fmt.Sprintf("secrets decrypted by the CLI's own secrets provider (secret %q, command %q)", req.SecretName, req.CommandName), 512)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Export and import.

// emptyDeployment is what a stack that was never updated exports.
var emptyDeployment = []byte(`{"version":3,"deployment":{}}`)

func (s *Server) exportStack(w http.ResponseWriter, r *http.Request, c *call) error {
	version := 0
	if v := r.PathValue("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return invalid("stack", "version", "%q is not a stack version (an integer from 1)", v)
		}
		version = n
	}
	cp, err := s.st.GetCheckpoint(r.Context(), s.org.Name, c.entity.ID, version)
	switch {
	case errors.Is(err, store.ErrNotFound) && version == 0:
		cp.Deployment = emptyDeployment
	case errors.Is(err, store.ErrNotFound):
		return notFound("stack", "stack %s has no state at version %d", qualified(c.entity.Project, c.entity.Name), version)
	case err != nil:
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cp.Deployment)
	return nil
}

// untyped checks that b is an UntypedDeployment (a JSON object with a version and a
// deployment object) and counts its resources.
func untyped(b []byte, attribute string) (resources int, err error) {
	var d struct {
		Version    int `json:"version"`
		Deployment *struct {
			Resources []json.RawMessage `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return 0, invalid("checkpoint", attribute, "not a deployment (want {\"version\": …, \"deployment\": {…}}): %v", err)
	}
	if d.Version < 1 || d.Deployment == nil {
		return 0, invalid("checkpoint", attribute, "want {\"version\": 1 or more, \"deployment\": {…}}")
	}
	return len(d.Deployment.Resources), nil
}

func (s *Server) importStack(w http.ResponseWriter, r *http.Request, c *call) error {
	var d papi.UntypedDeployment
	if err := cliBody(r, "stack", &d, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	resources, err := untyped(body, "body")
	if err != nil {
		return err
	}
	u := store.Update{ID: newID(), Org: s.org.Name, StackID: c.entity.ID, Kind: "import", TokenID: c.principal.token.ID,
		Actor: c.principal.name(), Program: []byte(`{}`), Created: s.stamp()}
	c.detail = "import update " + u.ID
	u, err = s.st.ImportCheckpoint(r.Context(), u, body, resources)
	if errors.Is(err, store.ErrUpdateConflict) {
		return updateConflict(err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, papi.ImportStackResponse{UpdateID: u.ID})
	return nil
}

func updateConflict(err error) error {
	return refused("update", "stack", "Another update is currently in progress (%v). Wait for it, or run `pulumi cancel` if it crashed.", err)
}

// Updates.

// createUpdate is POST …/{preview|update|refresh|destroy}: the route's scope is the kind's.
// An update asked for as a dry run (the preview phase of `pulumi up`) is stored as a preview:
// it writes no state and holds no lock.
func (s *Server) createUpdate(kind string) func(w http.ResponseWriter, r *http.Request, c *call) error {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		var req papi.UpdateProgramRequest
		if err := cliBody(r, "update", &req, s.cfg.MaxBodyBytes); err != nil {
			return err
		}
		if req.Name != c.entity.Project {
			return invalid("update", "name", "the program's project is %q, the stack's %q", req.Name, c.entity.Project)
		}
		program, err := json.Marshal(req)
		if err != nil {
			return err
		}
		if len(program) > maxProgramBytes {
			return errorf(http.StatusRequestEntityTooLarge, "the update program request is %d bytes; at most %d", len(program), maxProgramBytes)
		}
		k := kind
		if req.Options.DryRun {
			k = "preview"
		}
		u := store.Update{ID: newID(), Org: s.org.Name, StackID: c.entity.ID, Kind: k, TokenID: c.principal.token.ID,
			Actor: c.principal.name(), Program: program, Created: s.stamp()}
		c.detail = k + " update " + u.ID + " created"
		if err := s.st.CreateUpdate(r.Context(), u); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, papi.UpdateProgramResponse{UpdateID: u.ID})
		return nil
	}
}

// pathUpdate is the update the path names, which must be of the path's stack.
func (s *Server) pathUpdate(r *http.Request, c *call) (store.Update, error) {
	id := r.PathValue("updateID")
	u, err := s.st.GetUpdate(r.Context(), s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.StackID != c.entity.ID {
		return store.Update{}, notFound("update", "update %q not found on stack %s", truncate(id, 64), qualified(c.entity.Project, c.entity.Name))
	}
	return u, err
}

// requireScope refuses a call whose principal lacks scope on the stack (a 403 like admit's).
func requireScope(c *call, scope authz.Scope) error {
	ex := c.principal.index.Explain(scope.ID, targetOf(c.entity))
	if ex.Decision {
		return nil
	}
	return forbidden(c.principal, scope, ex)
}

// startUpdate is POST …/update/{updateID}: only the token that created the update may start
// it, and it must still hold the kind's scope. It answers the lease the update's later calls
// carry. The start replaces the stack's "pulumi:" tags with the CLI's (the caller's own tags
// change only through PATCH …/tags and stack_tags:update).
func (s *Server) startUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.StartUpdateRequest
	if err := cliBody(r, "update", &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	u, err := s.pathUpdate(r, c)
	if err != nil {
		return err
	}
	if u.TokenID != c.principal.token.ID {
		return &denial{err: errorf(http.StatusForbidden, "update %s was created by another token; only that token may start it", u.ID),
			reason: "start of an update created by token " + u.TokenID}
	}
	if err := requireScope(c, kindScope(u.Kind)); err != nil {
		return err
	}
	tags := reservedTags(req.Tags)
	if err := stackTags(tags); err != nil {
		return err
	}
	value, hash, err := backend.NewLease()
	if err != nil {
		return err
	}
	expires := s.now().Add(s.cfg.LeaseDuration).Unix()
	c.detail = u.Kind + " update " + u.ID + " started"
	u, err = s.st.StartUpdate(r.Context(), s.org.Name, u.ID, hash, expires, s.stamp())
	switch {
	case errors.Is(err, store.ErrUpdateConflict):
		return updateConflict(err)
	case errors.Is(err, store.ErrConflict):
		return refused("update", "updateID", "update %s was started already", r.PathValue("updateID"))
	case err != nil:
		return err
	}
	if u.Kind != "preview" && len(tags) > 0 {
		merged := userTags(c.entity.Tags)
		if merged == nil {
			merged = map[string]string{}
		} else {
			merged = cloneTags(merged)
		}
		for k, v := range tags {
			merged[k] = v
		}
		if !sameTags(merged, c.entity.Tags) {
			if _, err := s.st.UpdateEntityTags(r.Context(), s.org.Name, c.entity.ID, merged, s.stamp()); err != nil {
				return err
			}
			s.ents.drop(c.entity)
		}
	}
	writeJSON(w, http.StatusOK, papi.StartUpdateResponse{Version: u.Version, Token: value, TokenExpiration: expires})
	return nil
}

func cloneTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sameTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// wireStatus is an update's status as the CLI knows them (it has no "cancelled").
func wireStatus(status string) papi.UpdateStatus {
	if status == store.UpdateCancelled {
		return papi.StatusFailed
	}
	return papi.UpdateStatus(status)
}

// getUpdateStatus is GET …/update/{updateID}: the update's status (the CLI polls it while an
// import runs). Engine events are counted, not kept, so none are returned.
func (s *Server) getUpdateStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.pathUpdate(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, papi.UpdateResults{Status: wireStatus(u.Status), Events: []papi.UpdateEvent{}})
	return nil
}

// cancelUpdate is POST …/update/{updateID}/cancel (`pulumi cancel`): ends a running or not
// started update, so that a crashed one stops holding the stack.
func (s *Server) cancelUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.pathUpdate(r, c)
	if err != nil {
		return err
	}
	c.detail = u.Kind + " update " + u.ID + " cancelled (started by token " + u.TokenID + ")"
	if _, err := s.st.EndUpdate(r.Context(), s.org.Name, u.ID, store.UpdateCancelled, s.stamp()); errors.Is(err, store.ErrNotFound) {
		return refused("update", "updateID", "update %s has ended already (%s)", u.ID, u.Status)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getHistory is GET …/updates?pageSize=&page=: the updates that wrote state, newest first.
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	size, page := 100, 1
	q := r.URL.Query()
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return invalid("stack", "pageSize", "want an integer from 1 to %d", maxPageSize)
		}
		size = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return invalid("stack", "page", "want an integer from 1")
		}
		page = n
	}
	us, err := s.st.ListUpdates(r.Context(), s.org.Name, c.entity.ID, (page-1)*size, size)
	if err != nil {
		return err
	}
	resp := papi.GetHistoryResponse{Updates: []papi.UpdateInfo{}}
	for _, u := range us {
		var prog papi.UpdateProgramRequest
		_ = json.Unmarshal(u.Program, &prog) // stored by createUpdate; "{}" for imports
		info := papi.UpdateInfo{Kind: papi.UpdateKind(u.Kind), StartTime: u.Started.Unix(), Message: prog.Metadata.Message,
			Environment: prog.Metadata.Environment, Config: prog.Config, Version: u.Version}
		if info.Environment == nil {
			info.Environment = map[string]string{}
		}
		if info.Config == nil {
			info.Config = map[string]papi.ConfigValue{}
		}
		switch u.Status {
		case store.UpdateRunning:
			info.Result = papi.InProgressResult
		case store.UpdateSucceeded:
			info.Result = papi.SucceededResult
		default:
			info.Result = papi.FailedResult
		}
		if !u.Ended.IsZero() {
			info.EndTime = u.Ended.Unix()
		}
		resp.Updates = append(resp.Updates, info)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// Calls under an update's lease ("Authorization: update-token …").

// leaseValue extracts the lease from "Authorization: update-token <value>".
func leaseValue(r *http.Request) (string, bool) {
	scheme, value, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "update-token") {
		return "", false
	}
	value = strings.TrimSpace(value)
	return value, backend.ValidLease(value)
}

// admitLease authenticates a call under an update's lease: the lease must be the update's
// current one, unexpired, for a running update of the path's stack; the call then acts as the
// token that started the update, which must still be valid and still hold the update kind's
// scope on the stack. An API token is never a lease (nor a lease an API token).
func (s *Server) admitLease(r *http.Request, rt *route, c *call) error {
	bad := func(msg, reason string) error {
		return &denial{err: errorf(http.StatusUnauthorized, "%s", msg), reason: reason}
	}
	value, ok := leaseValue(r)
	if !ok && r.Header.Get("Authorization") == "" {
		return bad("missing Authorization header: this call takes the update's lease, \"Authorization: update-token <token>\"", "no token")
	}
	if !ok {
		return bad("this call takes the update's lease: send \"Authorization: update-token <token>\" with the token the update's start answered", "no update lease")
	}
	if org := r.PathValue("org"); org != s.org.Name {
		c.label = label(authz.KindOrg, "", truncate(org, 64))
		return &denial{err: notFound("organization", "organization %q not found (this server serves %q)", org, s.org.Name), reason: "organization not served here"}
	}
	u, err := s.st.GetUpdate(r.Context(), s.org.Name, r.PathValue("updateID"))
	if errors.Is(err, store.ErrNotFound) {
		return bad("invalid or expired update lease", "unknown update")
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(u.LeaseHash, backend.LeaseHash(value)) != 1 {
		return bad("invalid or expired update lease", "lease does not match the update's")
	}
	if u.Status != store.UpdateRunning {
		return bad(fmt.Sprintf("update %s is %s; its lease is no longer valid", u.ID, u.Status), "update not running")
	}
	if s.now().Unix() >= u.LeaseExpires {
		return bad(fmt.Sprintf("the lease of update %s expired at %s; run `pulumi cancel` and start again", u.ID, time.Unix(u.LeaseExpires, 0).UTC().Format(time.RFC3339)), "lease expired")
	}
	tok, err := s.tokens.byID(r.Context(), s.org.Name, u.TokenID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (tok.Deleted || tok.Expires != 0 && s.now().Unix() >= tok.Expires) {
		return bad(fmt.Sprintf("the token that started update %s was revoked or expired; the update cannot go on", u.ID), "starting token revoked")
	}
	if err != nil {
		return err
	}
	cr, err := s.indexes.forToken(r.Context(), tok)
	if err != nil {
		return err
	}
	c.principal = &principal{token: tok, index: cr.ix, roleName: cr.name, subject: cr.subject}
	c.update = u
	scoped := *rt
	scoped.scope = kindScope(u.Kind)
	ex, err := s.authorize(r, &scoped, c)
	if err != nil {
		return err
	}
	if !ex.Decision {
		return forbidden(c.principal, scoped.scope, ex)
	}
	if c.entity.ID != u.StackID {
		return bad("invalid or expired update lease", "lease of another stack's update")
	}
	c.authorized = true
	return nil
}

// saveCheckpoint stores a checkpoint of the running update, bounded by MaxCheckpointBytes.
func (s *Server) saveCheckpoint(ctx context.Context, c *call, deployment []byte, resources int) error {
	if int64(len(deployment)) > s.cfg.MaxCheckpointBytes {
		return errorf(http.StatusRequestEntityTooLarge, "the checkpoint is %d bytes; this server stores at most %d (iam-server serve --max-checkpoint-bytes)", len(deployment), s.cfg.MaxCheckpointBytes)
	}
	if c.update.Kind == "preview" {
		return invalid("checkpoint", "updateID", "update %s is a preview, which writes no state", c.update.ID)
	}
	if err := s.st.SaveCheckpoint(ctx, s.org.Name, c.update.ID, deployment, resources, s.stamp()); errors.Is(err, store.ErrNotFound) {
		return refused("checkpoint", "updateID", "update %s is no longer running", c.update.ID)
	} else if err != nil {
		return err
	}
	return nil
}

// PATCH …/checkpoint: the whole deployment, as Pulumi's typed request.
func (s *Server) patchCheckpoint(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.PatchUpdateCheckpointRequest
	if err := cliBody(r, "checkpoint", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	if req.IsInvalid {
		return invalid("checkpoint", "isInvalid", "the CLI marked this checkpoint invalid; it is not stored")
	}
	b, err := json.Marshal(papi.UntypedDeployment{Version: req.Version, Features: req.Features, Deployment: req.Deployment})
	if err != nil {
		return err
	}
	resources, err := untyped(b, "deployment")
	if err != nil {
		return err
	}
	if err := s.saveCheckpoint(r.Context(), c, b, resources); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PATCH …/checkpointverbatim: the deployment's bytes exactly as the CLI serialised them (the
// base of its later deltas).
func (s *Server) patchCheckpointVerbatim(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.PatchUpdateVerbatimCheckpointRequest
	if err := cliBody(r, "checkpoint", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	resources, err := untyped(req.UntypedDeployment, "untypedDeployment")
	if err != nil {
		return err
	}
	if err := s.saveCheckpoint(r.Context(), c, req.UntypedDeployment, resources); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PATCH …/checkpointdelta: text edits to the checkpoint this update saved last, checked
// against the CLI's hash of the result. Any refusal makes the CLI send the whole checkpoint.
func (s *Server) patchCheckpointDelta(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.PatchUpdateCheckpointDeltaRequest
	if err := cliBody(r, "checkpoint", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	base, err := s.st.GetCheckpoint(r.Context(), s.org.Name, c.update.StackID, c.update.Version)
	if errors.Is(err, store.ErrNotFound) || err == nil && base.UpdateID != c.update.ID {
		return refused("checkpoint", "deploymentDelta", "update %s has saved no checkpoint to apply a delta to; send the whole checkpoint (checkpointverbatim)", c.update.ID)
	}
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(base.Deployment); hex.EncodeToString(sum[:]) == req.CheckpointHash {
		w.WriteHeader(http.StatusNoContent) // a retry of a delta already applied
		return nil
	}
	next, err := backend.ApplyDelta(base.Deployment, req.DeploymentDelta, req.CheckpointHash, int(s.cfg.MaxCheckpointBytes))
	var tooLarge *backend.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "%v", err)
	case err != nil:
		attr, msg, _ := strings.Cut(err.Error(), ": ")
		return invalid("checkpoint", attr, "%s", msg)
	}
	resources, err := untyped(next, "deploymentDelta")
	if err != nil {
		return err
	}
	if err := s.saveCheckpoint(r.Context(), c, next, resources); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST …/events/batch: engine events are counted, not kept.
func (s *Server) postEngineEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := cliBody(r, "events", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	if len(req.Events) > maxBatchValues {
		return invalid("events", "events", "%d events; at most %d per batch", len(req.Events), maxBatchValues)
	}
	if err := s.st.AddUpdateEvents(r.Context(), s.org.Name, c.update.ID, len(req.Events)); errors.Is(err, store.ErrNotFound) {
		return refused("events", "updateID", "update %s is no longer running", c.update.ID)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST …/renew_lease: extends the lease (at most an hour at a time). The value stays the
// same, so calls in flight with it stay valid.
func (s *Server) renewLease(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.RenewUpdateLeaseRequest
	if err := cliBody(r, "lease", &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	d := time.Duration(req.Duration) * time.Second
	if d <= 0 || d > maxLeaseDuration {
		return invalid("lease", "duration", "%d seconds; want 1 to %d", req.Duration, int(maxLeaseDuration/time.Second))
	}
	value, _ := leaseValue(r)
	expires := s.now().Add(d).Unix()
	if err := s.st.RenewLease(r.Context(), s.org.Name, c.update.ID, c.update.LeaseHash, expires); errors.Is(err, store.ErrNotFound) {
		return refused("lease", "updateID", "update %s is no longer running", c.update.ID)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, papi.RenewUpdateLeaseResponse{Token: value, TokenExpiration: expires})
	return nil
}

// POST …/complete: ends the update with the CLI's status.
func (s *Server) completeUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	var req papi.CompleteUpdateRequest
	if err := cliBody(r, "update", &req, s.cfg.MaxCheckpointBytes); err != nil {
		return err
	}
	if req.Status != papi.StatusSucceeded && req.Status != papi.StatusFailed {
		return invalid("update", "status", "%q; want %q or %q", req.Status, papi.StatusSucceeded, papi.StatusFailed)
	}
	c.detail = fmt.Sprintf("%s update %s %s (started by token %s)", c.update.Kind, c.update.ID, req.Status, c.update.TokenID)
	if _, err := s.st.EndUpdate(r.Context(), s.org.Name, c.update.ID, string(req.Status), s.stamp()); errors.Is(err, store.ErrNotFound) {
		return refused("update", "updateID", "update %s has ended already", c.update.ID)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
