package apitype

import (
	"encoding/json"
	"time"
)

// Built-in organization roles, as OrganizationMember.Role and AddMemberRequest.Role spell them.
const (
	OrgRoleAdmin          = "admin"
	OrgRoleMember         = "member"
	OrgRoleBillingManager = "billing-manager"
)

// OrganizationMember is a member of an organization (Pulumi's OrganizationMember). Role is the
// deprecated built-in role name ("member" for a custom role); FGARole is the role the member
// holds, built-in or custom. Teams (an iamref addition Pulumi's newer API also sends) names the
// teams the member belongs to.
type OrganizationMember struct {
	Role          string      `json:"role"`
	User          UserInfo    `json:"user"`
	Created       time.Time   `json:"created"`
	KnownToPulumi bool        `json:"knownToPulumi"`
	VirtualAdmin  bool        `json:"virtualAdmin"`
	Links         MemberLinks `json:"links"`
	FGARole       FGARole     `json:"fgaRole"`
	Teams         []string    `json:"teams,omitempty"`
}

// MemberLinks holds links to a member's console page (Pulumi's MemberLinks); iamref has none.
type MemberLinks struct {
	Self string `json:"self,omitempty"`
}

// FGARole is the role a member holds (Pulumi's FGARole). ID is the role's record ID.
type FGARole struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	ModifiedAt time.Time `json:"modifiedAt"`
}

// ListMembersResponse is one page of GET /api/orgs/{org}/members (Pulumi's
// ListOrganizationMembersResponse); ContinuationToken is empty on the last page.
type ListMembersResponse struct {
	Members           []OrganizationMember `json:"members"`
	ContinuationToken string               `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes a nil Members as [].
func (r ListMembersResponse) MarshalJSON() ([]byte, error) {
	type plain ListMembersResponse
	r.Members = nonNil(r.Members)
	return json.Marshal(plain(r))
}

// AddMemberRequest is the body of POST /api/orgs/{org}/members/{login} (Pulumi's
// AddOrganizationMemberRequest): a built-in role ("member", "admin", "billing-manager"; empty
// = the org's default role). Name and Email are iamref additions: the server is its own user
// directory, and they describe a user it does not know yet (an existing user is kept as is).
type AddMemberRequest struct {
	Role  string `json:"role"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// UpdateMemberRequest is the body of PATCH /api/orgs/{org}/members/{login} (Pulumi's
// UpdateOrganizationMemberRequest): FGARoleID (any role, built-in or custom) wins over Role (a
// built-in role name).
type UpdateMemberRequest struct {
	Role      string  `json:"role,omitempty"`
	FGARoleID *string `json:"fgaRoleId,omitempty"`
}

// ListUsersResponse is the body of GET /api/orgs/{org}/roles/{roleID}/users (Pulumi's
// ListUsersWithRoleResponse): the members holding the role as their org role.
type ListUsersResponse struct {
	Users []UserInfo `json:"users"`
}

// MarshalJSON encodes a nil Users as [].
func (r ListUsersResponse) MarshalJSON() ([]byte, error) {
	type plain ListUsersResponse
	r.Users = nonNil(r.Users)
	return json.Marshal(plain(r))
}

// TeamKindPulumi is the kind of the teams this server manages (Pulumi's TeamKind "pulumi").
const TeamKindPulumi = "pulumi"

// Team is a team of an organization (Pulumi's Team). Members is set on GET of one team;
// RoleIDs lists the roles the team holds (a team may hold several).
type Team struct {
	Kind        string       `json:"kind"`
	Name        string       `json:"name"`
	DisplayName string       `json:"displayName"`
	Description string       `json:"description"`
	Members     []TeamMember `json:"members,omitempty"`
	RoleIDs     []string     `json:"roleIds,omitempty"`
	// Stacks and Environments are the team's legacy per-entity permissions (GET of one team).
	Stacks       []TeamStackPermission       `json:"stacks,omitempty"`
	Environments []TeamEnvironmentPermission `json:"environments,omitempty"`
}

// Legacy stack permission levels (Pulumi's StackPermission). Each grants the built-in set of
// the same name on the stack; Creator grants what Admin does.
const (
	StackPermissionRead    = 101
	StackPermissionWrite   = 102
	StackPermissionAdmin   = 103
	StackPermissionCreator = 104
)

// TeamStackPermission is a team's permission level on one stack: the body of addStackPermission
// and editStackPermission, and an entry of Team.Stacks.
type TeamStackPermission struct {
	ProjectName string `json:"projectName"`
	StackName   string `json:"stackName"`
	Permission  int    `json:"permission"`
}

// TeamStackRef names a stack: the body of removeStack.
type TeamStackRef struct {
	ProjectName string `json:"projectName"`
	StackName   string `json:"stackName"`
}

// TeamEnvironmentPermission is a team's permission on one environment (Pulumi's
// TeamEnvironmentSettings): Permission is read, open, write or admin, each granting the
// built-in environment set of that name; MaxOpenDuration (a duration such as "1h30m") bounds
// how long the grant lets the environment be opened.
type TeamEnvironmentPermission struct {
	ProjectName     string `json:"projectName"`
	EnvName         string `json:"envName"`
	Permission      string `json:"permission"`
	MaxOpenDuration string `json:"maxOpenDuration,omitempty"`
}

// TeamEnvironmentRef names an environment: the body of removeEnvironment.
type TeamEnvironmentRef struct {
	ProjectName string `json:"projectName"`
	EnvName     string `json:"envName"`
}

// TeamMember is a member of a team (Pulumi's TeamMemberInfo: UserInfo and the team role,
// always "member" here).
type TeamMember struct {
	Name        string `json:"name"`
	GitHubLogin string `json:"githubLogin"`
	AvatarURL   string `json:"avatarUrl"`
	Email       string `json:"email,omitempty"`
	Role        string `json:"role"`
}

// ListTeamsResponse is the body of GET /api/orgs/{org}/teams and of
// GET /api/orgs/{org}/roles/{roleID}/teams (Pulumi's ListTeamsResponse).
type ListTeamsResponse struct {
	Teams []Team `json:"teams"`
}

// MarshalJSON encodes a nil Teams as [].
func (r ListTeamsResponse) MarshalJSON() ([]byte, error) {
	type plain ListTeamsResponse
	r.Teams = nonNil(r.Teams)
	return json.Marshal(plain(r))
}

// CreateTeamRequest is the body of POST /api/orgs/{org}/teams/pulumi (Pulumi's
// CreatePulumiTeamRequest).
type CreateTeamRequest struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName" openapi:"optional"`
	Description string `json:"description" openapi:"optional"`
	// Sent by Pulumi's own clients; accepted when they agree with the request: the organization
	// of the path, a "pulumi" team (the route creates no GitHub-backed teams), no GitHub team ID.
	Organization string `json:"organization,omitempty"`
	TeamType     string `json:"teamType,omitempty"`
	GitHubTeamID int64  `json:"githubTeamID,omitempty"`
}

