package apitype

import "encoding/json"

// User is the body of GET /api/user: the caller's identity (Pulumi's User). For org and team
// tokens GitHubLogin is the organization's name and TokenInfo is set. The Pulumi CLI rejects an
// empty GitHubLogin or an organization with an empty GitHubLogin.
type User struct {
	ID                     string             `json:"id"`
	GitHubLogin            string             `json:"githubLogin"`
	Name                   string             `json:"name"`
	Email                  string             `json:"email"`
	AvatarURL              string             `json:"avatarUrl"`
	Organizations          []UserOrganization `json:"organizations"`
	PotentialOrganizations []UserOrganization `json:"potentialOrganizations"`
	Identities             []string           `json:"identities"`
	HasMFA                 bool               `json:"hasMFA"`
	IsOrgManaged           bool               `json:"isOrgManaged"`
	IsManagedByMultiOrg    bool               `json:"isManagedByMultiOrg"`
	SiteAdmin              bool               `json:"siteAdmin"`
	RegistryAdmin          bool               `json:"registryAdmin"`
	IsAgent                bool               `json:"isAgent"`
	TokenInfo              *TokenInfo         `json:"tokenInfo,omitempty"`
}

// MarshalJSON encodes nil lists as [], since organizations and identities are required.
func (u User) MarshalJSON() ([]byte, error) {
	type plain User
	u.Organizations = nonNil(u.Organizations)
	u.PotentialOrganizations = nonNil(u.PotentialOrganizations)
	u.Identities = nonNil(u.Identities)
	return json.Marshal(plain(u))
}

// UserOrganization is an organization the user belongs to, with the user's role there
// ("admin", "member", …) (Pulumi's OrganizationSummaryWithRole).
type UserOrganization struct {
	Name        string `json:"name"`
	GitHubLogin string `json:"githubLogin"`
	AvatarURL   string `json:"avatarUrl"`
	Role        string `json:"role"`
}

// TokenInfo names the machine token behind a request (Pulumi's TokenInfo).
type TokenInfo struct {
	Name         string `json:"name"`
	Organization string `json:"organization"`
	Team         string `json:"team,omitempty"`
}

// UserInfo is the public display information of a user (Pulumi's UserInfo).
type UserInfo struct {
	Name        string `json:"name"`
	GitHubLogin string `json:"githubLogin"`
	AvatarURL   string `json:"avatarUrl"`
	Email       string `json:"email,omitempty"`
}
