#!/usr/bin/env bash
# Installs what the worksheet tests and HTML worksheets use:
# - Debian packages (TeX Live with TikZ, latexmk, poppler, Chromium), when we are root (as in CI);
#   elsewhere it only says what is missing, and those tests skip with the same advice;
# - KaTeX from the npm registry into build/katex (git-ignored; never committed), when npm exists.
set -euo pipefail
cd "$(dirname "$0")/.."
KATEX_VERSION=0.19.1  # keep equal to symbackprop/worksheets/katex.py KATEX_VERSION

need=()
command -v latexmk >/dev/null || need+=(latexmk)
command -v pdflatex >/dev/null || need+=(texlive-latex-base texlive-latex-recommended)
kpsewhich tikz.sty >/dev/null 2>&1 || need+=(texlive-pictures)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "installing system packages: ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "note: worksheet tests will skip; install these packages: ${need[*]}"
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
