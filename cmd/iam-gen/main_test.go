package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPackaging generates into a temporary folder with a pre-release version and checks that
// every SDK's package metadata carries it (in its language's spelling) with the plugin download
// URL, and that the Node.js package names its built entry points.
func TestPackaging(t *testing.T) {
	root := t.TempDir()
	if err := run(root, "v1.2.3-alpha.1", false); err != nil {
		t.Fatal(err)
	}
	readJSON := func(rel string) map[string]any {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		return m
	}
	const version, url = "1.2.3-alpha.1", "github://api.github.com/iamref/iam"

	s := readJSON("schema.json")
	if s["version"] != version || s["pluginDownloadURL"] != url {
		t.Errorf("schema.json: version %v, pluginDownloadURL %v", s["version"], s["pluginDownloadURL"])
	}
	for _, rel := range []string{"sdk/go/iam/pulumi-plugin.json", "sdk/python/iamref_iam/pulumi-plugin.json", "sdk/dotnet/pulumi-plugin.json"} {
		if m := readJSON(rel); m["name"] != "iam" || m["version"] != version || m["server"] != url {
			t.Errorf("%s: %v", rel, m)
		}
	}

	pkg := readJSON("sdk/nodejs/package.json")
	if pkg["version"] != version || pkg["main"] != "bin/index.js" || pkg["types"] != "bin/index.d.ts" || !strings.Contains(fmt.Sprint(pkg["scripts"]), "bin/package.json") {
		t.Errorf("package.json: version %v, main %v, types %v, scripts %v", pkg["version"], pkg["main"], pkg["types"], pkg["scripts"])
	}
	if plugin, _ := pkg["pulumi"].(map[string]any); plugin["version"] != version || plugin["server"] != url {
		t.Errorf("package.json pulumi: %v", pkg["pulumi"])
	}

	pyproject, err := os.ReadFile(filepath.Join(root, "sdk", "python", "pyproject.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := regexp.MustCompile(`(?m)^\s*version = "([^"]*)"`).FindSubmatch(pyproject); got == nil || string(got[1]) != "1.2.3a1" {
		t.Errorf("pyproject.toml version %q, want the PEP 440 form 1.2.3a1", got)
	}

	goVersion, err := os.ReadFile(filepath.Join(root, "sdk", "go", "iam", "internal", "pulumiUtilities.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`semver\.MustParse\("1\.2\.3-alpha\.1"\)`).Match(goVersion) {
		t.Error("the Go SDK does not register its resources with the version")
	}

	csproj, err := os.ReadFile(filepath.Join(root, "sdk", "dotnet", "IamRef.Iam.csproj"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csproj), "<Version>1.2.3-alpha.1</Version>") {
		t.Error("IamRef.Iam.csproj does not carry the version")
	}
	icon, err := os.ReadFile(filepath.Join(root, "sdk", "dotnet", "logo.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(icon)); err != nil || bytes.HasSuffix(icon, []byte("\n")) {
		t.Errorf("sdk/dotnet/logo.png is not the PNG as generated: %v", err)
	}

	for _, bad := range []string{"", "1.2", "latest"} {
		if err := run(t.TempDir(), bad, false); err == nil {
			t.Errorf("-version %q accepted", bad)
		}
	}
}
