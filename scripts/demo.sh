#!/usr/bin/env bash
# make demo: start iam-server on loopback with a fresh database, `pulumi up` the YAML example
# (a Permission, a CustomRole bound to myapp/prod, a CI token), then show what the issued
# token may and may not do: API calls, and `pulumi up` through the server as state backend
# (allowed on myapp/prod, refused on myapp/dev). Everything lives in a temporary folder and is
# removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
export PATH="$root/.tools/bin:$PATH"

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

admin=pul-$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
api() { # api METHOD PATH [BODY]
  curl -sS -X "$1" -H "Authorization: token $admin" -H 'Content-Type: application/json' ${3:+-d "$3"} "$url$2"
}

step "Starting iam-server on a free loopback port (org acme, database in a temp folder)"
IAM_BOOTSTRAP_TOKEN=$admin "$bin/iam-server" serve --addr 127.0.0.1:0 --db "$work/iam.db" --org acme \
  >"$work/server.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 100); do # the server logs the address it listens on: serving addr=127.0.0.1:NNNNN
  addr=$(sed -n 's/.*msg=serving addr=\([0-9.:]*\).*/\1/p' "$work/server.log")
  [ -n "$addr" ] && url=http://$addr && curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
[ -n "$url" ] && curl -fsS "$url/healthz" >/dev/null || { cat "$work/server.log"; exit 1; }
echo "serving on $url"

step "Registering stacks myapp/prod and myapp/dev and environment myapp/prod"
api POST /api/stacks/acme/myapp '{"stackName":"prod","tags":{"env":"prod"}}' >/dev/null
api POST /api/stacks/acme/myapp '{"stackName":"dev","tags":{"env":"dev"}}' >/dev/null
api POST /api/esc/environments/acme '{"project":"myapp","name":"prod"}' >/dev/null

step "pulumi up examples/yaml"
proj=$work/project
mkdir -p "$proj" "$work/state"
sed "s#path: ../../bin#path: $bin#" "$root/examples/yaml/Pulumi.yaml" >"$proj/Pulumi.yaml"
export PULUMI_HOME=$work/pulumi-home PULUMI_BACKEND_URL=file://$work/state PULUMI_CONFIG_PASSPHRASE=demo \
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
cd "$proj"
pulumi stack init demo >/dev/null
pulumi config set iam:apiUrl "$url"
pulumi config set iam:organization acme
pulumi config set --secret iam:accessToken "$admin"
start=$(date +%s%N)
pulumi up --yes --non-interactive
echo "pulumi up took $(( ($(date +%s%N) - start) / 1000000 )) ms"

step "Stack outputs (the token is a secret)"
pulumi stack output
token=$(pulumi stack output ciToken --show-secrets)

step "What the CI token may do"
for path in /api/stacks/acme/myapp/prod /api/stacks/acme/myapp/dev; do
  code=$(curl -sS -o "$work/body" -w '%{http_code}' -H "Authorization: token $token" "$url$path")
  printf 'GET %-32s -> %s\n' "$path" "$code"
  [ "$code" = 200 ] || { sed 's/^/    /' "$work/body"; echo; }
done
code=$(curl -sS -o "$work/body" -w '%{http_code}' -X DELETE -H "Authorization: token $token" "$url/api/stacks/acme/myapp/dev")
printf 'DELETE %-29s -> %s\n' /api/stacks/acme/myapp/dev "$code"
tokid=$(pulumi stack output tokenId)
step "Why (POST /api/orgs/acme/access/check)"
api POST /api/orgs/acme/access/check "{\"checks\":[
  {\"principal\":\"$tokid\",\"action\":\"stack:delete\",\"entity\":{\"kind\":\"stack\",\"project\":\"myapp\",\"name\":\"prod\"}},
  {\"principal\":\"$tokid\",\"action\":\"stack:delete\",\"entity\":{\"kind\":\"stack\",\"project\":\"myapp\",\"name\":\"dev\"}},
  {\"principal\":\"$tokid\",\"action\":\"environment:open\",\"entity\":{\"kind\":\"environment\",\"project\":\"myapp\",\"name\":\"prod\"}},
  {\"principal\":\"$tokid\",\"action\":\"org_token:create\"}]}" | sed 's/},{/},\n {/g'; echo

step "The CI token runs pulumi up with the server as its state backend"
app=$work/app
mkdir -p "$app"
cp "$root/examples/github-actions/app/Pulumi.yaml" "$app/"
( # the CI token's own session: another PULUMI_HOME, logged in to the server
  export PULUMI_HOME=$work/ci-home PULUMI_BACKEND_URL=$url PULUMI_ACCESS_TOKEN=$token
  unset PULUMI_CONFIG_PASSPHRASE
  cd "$app"
  pulumi config set commit demo --stack acme/myapp/prod 2>/dev/null
  if pulumi up --yes --non-interactive --stack acme/myapp/prod >"$work/up-prod.log" 2>&1; then
    echo "pulumi up acme/myapp/prod -> allowed: $(grep -E 'created|unchanged' "$work/up-prod.log" | tail -1 | sed 's/^ *//')"
  else
    echo "pulumi up acme/myapp/prod -> FAILED"; cat "$work/up-prod.log"; exit 1
  fi
  if pulumi up --yes --non-interactive --stack acme/myapp/dev >"$work/up-dev.log" 2>&1; then
    echo "pulumi up acme/myapp/dev -> allowed (unexpected)"; exit 1
  fi
  echo "pulumi up acme/myapp/dev  -> refused: $(grep -o '\[403\].*' "$work/up-dev.log" | head -1)"
)

step "pulumi destroy"
pulumi destroy --yes --non-interactive >/dev/null && echo "destroyed; the token is revoked:"
printf 'GET %-32s -> %s\n' /api/user "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: token $token" "$url/api/user")"
