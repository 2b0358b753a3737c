// Command iam-gen writes the Pulumi schema (schema.json) of the iam provider and generates its
// SDKs (sdk/go, sdk/nodejs, sdk/python, sdk/dotnet) in-process with Pulumi's codegen: no CLI and no
// language hosts. The output is deterministic: it changes when the provider or the version
// given with -version (make gen passes the Makefile's VERSION) does. Every SDK carries that
// version (package.json, pyproject.toml, the Go SDK's SdkVersion, pulumi-plugin.json) and the
// plugin download URL, so that pulumi fetches the matching plugin from the project's releases.
// Run it from the repository root (make gen).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blang/semver"
	dotnetgen "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3/codegen"
	p "github.com/pulumi/pulumi-go-provider"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	iampulumi "github.com/iamref/iam/provider/pulumi"
)

const tool = "iam-gen"

// pluginDownloadURL is where pulumi downloads the plugin from when it is not installed: the
// GitHub releases of github.com/iamref/iam, tag v{version}, asset
// pulumi-resource-iam-v{version}-{os}-{arch}.tar.gz. The repository must be named: without it
// pulumi looks in <org>/pulumi-iam.
const pluginDownloadURL = "github://api.github.com/iamref/iam"

func main() {
	// An own flag set: dependencies (glog) register flags such as -v on the global one.
	fs := flag.NewFlagSet(tool, flag.ExitOnError)
	out := fs.String("out", ".", "repository root to write schema.json and sdk/ into")
	ver := fs.String("version", "", "version of the provider and SDKs, semver (required; make gen passes the Makefile's VERSION)")
	verbose := fs.Bool("timings", false, "print what was written and how long it took")
	_ = fs.Parse(os.Args[1:])
	if err := run(*out, *ver, *verbose); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
}

func run(root, version string, verbose bool) error {
	start := time.Now()
	if version == "" {
		return errors.New("-version is required (make gen passes the Makefile's VERSION)")
	}
	version = strings.TrimPrefix(version, "v")
	if _, err := semver.Parse(version); err != nil {
		return fmt.Errorf("-version %q: %w", version, err)
	}
	prov, err := iampulumi.Provider()
	if err != nil {
		return err
	}
	spec, err := p.GetSchema(context.Background(), iampulumi.Name, version, prov)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if err := packaging(&spec, version); err != nil {
		return err
	}
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
			files, err := nodejsgen.GeneratePackage(tool, pkg, nil, nil, false, nil)
			if err != nil {
				return nil, err
			}
			files["package.json"], err = builtEntryPoints(files["package.json"])
			return files, err
		}},
		{"dotnet", func(pkg *schema.Package) (map[string][]byte, error) {
			// The .NET generator downloads the NuGet package icon (http.Get of the schema's logoUrl,
			// else Pulumi's logo on GitHub); iam-gen stays offline and deterministic by answering
			// with an icon of its own.
			defer func(rt http.RoundTripper) { http.DefaultClient.Transport = rt }(http.DefaultClient.Transport)
			http.DefaultClient.Transport = iconTransport{}
			return dotnetgen.GeneratePackage(tool, pkg, nil, nil)
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

// packaging stamps what the plugin's own schema leaves to the release: the version, the plugin
// download URL, and respectSchemaVersion in every language section, so that the generated SDKs
// carry the version instead of placeholders (${VERSION} in package.json, 0.0.0 in pyproject.toml,
// none in Go) and register their resources with it.
func packaging(spec *schema.PackageSpec, version string) error {
	spec.Version = version
	if spec.PluginDownloadURL == "" {
		spec.PluginDownloadURL = pluginDownloadURL
	}
	for _, lang := range []string{"go", "nodejs", "python", "csharp"} {
		section := map[string]any{}
		if raw, ok := spec.Language[lang]; ok {
			if err := json.Unmarshal(raw, &section); err != nil {
				return fmt.Errorf("schema language %s: %w", lang, err)
			}
		}
		section["respectSchemaVersion"] = true
		raw, err := json.Marshal(section)
		if err != nil {
			return err
		}
		if spec.Language == nil {
			spec.Language = map[string]schema.RawMessage{}
		}
		spec.Language[lang] = raw
	}
	return nil
}

// npmPackage is package.json as the Node.js generator writes it (same fields, same order), plus
// the entry points of the built package: the generator leaves them out because Pulumi's own
// providers publish from bin/ with package.json copied in. Here sdk/nodejs itself is the package
// root (make sdk-nodejs builds it and packs it), so main and types point into bin/, only bin/ is
// packed, and the build script copies package.json into bin/ as well, where the compiled
// utilities read the version from (as Pulumi's local SDKs do).
type npmPackage struct {
	Name             string            `json:"name"`
	Version          string            `json:"version"`
	Type             string            `json:"type,omitempty"`
	Description      string            `json:"description,omitempty"`
	Keywords         []string          `json:"keywords,omitempty"`
	Homepage         string            `json:"homepage,omitempty"`
	Repository       string            `json:"repository,omitempty"`
	License          string            `json:"license,omitempty"`
	Main             string            `json:"main,omitempty"`
	Types            string            `json:"types,omitempty"`
	Files            []string          `json:"files,omitempty"`
	Scripts          map[string]string `json:"scripts,omitempty"`
	Dependencies     map[string]string `json:"dependencies,omitempty"`
	DevDependencies  map[string]string `json:"devDependencies,omitempty"`
	PeerDependencies map[string]string `json:"peerDependencies,omitempty"`
	Resolutions      map[string]string `json:"resolutions,omitempty"`
	Pulumi           json.RawMessage   `json:"pulumi,omitempty"`
}

func builtEntryPoints(packageJSON []byte) ([]byte, error) {
	var pkg npmPackage
	dec := json.NewDecoder(bytes.NewReader(packageJSON))
	dec.DisallowUnknownFields() // a field the generator adds later must not be dropped silently
	if err := dec.Decode(&pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	pkg.Main, pkg.Types, pkg.Files = "bin/index.js", "bin/index.d.ts", []string{"bin/"}
	if pkg.Scripts["build"] != "tsc" {
		return nil, fmt.Errorf("package.json: build script %q, want tsc", pkg.Scripts["build"])
	}
	pkg.Scripts["build"] = `tsc && node -e "require('fs').copyFileSync('package.json', 'bin/package.json')"`
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(pkg); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
		// Text files end with a newline; binary ones (the .NET package icon) stay as they are.
		if !bytes.HasSuffix(content, []byte("\n")) && len(content) > 0 && filepath.Ext(name) != ".png" {
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

// iconTransport answers the .NET generator's request for the package icon with a plain 64×64
// PNG made here, and refuses every other request: iam-gen uses no network.
type iconTransport struct{}

func (iconTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, ".png") {
		return nil, fmt.Errorf("iam-gen makes no network requests (%s %s)", req.Method, req.URL)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{R: 0x4d, G: 0x5b, B: 0xd9, A: 0xff}), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"image/png"}},
		Body:          io.NopCloser(&b),
		ContentLength: int64(b.Len()),
		Request:       req,
	}, nil
}

func logf(verbose bool, format string, args ...any) {
	if verbose {
		fmt.Fprintf(os.Stderr, tool+": "+format+"\n", args...)
	}
}
