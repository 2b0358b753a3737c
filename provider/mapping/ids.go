package mapping

import (
	"fmt"
	"strings"
)

// ResourceID is the ID of every resource of both front ends: "{org}/{id}" with the effective
// organization and the server's record or token ID.
func ResourceID(org, id string) string { return org + "/" + id }

// SplitID splits "{org}/{id}"; ok is false for anything else.
func SplitID(id string) (org, rid string, ok bool) {
	org, rid, ok = strings.Cut(id, "/")
	return org, rid, ok && org != "" && rid != "" && !strings.Contains(rid, "/")
}

// ParseID reads a resource or import ID: "{org}/{id}", or a bare ID in the provider's
// organization.
func (p *Provider) ParseID(id string) (org, rid string, err error) {
	if strings.Contains(id, "/") {
		org, rid, ok := SplitID(id)
		if !ok {
			return "", "", fmt.Errorf("ID %q: want \"{organization}/{id}\"", id)
		}
		return org, rid, nil
	}
	org, err = p.Org("")
	if err != nil {
		return "", "", fmt.Errorf("ID %q: want \"{organization}/{id}\": %w", id, err)
	}
	return org, id, nil
}

// ImportOrg is the organization input of an imported resource: "" when it is the provider's
// own, so that a program or configuration that does not set one plans no replacement.
func (p *Provider) ImportOrg(org string) string {
	if org == p.cfg.Organization {
		return ""
	}
	return org
}
