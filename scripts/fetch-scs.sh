#!/usr/bin/env bash
# Fetch the SCS 3.3.1 C sources from the pinned PyPI source distribution, verify its
# sha256 and extract its `scs_source/` directory into <repo>/.deps/scs-3.3.1/.
#
#   scripts/fetch-scs.sh            # prints the path of the extracted scs_source/
#
# Idempotent: if the sources are already extracted (marker file present) nothing is
# downloaded. Third-party code is never committed: .deps/ is git-ignored.
#
# Environment:
#   SCS_SDIST=/path/scs-3.3.1.tar.gz  use this local copy instead of downloading (still verified)
#   SCS_DEPS_DIR=/some/dir            extract into this directory instead of <repo>/.deps
#
# Needs: python3 with pip (only when downloading), tar, sha256sum (or shasum).
set -euo pipefail

VERSION=3.3.1
SHA256=dd9d43c1f2f189a84e84c26721e2c5129abf921a6a8acc48c154abae993357b1
SDIST_NAME="scs-${VERSION}.tar.gz"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
deps="${SCS_DEPS_DIR:-$repo/.deps}"
dest="$deps/scs-${VERSION}"
marker="$dest/.verified-sha256"

die() { echo "fetch-scs.sh: error: $*" >&2; exit 1; }
log() { echo "fetch-scs.sh: $*" >&2; }

if [[ -f "$marker" && "$(cat "$marker")" == "$SHA256" && -f "$dest/scs_source/include/scs.h" ]]; then
    echo "$dest/scs_source"
    exit 0
fi

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
    else die "neither sha256sum nor shasum is installed"; fi
}

mkdir -p "$deps"
tmp="$(mktemp -d "$deps/.fetch-scs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [[ -n "${SCS_SDIST:-}" ]]; then
    [[ -f "$SCS_SDIST" ]] || die "SCS_SDIST=$SCS_SDIST does not exist"
    log "using local sdist $SCS_SDIST"
    cp "$SCS_SDIST" "$tmp/$SDIST_NAME"
else
    command -v python3 >/dev/null 2>&1 || die "python3 not found (needed to download scs==$VERSION with pip)"
    python3 -m pip --version >/dev/null 2>&1 || die "pip is not available for python3 (install python3-pip)"
    log "downloading scs==$VERSION source distribution from PyPI (about a minute)"
    python3 -m pip download "scs==$VERSION" --no-binary scs --no-deps --disable-pip-version-check -d "$tmp" >&2 \
        || die "pip download scs==$VERSION failed"
fi

sdist="$tmp/$SDIST_NAME"
[[ -f "$sdist" ]] || die "expected $SDIST_NAME after download, found: $(ls "$tmp")"
got="$(sha256_of "$sdist")"
if [[ "$got" != "$SHA256" ]]; then
    die "sha256 mismatch for $SDIST_NAME
  expected $SHA256
  found    $got
refusing to use it"
fi
log "sha256 verified ($SHA256)"

tar -xzf "$sdist" -C "$tmp" "scs-${VERSION}/scs_source" "scs-${VERSION}/LICENSE" \
    || die "could not extract scs_source/ from $SDIST_NAME"
[[ -f "$tmp/scs-${VERSION}/scs_source/include/scs.h" ]] || die "scs_source/include/scs.h missing from $SDIST_NAME"

rm -rf "$dest"
mv "$tmp/scs-${VERSION}" "$dest"
echo "$SHA256" > "$marker"
log "extracted to $dest/scs_source"
echo "$dest/scs_source"
