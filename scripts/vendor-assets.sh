#!/usr/bin/env bash
# Refresh the vendored front-end files under app/static/vendor/ from the npm registry.
# Run by developers when upgrading; `make run` and the tests never fetch anything.
set -euo pipefail
cd "$(dirname "$0")/.."

BOOTSTRAP_VERSION=5.3.9
BPMN_JS_VERSION=18.31.1
ECHARTS_VERSION=6.1.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch PACKAGE VERSION -> unpacked into $work/PACKAGE
  local name=$1 version=$2
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  mkdir -p "$work/$name"
  tar -xzf "$work/$name-$version.tgz" -C "$work/$name" --strip-components=1
}

fetch bootstrap "$BOOTSTRAP_VERSION"
dest=app/static/vendor/bootstrap
rm -rf "$dest" && mkdir -p "$dest"
cp "$work/bootstrap/dist/css/bootstrap.min.css" "$work/bootstrap/dist/js/bootstrap.bundle.min.js" "$dest/"
cp "$work/bootstrap/LICENSE" "$dest/LICENSE"
echo "bootstrap $BOOTSTRAP_VERSION" > "$dest/VERSION"
fetch bpmn-js "$BPMN_JS_VERSION"
dest=app/static/vendor/bpmn-js
rm -rf "$dest" && mkdir -p "$dest"
cp "$work/bpmn-js/dist/bpmn-navigated-viewer.production.min.js" "$work/bpmn-js/dist/assets/bpmn-js.css" \
   "$work/bpmn-js/dist/assets/diagram-js.css" "$dest/"
# The modeler (流程管理 → 在线编辑) and its palette icon font; the font is served from files, not a data: URI,
# so the CSP needs no font-src exception.
cp "$work/bpmn-js/dist/bpmn-modeler.production.min.js" "$dest/"
mkdir -p "$dest/bpmn-font/css" "$dest/bpmn-font/font"
cp "$work/bpmn-js/dist/assets/bpmn-font/css/bpmn.css" "$dest/bpmn-font/css/"
cp "$work/bpmn-js/dist/assets/bpmn-font/font/bpmn.woff2" "$work/bpmn-js/dist/assets/bpmn-font/font/bpmn.woff" \
   "$dest/bpmn-font/font/"
cp "$work/bpmn-js/LICENSE" "$dest/LICENSE"
echo "bpmn-js $BPMN_JS_VERSION" > "$dest/VERSION"

fetch echarts "$ECHARTS_VERSION"
dest=app/static/vendor/echarts
rm -rf "$dest" && mkdir -p "$dest"
cp "$work/echarts/dist/echarts.min.js" "$work/echarts/LICENSE" "$dest/"
echo "echarts $ECHARTS_VERSION" > "$dest/VERSION"

echo "vendored: $(cat app/static/vendor/*/VERSION | tr '\n' ' ')"
