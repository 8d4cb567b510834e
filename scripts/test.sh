#!/usr/bin/env bash
# The whole test suite: installs what it needs, runs ruff and mypy, then pytest on SQLite and again on PostgreSQL.
# PostgreSQL: DUBAN_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test). Each pass makes
# a database of its own and drops it. Unreachable PostgreSQL skips that pass, except with CI=true.
set -uo pipefail
cd "$(dirname "$0")/.."

PG_URL=${DUBAN_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}
BIN=.venv/bin

install_browser() {
  # Debian's Chromium for the Playwright tests, and a CJK font so pages and screenshots show Chinese.
  if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== 安装 chromium 与中文字体 (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
  else
    echo "== 无法安装 chromium(需要 root 与 apt-get),浏览器测试将跳过(CI 中则失败)"
  fi
}

install_office() {
  # LibreOffice (headless) opens every exported .xlsx/.docx in the export tests.
  if command -v libreoffice >/dev/null; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== 安装 LibreOffice (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui libreoffice-calc-nogui >/dev/null
  else
    echo "== 无法安装 LibreOffice(需要 root 与 apt-get),导出文件的 LibreOffice 测试将跳过(CI 中则失败)"
  fi
}

install_sso_provider() {
  # node and the npm package oidc-provider (pinned by tests/sso/package-lock.json) for the SSO tests.
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "== 安装 node 与 npm (apt-get)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "== 无法安装 node(需要 root 与 apt-get),统一身份认证测试将跳过(CI 中则失败)"
      return
    fi
  fi
  local dir=tests/sso
  if [ -d "$dir/node_modules/oidc-provider" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return
  fi
  echo "== 安装统一身份认证测试用的 OpenID Connect 服务 (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "npm ci 失败,统一身份认证测试将跳过(CI 中则失败)"
}

pg_reachable() {
  "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except psycopg.OperationalError as error:
    print(f"   {error}".rstrip())
    sys.exit(1)
PY
}

make --no-print-directory install-test || exit 1
install_browser
install_office
install_sso_provider

status=0
# Lint and type checks first (config in pyproject.toml); a failure fails the run, but the tests still run.
echo "== 代码检查:ruff 与 mypy"
"$BIN/ruff" check app forms scheduler tests bench migrations || status=1
"$BIN/mypy" app forms scheduler || status=1

echo "== 第一遍:SQLite"
"$BIN/python" -m pytest "$@" || status=1

echo "== 第二遍:PostgreSQL ($PG_URL)"
if pg_reachable; then
  DUBAN_TEST_DATABASE_URL="$PG_URL" "$BIN/python" -m pytest "$@" || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL 不可达,CI 中必须运行 PostgreSQL 测试:失败"
  status=1
else
  echo "PostgreSQL 不可达,跳过 PostgreSQL 测试"
fi
exit $status
