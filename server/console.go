package server

import (
	"net/http"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// maxTagFilter bounds ?tag= (a tag key and value are bounded far below it).
const maxTagFilter = 512

// listEntities answers GET /api/orgs/{org}/entities?kind=…&project=…&tag=key[=value]: one page
// of the stacks, environments or insights accounts the caller may read (its kind's read scope),
// filtered on the server, with their tags. The console's access explorer pages through it.
func (s *Server) listEntities(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	kindName := q.Get("kind")
	if kindName == "" {
		return required("entities", "kind")
	}
	kind, err := authz.ParseEntityKind(kindName)
	if err != nil || kind == authz.KindOrg {
		return invalid("entities", "kind", "unknown entity kind %q: want stack, environment or insights-account", truncate(kindName, 64))
	}
	read, ok := readScopes[kind]
	if !ok {
		return invalid("entities", "kind", "%s cannot be listed", kind)
	}
	var tag tagFilter
	if t := q.Get("tag"); t != "" {
		if len(t) > maxTagFilter {
			return invalid("entities", "tag", "%d bytes; at most %d", len(t), maxTagFilter)
		}
		tag.Key, tag.Value, tag.HasValue = strings.Cut(t, "=")
		if tag.Key == "" {
			return invalid("entities", "tag", "want key or key=value, e.g. tag=env=prod")
		}
	}
	es, next, err := s.visiblePageTagged(r, c, kind, q.Get("project"), tag, read)
	if err != nil {
		return err
	}
	resp := apitype.ListEntitiesResponse{ContinuationToken: next}
	for _, e := range es {
		resp.Entities = append(resp.Entities, apitype.Entity{ID: e.ID, Kind: e.Kind.String(), Project: e.Project, Name: e.Name, Tags: userTags(e.Tags)})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
