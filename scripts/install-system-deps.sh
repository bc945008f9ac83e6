#!/usr/bin/env bash
# Installs what PDF and HTML worksheets and their tests need from the system:
# - every program and TeX file listed in symbackprop/system-deps.txt (the list the
#   LaTeX preambles are written from), checked with `command -v` and `kpsewhich`;
#   as root (as in CI) the Debian packages providing the missing ones are installed
#   with apt-get and everything is checked again (exit 1 if something is still missing);
#   elsewhere it prints what to install, and the tests that need it skip with the same advice;
# - KaTeX from the npm registry into build/katex (git-ignored; never committed), when npm exists.
set -euo pipefail
cd "$(dirname "$0")/.."
LIST=symbackprop/system-deps.txt
KATEX_VERSION=0.19.1  # keep equal to symbackprop/worksheets/katex.py KATEX_VERSION

# Prints "name package" for each entry of the list that this machine lacks.
missing() {
    local kind name package purpose
    while read -r kind name package purpose; do
        case "$kind" in
            '' | '#'*) ;;
            program) command -v "$name" >/dev/null || echo "$name $package" ;;
            tex) kpsewhich "$name" >/dev/null 2>&1 || echo "$name $package" ;;
            *) echo "$LIST: unknown kind '$kind' for $name" >&2; exit 2 ;;
        esac
    done <"$LIST"
}

gaps=$(missing)
if [ -n "$gaps" ]; then
    names=$(cut -d' ' -f1 <<<"$gaps" | paste -sd' ')
    packages=$(cut -d' ' -f2 <<<"$gaps" | sort -u | paste -sd' ')
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "installing Debian packages $packages (for $names)"
        # Lock::Timeout: wait for another apt-get on a shared machine instead of failing.
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        # shellcheck disable=SC2086  # one word per package
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends $packages 2> >(grep -v 'since apt-utils is not installed' >&2) >/dev/null
        still=$(missing)
        if [ -n "$still" ]; then
            echo "error: still missing after apt-get install: $(cut -d' ' -f1 <<<"$still" | paste -sd' ')" \
                "(see $LIST for the packages that should provide them)" >&2
            exit 1
        fi
    else
        echo "note: not installed: $names; install the Debian packages $packages" \
            "(sudo apt-get install $packages); until then the tests that need them skip"
    fi
fi

katex_dir=build/katex/node_modules/katex
installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$katex_dir/package.json" 2>/dev/null | head -1 || true)
if [ "$installed" != "$KATEX_VERSION" ]; then
    if command -v npm >/dev/null; then
        echo "installing KaTeX $KATEX_VERSION from npm into build/katex"
        npm install --prefix build/katex --no-audit --no-fund --no-save --loglevel=error \
            "katex@$KATEX_VERSION" >/dev/null
    else
        echo "note: HTML worksheets need KaTeX; install npm, then run: make system-deps"
    fi
fi
