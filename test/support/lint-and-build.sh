#!/usr/bin/env bash
# The first step of `npm test`: `npm run lint` and `npm run build`, on both cores. eslint (type-aware, the longest
# step) runs on its own while tsc checks the whole tree and then builds; either failing fails the step.
set -euo pipefail
cd "$(dirname "$0")/../.."
# A process group of its own, so that a failing tsc stops eslint and the processes npx started.
set -m
npx eslint . &
eslint=$!
set +m
trap 'kill -- "-$eslint" 2>/dev/null || true' EXIT
npx tsc --noEmit -p .
npx tsc --noEmit -p server/dashboard
npm run build --silent
wait "$eslint"
