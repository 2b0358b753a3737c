// Command iam-gen writes the Pulumi schema (schema.json) of the iam provider and generates its
// SDKs (sdk/go, sdk/nodejs, sdk/python) in-process with Pulumi's codegen: no CLI and no
// language hosts. The output is deterministic and carries no version, so it only changes when
// the provider does. Run it from the repository root (make gen).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	iampulumi "github.com/iamref/iam/provider/pulumi"
)

const tool = "iam-gen"

func main() {
	// An own flag set: dependencies (glog) register flags such as -v on the global one.
	fs := flag.NewFlagSet(tool, flag.ExitOnError)
	out := fs.String("out", ".", "repository root to write schema.json and sdk/ into")
	verbose := fs.Bool("timings", false, "print what was written and how long it took")
	_ = fs.Parse(os.Args[1:])
	if err := run(*out, *verbose); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
}

func run(root string, verbose bool) error {
	start := time.Now()
	prov, err := iampulumi.Provider()
	if err != nil {
		return err
	}
	spec, err := p.GetSchema(context.Background(), iampulumi.Name, "", prov)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	spec.Version = "" // the SDKs take their version from the build, not from the schema
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep `<name>-2` readable in descriptions
	enc.SetIndent("", "  ")
	if err := enc.Encode(spec); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "schema.json"), b.Bytes(), 0o644); err != nil {
		return err
	}
	logf(verbose, "schema.json: %s", time.Since(start).Round(time.Millisecond))

	gens := []struct {
		lang string
		gen  func(*schema.Package) (map[string][]byte, error)
	}{
		{"go", func(pkg *schema.Package) (map[string][]byte, error) { return gogen.GeneratePackage(tool, pkg, nil) }},
		{"nodejs", func(pkg *schema.Package) (map[string][]byte, error) {
			return nodejsgen.GeneratePackage(tool, pkg, nil, nil, false, nil)
		}},
		{"python", func(pkg *schema.Package) (map[string][]byte, error) {
			files, err := pythongen.GeneratePackage(tool, pkg, nil, nil)
			// pyproject.toml names README.md next to it; the generator writes it into the package.
			for name, content := range files {
				if dir, base := path.Split(name); base == "README.md" && strings.Count(dir, "/") == 1 {
					files["README.md"] = content
				}
			}
			return files, err
		}},
	}
	for _, g := range gens {
		t := time.Now()
		// Bind afresh for each language: generators import their language section into the package.
		pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
		if err != nil {
			return fmt.Errorf("bind schema: %w", err)
		}
		if diags.HasErrors() {
			return fmt.Errorf("bind schema: %s", diags.Error())
		}
		files, err := g.gen(pkg)
		if err != nil {
			return fmt.Errorf("generate %s SDK: %w", g.lang, err)
		}
		if err := writeTree(filepath.Join(root, "sdk", g.lang), files); err != nil {
			return err
		}
		logf(verbose, "sdk/%s: %d files, %s", g.lang, len(files), time.Since(t).Round(time.Millisecond))
	}
	return nil
}

// writeTree replaces dir with exactly files (relative path → content), so that files the
// generator no longer emits do not linger.
func writeTree(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		content := files[name]
		if !bytes.HasSuffix(content, []byte("\n")) && len(content) > 0 {
			content = append(content, '\n')
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noLoader refuses every package: the schema references no other package.
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("schema references package %q; iam-gen loads no other packages", pkg)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	if d == nil {
		return nil, errors.New("no package descriptor")
	}
	return nil, fmt.Errorf("schema references package %q; iam-gen loads no other packages", d.Name)
}

func logf(verbose bool, format string, args ...any) {
	if verbose {
		fmt.Fprintf(os.Stderr, tool+": "+format+"\n", args...)
	}
}
