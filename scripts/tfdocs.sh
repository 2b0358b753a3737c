#!/usr/bin/env bash
# Generates the Terraform registry docs (docs/index.md, docs/resources, docs/data-sources,
# docs/guides) with tfplugindocs, offline: the provider is built into a temporary folder, and
# terraform reads its schema through a dev_overrides CLI configuration (no registry, no
# `terraform init`); tfplugindocs then renders templates/ and examples/ against that schema
# (--providers-schema, so it neither builds the provider nor runs terraform itself). Every
# example under examples/ is checked with `terraform validate` against the same provider first.
#
#   scripts/tfdocs.sh [OUT]   OUT: the folder whose docs/ is written (default: the repository)
#
# Needs go, terraform and TFPLUGINDOCS (default .tools/bin/tfplugindocs, built by `make docs`).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
tfplugindocs=${TFPLUGINDOCS:-$root/.tools/bin/tfplugindocs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE=$tmp/dev.tfrc

(cd "$root" && go build -trimpath -o "$tmp/bin/" ./cmd/terraform-provider-iam)
cat >"$TF_CLI_CONFIG_FILE" <<EOF
provider_installation {
  dev_overrides { "iamref/iam" = "$tmp/bin" }
  direct {}
}
EOF

# Every example must be valid against the provider's schema.
for dir in "$root"/examples/provider "$root"/examples/resources/* "$root"/examples/data-sources/*; do
	work=$tmp/validate/${dir#"$root"/examples/}
	mkdir -p "$work"
	cp "$dir"/*.tf "$work"/
	if ! grep -q required_providers "$work"/*.tf; then
		printf 'terraform {\n  required_providers {\n    iam = { source = "iamref/iam" }\n  }\n}\n' >"$work/versions.tf"
	fi
	if ! (cd "$work" && terraform validate -no-color >"$tmp/validate.log" 2>&1); then
		cat "$tmp/validate.log"
		echo "tfdocs: ${dir#"$root"/} is not valid against the provider's schema" >&2
		exit 1
	fi
done

# The schema as `terraform providers schema -json` reports it, keyed by the short name that
# tfplugindocs looks up.
mkdir -p "$tmp/schema"
printf 'terraform {\n  required_providers {\n    iam = { source = "iamref/iam" }\n  }\n}\n' >"$tmp/schema/main.tf"
(cd "$tmp/schema" && terraform providers schema -json 2>"$tmp/schema.log") |
	sed 's|"registry.terraform.io/iamref/iam":|"iam":|' >"$tmp/schema.json" || { cat "$tmp/schema.log"; exit 1; }

# tfplugindocs renders into OUT/docs from OUT/templates and OUT/examples.
if [ "$out" != "$root" ]; then
	mkdir -p "$out"
	cp -r "$root/templates" "$root/examples" "$out"/
fi
(cd "$out" && "$tfplugindocs" generate --provider-name iam --rendered-provider-name iamref \
	--providers-schema "$tmp/schema.json" >"$tmp/generate.log" 2>&1) || { cat "$tmp/generate.log"; exit 1; }
(cd "$out" && "$tfplugindocs" validate --provider-name iam --providers-schema "$tmp/schema.json" >"$tmp/validate-docs.log" 2>&1) ||
	{ cat "$tmp/validate-docs.log"; exit 1; }
