#!/usr/bin/env bash
# Rebuilds every action bundle and fails, showing the difference, when the committed dist/
# does not match the source (as github/codeql-action's check-js.sh does). In GitHub Actions
# the diff also goes to the step summary. CHECK_DIST_SKIP_BUILD=1 only compares (for tests).
set -euo pipefail
cd "$(dirname "$0")/.."

# Every file under any actions/NAME/dist/ (a plain 'actions/*/dist' pathspec matches no file in it).
dist=':(glob)actions/*/dist/**'

if [ "${CHECK_DIST_SKIP_BUILD:-}" != 1 ]; then
  npm run build --silent
fi

if [ -n "$(git status --porcelain -- "$dist")" ]; then
  {
    echo "The committed dist/ bundles differ from what the source builds. Run 'npm run build' and commit actions/*/dist/."
    git status --short -- "$dist"
    git diff --text --stat -- "$dist"
  } >&2
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
      echo '### dist/ is out of date'
      echo
      echo '```text'
      git status --short -- "$dist"
      echo '```'
    } >> "$GITHUB_STEP_SUMMARY"
  fi
  exit 1
fi
echo "dist/ bundles match their source."
