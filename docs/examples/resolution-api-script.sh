#!/usr/bin/env bash
# A token script written against the seed app's REST API (/rest/de.resolution.apitokenauth/latest),
# as an administrator's existing script would be. It runs unchanged against tokengate's compatible
# subset (docs/migration.md).
#
# Usage:
#   resolution-api-script.sh                  create, list, rename and delete a demo token
#   resolution-api-script.sh create DESC [MONTHS]
#   resolution-api-script.sh list
#   resolution-api-script.sh rename ID DESC
#   resolution-api-script.sh delete ID
#
# Environment:
#   BASE_URL      where the API is, e.g. https://jira.example.com or https://tokengate.example.com
#   API_USER      user name
#   API_PASSWORD  that user's password (creating a token needs a password, not a token)
#   TOKEN_FILE    optional: `create` writes the new token here (mode 600) instead of printing it
#
# Needs bash, curl, and jq or python3 for JSON.
set -euo pipefail

: "${BASE_URL:?set BASE_URL, e.g. https://jira.example.com}"
: "${API_USER:?set API_USER}"
: "${API_PASSWORD:?set API_PASSWORD}"
API="${BASE_URL%/}/rest/de.resolution.apitokenauth/latest"

if command -v jq >/dev/null 2>&1; then
  JSON=jq
elif command -v python3 >/dev/null 2>&1; then
  JSON=python3
else
  echo "error: this script needs jq or python3 to read JSON" >&2
  exit 2
fi

# A top-level field of a JSON object on stdin, as text ("" when absent).
json_field() {
  if [ "$JSON" = jq ]; then
    jq -r --arg f "$1" '.[$f] // "" | tostring'
  else
    python3 -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("" if v is None else v)' "$1"
  fi
}

# One line per token of a {content: [...]} list: id, created, last used, valid until, description.
json_rows() {
  if [ "$JSON" = jq ]; then
    jq -r '.content[] | [.id,
      (.created / 1000 | floor | todate),
      (if .lastAccessed == 0 then "never" else (.lastAccessed / 1000 | floor | todate) end),
      (if .validUntil == 0 then "never" else (.validUntil / 1000 | floor | todate) end),
      .description] | @tsv'
  else
    python3 -c 'import json, sys, datetime
def when(ms):
    if not ms:
        return "never"
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
for t in json.load(sys.stdin)["content"]:
    print("\t".join([str(t["id"]), when(t["created"]), when(t["lastAccessed"]), when(t["validUntil"]), t["description"]]))'
  fi
}

# A JSON string literal for a shell string.
json_string() {
  if [ "$JSON" = jq ]; then
    jq -rn --arg s "$1" '$s | @json'
  else
    python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
  fi
}

# call METHOD PATH [JSON-BODY]: sets BODY and STATUS; stops the script on an HTTP error.
# The credentials reach curl through a config file descriptor, never its command line (ps shows that).
call() {
  local method=$1 path=$2 data=${3-} out user
  user="${API_USER}:${API_PASSWORD}"
  user=${user//\\/\\\\}
  user=${user//\"/\\\"}
  local args=(-sS -X "$method" -H 'Accept: application/json' -w '\n%{http_code}')
  if [ -n "$data" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$data"); fi
  out=$(curl "${args[@]}" --config <(printf 'user = "%s"\n' "$user") "${API}${path}")
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
  if [ "$STATUS" -ge 400 ]; then
    local message
    message=$(printf '%s' "$BODY" | json_field errorMessage 2>/dev/null || true)
    echo "error: $method $path answered $STATUS: ${message:-$BODY}" >&2
    exit 1
  fi
}

create() {
  local description=$1 months=${2:-} body id valid token
  body="{\"tokenDescription\": $(json_string "$description")"
  if [ -n "$months" ]; then body+=", \"tokenValidityTimeInMonths\": $months"; fi
  body+="}"
  call POST /user/token "$body"
  id=$(printf '%s' "$BODY" | json_field id)
  valid=$(printf '%s' "$BODY" | json_field tokenExpirationDateTime)
  token=$(printf '%s' "$BODY" | json_field plainTextToken)
  echo "created token $id \"$description\", valid until ${valid:-never}"
  if [ "${DEMO:-}" = yes ]; then
    echo "(the demo does not show the token: it deletes it at the end)"
  elif [ -n "${TOKEN_FILE:-}" ]; then
    (umask 077 && printf '%s\n' "$token" >"$TOKEN_FILE")
    echo "the token is in $TOKEN_FILE (it is shown only once)"
  else
    echo "token (shown only once): $token"
  fi
  CREATED_ID=$id
}

list() {
  local rows
  call GET /user/token
  rows=$(printf '%s' "$BODY" | json_rows)
  echo "tokens of $API_USER:"
  if [ -z "$rows" ]; then
    echo "  (none)"
    return
  fi
  while IFS=$'\t' read -r id created used valid description; do
    printf '  %s  created %s  last used %s  valid until %s  "%s"\n' "$id" "$created" "$used" "$valid" "$description"
  done <<<"$rows"
}

rename() {
  call PATCH "/user/token/$1" "{\"tokenDescription\": $(json_string "$2")}"
  echo "renamed token $1 to \"$2\""
}

delete() {
  call DELETE "/user/token/$1"
  [ "$BODY" = true ] || { echo "error: DELETE answered $BODY instead of true" >&2; exit 1; }
  echo "deleted token $1"
}

case "${1:-demo}" in
  create) create "${2:?create needs a description}" "${3:-}" ;;
  list) list ;;
  rename) rename "${2:?rename needs a token id}" "${3:?rename needs a description}" ;;
  delete) delete "${2:?delete needs a token id}" ;;
  demo)
    DEMO=yes
    create "migration check $(date -u +%Y-%m-%dT%H:%M:%SZ)" 1
    list
    rename "$CREATED_ID" "migration check (renamed)"
    list
    delete "$CREATED_ID"
    list
    ;;
  *)
    echo "usage: $0 [demo | create DESC [MONTHS] | list | rename ID DESC | delete ID]" >&2
    exit 2
    ;;
esac
