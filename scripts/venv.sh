# Sourced by the other scripts: makes .venv and installs the given requirements file into it,
# again only when that file has changed.
requirements="$1"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11 or newer is needed; set PYTHON to one." >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(basename "$requirements")"
if ! cmp -s "$requirements" "$stamp" || [ requirements.txt -nt "$stamp" ]; then
  echo "Installing the Python packages of $requirements into .venv (about a minute the first time)…" >&2
  # A line per package as pip fetches it, so that the minute is not a silent one; pip's own
  # errors still reach stderr whole, and with pipefail (every caller sets it) its status decides.
  set -o pipefail
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -r "$requirements" \
    | { grep --line-buffered -E '^(Collecting|Successfully installed)' || true; } >&2
  cp "$requirements" "$stamp"
fi
