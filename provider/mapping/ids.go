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

// AssignmentID is the ID of a TeamRoleAssignment: "{org}/{team}/{roleId}".
func AssignmentID(org, team, roleID string) string { return org + "/" + team + "/" + roleID }

// ParseAssignmentID reads a TeamRoleAssignment's resource or import ID: "{org}/{team}/{roleId}",
// or "{team}/{roleId}" in the provider's organization.
func (p *Provider) ParseAssignmentID(id string) (org, team, roleID string, err error) {
	parts := strings.Split(id, "/")
	for _, s := range parts {
		if s == "" {
			parts = nil
		}
	}
	switch len(parts) {
	case 3:
		return parts[0], parts[1], parts[2], nil
	case 2:
		org, err = p.Org("")
		if err != nil {
			return "", "", "", fmt.Errorf("ID %q: want \"{organization}/{team}/{roleId}\": %w", id, err)
		}
		return org, parts[0], parts[1], nil
	}
	return "", "", "", fmt.Errorf("ID %q: want \"{organization}/{team}/{roleId}\"", id)
}
