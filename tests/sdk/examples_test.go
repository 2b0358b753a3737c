package sdk_test

import (
	"os/exec"
	"path/filepath"
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
