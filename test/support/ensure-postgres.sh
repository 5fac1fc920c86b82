#!/usr/bin/env bash
# Makes PostgreSQL binaries available for the PostgreSQL variants of the server suites (run before `npm test`).
# Installs Debian's postgresql-15 when they are missing and this is root with apt-get; otherwise says why the
# PostgreSQL variants will be skipped. Never fails the test run by itself.
set -u
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[lubes] PostgreSQL binaries are missing and cannot be installed here (needs root and apt-get): PostgreSQL suites will be skipped" >&2
  exit 0
fi
echo "[lubes] installing postgresql-15 for the PostgreSQL test suites..." >&2
# No cluster of its own: the tests start a throwaway one.
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/lubes-no-main-cluster.conf
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null; }; then
  echo "[lubes] installing postgresql-15 failed: PostgreSQL suites will be skipped" >&2
fi
exit 0
