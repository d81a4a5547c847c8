#!/usr/bin/env bash
# make setup: make sure creditcase finds what it needs on this machine.
#
# 1. A PostgreSQL server to run. With DATABASE_URL set nothing is needed.
#    Otherwise the system's PostgreSQL server binaries (initdb, postgres) are
#    needed; on Debian as root they are installed with apt-get, without
#    creating or starting the distribution's own cluster (creditcase runs a
#    private one under .data/pg).
# 2. Fonts for PDF documents (internal/documents): a CJK TrueType font
#    (fonts-droid-fallback) and a Latin one (fonts-dejavu-core), unless
#    DOCUMENT_FONT / DOCUMENT_LATIN_FONT name .ttf files; and poppler-utils
#    (pdftotext, pdfinfo), which the document tests use to read PDFs back.
# 3. Chromium for the console's browser tests (integration/, driven with
#    chromedp). `make run` does not need it; `make test` does.
set -euo pipefail

apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

have_pg() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

setup_pg() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "setup: DATABASE_URL is set; using that PostgreSQL server"
    return 0
  fi
  if have_pg; then
    return 0
  fi
  if can_apt; then
    echo "setup: installing the PostgreSQL server package with apt-get"
    mkdir -p /etc/postgresql-common
    # Do not create or start the distribution's default cluster.
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    apt_install postgresql
    have_pg && { echo "setup: PostgreSQL server installed"; return 0; }
    echo "setup: apt-get finished but initdb is still missing" >&2
    return 1
  fi
  cat >&2 <<'MSG'
setup: PostgreSQL server binaries (initdb, postgres) are not installed.
  Debian/Ubuntu:  sudo apt-get install postgresql
  Fedora/RHEL:    sudo dnf install postgresql-server
  macOS:          brew install postgresql@15
or point creditcase at an existing server: export DATABASE_URL=postgres://user:password@host:5432/creditcase
MSG
  return 1
}

# The paths below are internal/documents' FontSpec paths (first entries).
cjk_font=/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
latin_font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

setup_documents() {
  local missing=()
  if [ -z "${DOCUMENT_FONT:-}" ] && [ ! -f "$cjk_font" ] && [ ! -f /usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf ]; then
    missing+=(fonts-droid-fallback)
  fi
  if [ -z "${DOCUMENT_LATIN_FONT:-}" ] && [ ! -f "$latin_font" ] && [ ! -f /usr/share/fonts/dejavu/DejaVuSans.ttf ]; then
    missing+=(fonts-dejavu-core)
  fi
  if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdfinfo >/dev/null 2>&1; then
    missing+=(poppler-utils)
  fi
  [ "${#missing[@]}" = 0 ] && return 0
  if can_apt; then
    echo "setup: installing ${missing[*]} with apt-get (PDF documents)"
    apt_install "${missing[@]}"
    return 0
  fi
  cat >&2 <<MSG
setup: PDF documents need packages that are not installed: ${missing[*]}
  Debian/Ubuntu:  sudo apt-get install ${missing[*]}
  elsewhere:      set DOCUMENT_FONT to a TrueType (.ttf) CJK font and DOCUMENT_LATIN_FONT
                  to a TrueType Latin font; install poppler (pdftotext, pdfinfo) for the tests
MSG
  return 1
}

have_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1
}

setup_browser() {
  have_chromium && return 0
  if can_apt; then
    echo "setup: installing chromium with apt-get (the console's browser tests)"
    apt_install chromium
    return 0
  fi
  cat >&2 <<'MSG'
setup: the console's browser tests need Chromium, which is not installed.
  Debian/Ubuntu:  sudo apt-get install chromium
MSG
  return 1
}

status=0
setup_pg || status=1
setup_documents || status=1
if [ "${SETUP_BROWSER:-1}" = 1 ]; then
  setup_browser || status=1
fi
exit "$status"
