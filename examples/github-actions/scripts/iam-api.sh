#!/usr/bin/env bash
# iam-api.sh METHOD PATH [BODY] [OK_STATUS…]: one call to the iamref server's API with the token in
# $IAM_TOKEN, at $IAM_API_URL. Prints the answer; fails (exit 1, with the server's message as a
# GitHub Actions error) unless the status is 2xx or one of OK_STATUS. The token is sent in a
# header read from stdin, so it never appears in the process list or the log.
set -euo pipefail
method=$1 path=$2 body=${3:-}
shift $(( $# < 3 ? $# : 3 ))
: "${IAM_API_URL:?set IAM_API_URL to the URL of the server, e.g. https://iam.example.com}"
: "${IAM_TOKEN:?set IAM_TOKEN to an organization token}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
args=(-sS -o "$out" -w '%{http_code}' -X "$method" -H @- -H 'Accept: application/vnd.pulumi+8')
[ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
code=$(printf 'Authorization: token %s\n' "$IAM_TOKEN" | curl "${args[@]}" "${IAM_API_URL%/}$path")
cat "$out"; echo
case $code in
2??) exit 0 ;;
esac
for ok in "$@"; do [ "$code" = "$ok" ] && exit 0; done
echo "::error::$method $path answered $code: $(cat "$out")" >&2
exit 1
