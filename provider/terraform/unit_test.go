package terraform

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/iamref/iam/provider/mapping"
)

// These run without TF_ACC or a server.

func TestSchemasValid(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	for _, name := range []string{"iam_permission", "iam_custom_role", "iam_organization_access_token"} {
		if _, ok := resp.ResourceSchemas[name]; !ok {
			t.Errorf("resource %s missing", name)
		}
	}
	for _, name := range []string{"iam_scopes", "iam_access_check"} {
		if _, ok := resp.DataSourceSchemas[name]; !ok {
			t.Errorf("data source %s missing", name)
		}
	}
	tok := resp.ResourceSchemas["iam_organization_access_token"]
	for _, a := range tok.Block.Attributes {
		if a.Name == "value" && !a.Sensitive {
			t.Error("token value is not sensitive")
		}
	}
}

func TestProblemPath(t *testing.T) {
	sets := map[string][]string{"scopes": {"stack:read", "stack:delet"}, "grants[1].insightsAccounts": {"a", "b"}}
	for _, c := range []struct {
		field string
		want  path.Path
		name  string
	}{
		{"name", path.Root("name"), "name"},
		{"scopes[1]", path.Root("scopes").AtSetValue(types.StringValue("stack:delet")), "scopes"},
		{"scopes", path.Root("scopes"), "scopes"},
		{"grants[1]", path.Root("grant").AtListIndex(1), "grant[1]"},
		{"grants[1].insightsAccounts[0]", path.Root("grant").AtListIndex(1).AtName("insights_accounts").AtSetValue(types.StringValue("a")), "insights_accounts"},
		{"grants[0].scopes[3]", path.Root("grant").AtListIndex(0).AtName("scopes"), "scopes"},
		{"details.entries[0].permissions[2]", path.Root("details"), "details"},
		{"roleId", path.Root("role_id"), "role_id"},
		{"expiresIn", path.Root("expires_in"), "expires_in"},
	} {
		at, err := mapping.ParsePath(c.field)
		if err != nil {
			t.Fatal(err)
		}
		got, name := problemPath(at, sets)
		if !got.Equal(c.want) || name != c.name {
			t.Errorf("problemPath(%q) = %s, %q; want %s, %q", c.field, got, name, c.want, c.name)
		}
	}
}

// Every field mapping names is spelled as the attribute it stands for.
func TestNames(t *testing.T) {
	for f, want := range map[mapping.Field]string{
		mapping.FieldGrants: "grant", mapping.FieldInsightsAccounts: "insights_accounts", mapping.FieldRoleID: "role_id",
		mapping.FieldExpiresIn: "expires_in", mapping.FieldRotateBefore: "rotate_before", mapping.FieldEntityType: "entity_type",
		mapping.FieldExpiresAt: "expires_at", mapping.FieldInsightsAccount: "insights_account", mapping.FieldScopes: "scopes",
	} {
		if got := (names{}).Field(f); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
	if got := (names{}).Setting(mapping.SettingAccessToken); got != "access_token" {
		t.Errorf("access token setting: %q", got)
	}
	if got := errText(mapping.ErrNoToken); !strings.Contains(got, "set access_token, or IAM_ACCESS_TOKEN") {
		t.Errorf("ErrNoToken: %q", got)
	}
}

func TestSameDetails(t *testing.T) {
	a := `{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:delete"]}`
	b := "{\n  \"permissions\": [\"stack:delete\", \"stack:read\", \"stack:read\"],\n  \"__type\": \"PermissionDescriptorAllow\"\n}"
	c := `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`
	if !sameDetails(a, b) {
		t.Error("formatting, order and duplicates make a difference")
	}
	if sameDetails(a, c) {
		t.Error("different trees are the same")
	}
	if sameDetails("not json", "not  json") || !sameDetails("not json", "not json") {
		t.Error("unparseable values compare by text")
	}
	eq, diags := detailsOf(a).StringSemanticEquals(context.Background(), detailsOf(b))
	if !eq || diags.HasError() {
		t.Errorf("semantic equality: %v %v", eq, diags)
	}
}

func TestIsSuffixedName(t *testing.T) {
	long := "a-name-that-is-exactly-forty-characters" // 39
	for _, c := range []struct {
		server, name string
		want         bool
	}{
		{"ci-2", "ci", true},
		{"ci-13", "ci", true},
		{"ci-1", "ci", false},
		{"ci-02", "ci", false},
		{"ci", "ci", false},
		{"cd-2", "ci", false},
		{"ci-x", "ci", false},
		{long[:38] + "-2", long + "x", true},
		{long[:37] + "-2", long + "x", false},
	} {
		if got := mapping.IsReplacementName(c.server, c.name); got != c.want {
			t.Errorf("IsReplacementName(%q, %q) = %v", c.server, c.name, got)
		}
	}
}

func TestSplitID(t *testing.T) {
	for id, ok := range map[string]bool{"acme/x": true, "acme/": false, "/x": false, "x": false, "a/b/c": false} {
		if _, _, got := mapping.SplitID(id); got != ok {
			t.Errorf("SplitID(%q) ok = %v", id, got)
		}
	}
}