// Team member actions of UpdateTeamRequest.MemberAction.
const (
	MemberActionAdd    = "add"
	MemberActionRemove = "remove"
)

// UpdateTeamRequest is the body of PATCH /api/orgs/{org}/teams/{team} (Pulumi's
// UpdateTeamRequest): any of a new display name, a new description, and one member to add or
// remove (Member is the user's login, MemberAction "add" or "remove"), and the legacy
// per-entity grants: a stack or environment permission added, edited or removed.
type UpdateTeamRequest struct {
	NewDisplayName *string `json:"newDisplayName,omitempty"`
	NewDescription *string `json:"newDescription,omitempty"`
	MemberAction   *string `json:"memberAction,omitempty"`
	Member         *string `json:"member,omitempty"`

	AddStackPermission        *TeamStackPermission       `json:"addStackPermission,omitempty"`
	EditStackPermission       *TeamStackPermission       `json:"editStackPermission,omitempty"`
	RemoveStack               *TeamStackRef              `json:"removeStack,omitempty"`
	AddEnvironmentPermission  *TeamEnvironmentPermission `json:"addEnvironmentPermission,omitempty"`
	EditEnvironmentPermission *TeamEnvironmentPermission `json:"editEnvironmentPermission,omitempty"`
	RemoveEnvironment         *TeamEnvironmentRef        `json:"removeEnvironment,omitempty"`
}

// CreateTeamTokenRequest is the body of POST /api/orgs/{org}/teams/{team}/tokens (Pulumi's
// CreateTeamAccessTokenRequest): the token acts as the team. Expires is unix seconds, 0 = never.
type CreateTeamTokenRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Expires     int64  `json:"expires"`
}

// CreatePersonalTokenRequest is the body of POST /api/user/tokens (Pulumi's
// CreatePersonalAccessTokenRequest) and of POST /api/orgs/{org}/members/{login}/tokens: the
// token acts as the user. Personal tokens have no name.
type CreatePersonalTokenRequest struct {
	Description string `json:"description"`
	Expires     int64  `json:"expires"`
}
