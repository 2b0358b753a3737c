package terraform

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// TestDescriptionsAreMarkdown checks, at the protocol Terraform sees, that every schema,
// attribute, nested attribute and block of the provider, its resources and its data sources
// has a description, and that it is Markdown (the registry docs are generated from them).
func TestDescriptionsAreMarkdown(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*tfprotov6.Schema{"provider": resp.Provider}
	for name, s := range resp.ResourceSchemas {
		schemas[name] = s
	}
	for name, s := range resp.DataSourceSchemas {
		schemas[name] = s
	}
	if len(schemas) != 15 {
		t.Errorf("%d schemas, want the provider's, 11 resources' and the data sources' not named like a resource (3)", len(schemas))
	}
	for name, s := range schemas {
		checkMarkdown(t, name, s.Block.Description, s.Block.DescriptionKind)
		checkBlock(t, name, s.Block)
	}
}

func checkBlock(t *testing.T, where string, b *tfprotov6.SchemaBlock) {
	t.Helper()
	for _, a := range b.Attributes {
		checkAttribute(t, where+"."+a.Name, a)
	}
	for _, nb := range b.BlockTypes {
		checkMarkdown(t, where+"."+nb.TypeName, nb.Block.Description, nb.Block.DescriptionKind)
		checkBlock(t, where+"."+nb.TypeName, nb.Block)
	}
}

func checkAttribute(t *testing.T, where string, a *tfprotov6.SchemaAttribute) {
	t.Helper()
	checkMarkdown(t, where, a.Description, a.DescriptionKind)
	if a.NestedType != nil {
		for _, na := range a.NestedType.Attributes {
			checkAttribute(t, where+"."+na.Name, na)
		}
	}
}

func checkMarkdown(t *testing.T, where, desc string, kind tfprotov6.StringKind) {
	t.Helper()
	if desc == "" {
		t.Errorf("%s has no description", where)
	} else if kind != tfprotov6.StringKindMarkdown {
		t.Errorf("%s: description kind %v, want markdown", where, kind)
	}
}
