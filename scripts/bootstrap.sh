#!/usr/bin/env bash
# Set up this checkout of Returns Station. Idempotent: safe to run again at any time.
#
#   bash scripts/bootstrap.sh           the app: system libraries + .venv with the app installed
#   bash scripts/bootstrap.sh --test    also the test tools (pytest, ruff, mypy, import-linter),
#                                       the PostgreSQL server and Xvfb
#
# System packages (Debian/Ubuntu) are installed only when missing, and only when this
# user can (root, or passwordless sudo); otherwise the script says what to install and
# carries on. Environment: PYTHON=/path/to/python3.11 picks the interpreter for .venv.
set -euo pipefail

MIN_PYTHON_MAJOR=3
MIN_PYTHON_MINOR=11
PYTHON="${PYTHON:-python3}"

# Qt (xcb/EGL/fonts), zbar for pyzbar, D-Bus for keyring/Qt.
APP_PACKAGES=(
    libzbar0 libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
    libxcb-randr0 libxcb-render-util0 libxcb-image0 fonts-dejavu-core libpulse0
)
# The integration tests start their own PostgreSQL cluster from the server binaries; the
# bench journeys run the real app on Xvfb, typed at by xdotool, and look at it with
# ImageMagick's import.
TEST_PACKAGES=(postgresql xvfb xdotool imagemagick poppler-utils)

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '    WARNING: %s\n' "$*" >&2; }
die() {
    printf '\nERROR: %s\n' "$*" >&2
    exit 1
}

with_test=0
for arg in "$@"; do
    case "$arg" in
        --test) with_test=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "unknown argument: $arg"
            ;;
    esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
printf 'Returns Station bootstrap in %s (%s)\n' "$repo_root" \
    "$([[ $with_test == 1 ]] && echo 'app + tests' || echo 'app only')"

# --------------------------------------------------------------------------- system packages

python_ok() { # python_ok INTERPRETER: is it at least the minimum version?
    "$1" -c "import sys; sys.exit(sys.version_info < ($MIN_PYTHON_MAJOR, $MIN_PYTHON_MINOR))" \
        2>/dev/null
}

is_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

install_system_packages() {
    step "System packages"
    local wanted=("${APP_PACKAGES[@]}")
    if [[ $with_test == 1 ]]; then
        wanted+=("${TEST_PACKAGES[@]}")
    fi
    # Debian's python3 cannot create virtualenvs without python3-venv (ensurepip).
    if command -v "$PYTHON" >/dev/null 2>&1 && ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
        wanted+=(python3-venv)
    fi

    if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        info "not a Debian/Ubuntu system: make sure the equivalents of these are installed:"
        info "  ${wanted[*]}"
        return 0
    fi

    local missing=() package
    for package in "${wanted[@]}"; do
        is_installed "$package" || missing+=("$package")
    done
    if [[ ${#missing[@]} == 0 ]]; then
        info "all ${#wanted[@]} packages already installed"
        return 0
    fi
    info "missing: ${missing[*]}"

    local sudo=""
    if [[ $(id -u) != 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo"
        else
            warn "cannot install them (not root, no passwordless sudo); ask an admin to run:"
            warn "  sudo apt-get install --no-install-recommends ${missing[*]}"
            return 0
        fi
    fi

    info "apt-get update"
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
        warn "apt-get update failed; trying to install anyway"
    fi
    info "apt-get install ${missing[*]}"
    if ! $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        warn "apt-get install failed; install these yourself:"
        warn "  sudo apt-get install --no-install-recommends ${missing[*]}"
    fi
}

# --------------------------------------------------------------------------- virtualenv

create_venv() {
    step "Python virtualenv (.venv)"
    command -v "$PYTHON" >/dev/null 2>&1 ||
        die "$PYTHON not found: install Python >= $MIN_PYTHON_MAJOR.$MIN_PYTHON_MINOR" \
            "(Debian: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3"

    if ! python_ok "$PYTHON"; then
        local found
        found="$("$PYTHON" -c 'import platform; print(platform.python_version())' 2>&1 || true)"
        die "Returns Station needs Python >= $MIN_PYTHON_MAJOR.$MIN_PYTHON_MINOR" \
            "(requires-python in pyproject.toml), but $PYTHON is ${found:-unknown}." \
            "Install a newer Python (Debian 12 and Ubuntu 24.04 ship one; elsewhere use your" \
            "distribution's python3.11+ package or pyenv) and re-run with" \
            "PYTHON=/path/to/python3.11 bash scripts/bootstrap.sh"
    fi

    if [[ -x .venv/bin/python ]] && python_ok .venv/bin/python; then
        info "reusing .venv ($(.venv/bin/python --version 2>&1))"
    else
        if [[ -e .venv ]]; then
            info "existing .venv is broken or too old: recreating it"
        fi
        info "creating .venv with $PYTHON ($("$PYTHON" --version 2>&1))"
        "$PYTHON" -m venv --clear .venv ||
            die "could not create .venv; on Debian/Ubuntu install python3-venv first"
    fi

    step "pip"
    .venv/bin/python -m pip install --quiet --upgrade pip
    info "$(.venv/bin/python -m pip --version)"

    local target="."
    if [[ $with_test == 1 ]]; then
        target=".[test]"
    fi
    step "Installing Returns Station: pip install -e '$target'"
    .venv/bin/python -m pip install -e "$target"
}

install_system_packages
create_venv

step "Done"
info "run the app:    .venv/bin/returns-station"
if [[ $with_test == 1 ]]; then
    info "run the tests:  .venv/bin/python -m pytest"
fi
