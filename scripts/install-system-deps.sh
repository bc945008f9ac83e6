#!/usr/bin/env bash
# Installs the system packages the worksheet tests use, when we are root (as in CI).
# Elsewhere it only says what is missing; those tests then skip with the same advice.
set -euo pipefail
need=()
command -v latexmk >/dev/null || need+=(latexmk)
command -v pdflatex >/dev/null || need+=(texlive-latex-base texlive-latex-recommended)
kpsewhich tikz.sty >/dev/null 2>&1 || need+=(texlive-pictures)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
    echo "note: worksheet tests will skip; install these packages: ${need[*]}"
fi
