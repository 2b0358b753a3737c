package sdk_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iamref/iam/internal/testserver"
)

// The Python SDK cannot be imported here (the pulumi Python package comes from PyPI, which
// this machine does not reach), so the Python example is checked statically: it must compile,
// and every `iam.<name>` it uses must be exported by the generated sdk/python package, with
// every keyword argument it passes accepted by that class or function.
const pyCheck = `
import ast, pathlib, sys
sdk = pathlib.Path(sys.argv[1])
exported, params = set(), {}
for f in sdk.glob("*.py"):
    tree = ast.parse(f.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            exported |= {e.value for e in node.value.elts}
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            fn = node if isinstance(node, ast.FunctionDef) else next((b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
            if fn is not None:
                params.setdefault(node.name, set()).update(a.arg for a in fn.args.args + fn.args.kwonlyargs)
example = ast.parse(pathlib.Path(sys.argv[2]).read_text())
compile(example, sys.argv[2], "exec")
bad = []
for node in ast.walk(example):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "iam":
        name = node.func.attr
        if name not in exported:
            bad.append("iam.%s is not exported by the SDK" % name)
            continue
        for kw in node.keywords:
            if kw.arg not in params.get(name, set()):
                bad.append("iam.%s has no argument %s" % (name, kw.arg))
print("\n".join(bad))
sys.exit(1 if bad else 0)
`

func TestPythonExampleMatchesSDK(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	root := testserver.RepoRoot(t)
	out, err := exec.Command(python, "-c", pyCheck,
		filepath.Join(root, "sdk", "python", "iamref_iam"),
		filepath.Join(root, "examples", "python", "__main__.py")).CombinedOutput()
	if err != nil {
		t.Fatalf("examples/python does not match sdk/python:\n%s", strings.TrimSpace(string(out)))
	}
}

// pyMetadata byte-compiles every module of the package (caches go to a temporary folder, so
// sdk/ stays as generated) and prints the package's name and version as setuptools derives them
// from pyproject.toml (the PKG-INFO that a wheel or sdist would carry), or as pyproject.toml
// states them when setuptools is not installed.
const pyMetadata = `
import email.parser, pathlib, py_compile, shutil, subprocess, sys, tempfile, tomllib
src, tmp = pathlib.Path(sys.argv[1]), pathlib.Path(tempfile.mkdtemp())
try:
    for f in sorted((src / "iamref_iam").rglob("*.py")):
        py_compile.compile(str(f), cfile=str(tmp / "pyc" / f.relative_to(src).with_suffix(".pyc")), doraise=True)
    try:
        import setuptools
    except ImportError:
        project = tomllib.loads((src / "pyproject.toml").read_text())["project"]
        print(project["name"], project["version"], "pyproject.toml")
        sys.exit(0)
    shutil.copytree(src, tmp / "src")
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info", "--egg-base", str(tmp)],
                   cwd=tmp / "src", check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    info = email.parser.Parser().parsestr((tmp / "iamref_iam.egg-info" / "PKG-INFO").read_text())
    print(info["Name"], info["Version"], "PKG-INFO")
finally:
    shutil.rmtree(tmp)
`

// TestPythonPackageMetadata checks that the Python package compiles and carries the provider's
// version (the schema's, which make check-gen ties to the Makefile's VERSION) in its package
// metadata and its pulumi-plugin.json, not the generator's 0.0.0 placeholder. The package
// cannot be installed here (its pulumi dependency comes from PyPI, which this machine does not
// reach), so the metadata is what setuptools derives from pyproject.toml.
func TestPythonPackageMetadata(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	root := testserver.RepoRoot(t)
	var schema struct{ Version, PluginDownloadURL string }
	readJSON(t, filepath.Join(root, "schema.json"), &schema)
	if schema.Version == "" {
		t.Fatal("schema.json has no version")
	}
	// PEP 440 spells pre-releases differently (1.2.3-alpha.1 is 1.2.3a1): compare those by release.
	want := schema.Version
	if i := strings.IndexAny(want, "-+"); i >= 0 {
		want = regexp.QuoteMeta(want[:i]) + `[.a-z+].*`
	} else {
		want = regexp.QuoteMeta(want)
	}

	out, err := exec.Command(python, "-c", pyMetadata, filepath.Join(root, "sdk", "python")).CombinedOutput()
	if err != nil {
		t.Fatalf("sdk/python: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 3 {
		t.Fatalf("unexpected output %q", out)
	}
	t.Logf("%s %s (from %s)", fields[0], fields[1], fields[2])
	if fields[0] != "iamref_iam" && fields[0] != "iamref-iam" {
		t.Errorf("package name %q", fields[0])
	}
	if !regexp.MustCompile(`^` + want + `$`).MatchString(fields[1]) {
		t.Errorf("package version %q (%s), want the schema's %s", fields[1], fields[2], schema.Version)
	}

	var plugin struct{ Name, Version, Server string }
	readJSON(t, filepath.Join(root, "sdk", "python", "iamref_iam", "pulumi-plugin.json"), &plugin)
	if plugin.Name != "iam" || plugin.Version != schema.Version || plugin.Server != schema.PluginDownloadURL || plugin.Server == "" {
		t.Errorf("pulumi-plugin.json %+v, want iam %s from %s", plugin, schema.Version, schema.PluginDownloadURL)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
