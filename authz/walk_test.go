package authz

import (
	"slices"
	"testing"
)

func TestReferencesAndPermissions(t *testing.T) {
	tree := MustParse(`{"__type":"PermissionDescriptorGroup","entries":[
		{"__type":"PermissionDescriptorCompose","permissionDescriptors":["b","a"]},
		{"__type":"PermissionDescriptorIfThenElse","condition":{"__type":"PermissionLiteralExpressionBool","value":true},
		 "subNodeForTrue":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]},
		 "subNodeForFalse":{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a","c"]}},
		{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionStack"},"options":[
		 {"value":{"__type":"PermissionLiteralExpressionStack","identity":"s"},"node":{"__type":"PermissionDescriptorAllow","permissions":["stack:delete","stack:read"]}}]}]}`)
	if got := References(tree); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("References = %v", got)
	}
	if got := Permissions(tree); !slices.Equal(got, []string{"stack:delete", "stack:read"}) {
		t.Errorf("Permissions = %v", got)
	}
}
