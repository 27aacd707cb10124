#!/usr/bin/env bash
# virtual_audio.sh - a virtual microphone and speaker for tests, without sound hardware.
#
# A private PulseAudio daemon (its own socket, runtime dir and config under
# $VIRTUAL_AUDIO_DIR, default /tmp/coach-virtual-audio) provides:
#   virtual_speaker          null sink, the default output ("the speaker")
#   virtual_speaker.monitor  what was played to the speaker (record it with parecord)
#   virtual_mic              the default input ("the microphone"): a module-virtual-source
#                            over a silent module-null-source (max_latency_msec=20)
#   micfeed                  the virtual mic's uplink sink: whatever is played into it
#                            (paplay --device=micfeed answer.wav) is heard by the mic
#   keep-alive loopback      speaker.monitor -> a private null sink, 20 ms, so the monitor
#                            runs all the time and recorders do not lose the beginning;
#                            with VIRTUAL_AUDIO_ECHO=1 it goes to micfeed instead, so the
#                            mic also hears the speaker (full level, ~0.29 s late)
# PortAudio/sounddevice reaches it through the ALSA pulse plugin (libasound2-plugins),
# with pcm.!default / ctl.!default set to type pulse by tests/support/asound.conf,
# which ALSA_CONFIG_PATH points to. Nothing outside $VIRTUAL_AUDIO_DIR is written.
#
# Usage: virtual_audio.sh start|stop|restart|status|env|play-mic FILE|record-speaker OUT.wav
#   start    idempotent; prints the client environment as KEY=VALUE lines on stdout
#   stop     stops the daemon and removes $VIRTUAL_AUDIO_DIR
#   status   exit 0 if the stack is up and answering, 1 otherwise
#   env      prints the client environment (does not start anything)
#   play-mic FILE            paplay FILE into the microphone (blocks until played)
#   record-speaker OUT.wav   parecord the speaker monitor into OUT.wav (16 kHz mono
#                            s16 WAV) until interrupted with SIGINT/SIGTERM
# Diagnostics go to stderr; stdout of `start`/`env` is only KEY=VALUE lines.
set -euo pipefail

SUPPORT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VA_DIR="${VIRTUAL_AUDIO_DIR:-/tmp/coach-virtual-audio}"
VA_DIR="${VA_DIR%/}"
SOCKET="$VA_DIR/native"
RUNTIME="$VA_DIR/runtime"
# Clients (pactl, paplay, PortAudio through ALSA) keep their cookie and runtime link here, not in
# the caller's ~/.config/pulse: the tests leave the user's home as they found it.
export PULSE_COOKIE="$VA_DIR/client-cookie" PULSE_RUNTIME_PATH="$RUNTIME"
PIDFILE="$RUNTIME/pid"
PA_SCRIPT="$VA_DIR/virtual_audio.pa"
LOG="$VA_DIR/pulseaudio.log"
LOCK="$VA_DIR.lock"
ECHO_LOOPBACK="${VIRTUAL_AUDIO_ECHO:-0}"
# Seconds the daemon stays up with no client connected (-1: until stopped). Tests set it, so a
# daemon whose test run was killed outright (no cleanup could run) still goes away by itself.
EXIT_IDLE_S="${VIRTUAL_AUDIO_EXIT_IDLE_S:--1}"

SPEAKER=virtual_speaker
MIC=virtual_mic
MICFEED=micfeed
SILENCE=virtual_mic_silence
KEEPALIVE=virtual_speaker_keepalive
# The microphone chain runs at 16 kHz mono (speech; what coach records), so a 16 kHz
# file played into micfeed reaches a 16 kHz recorder bit-exact, without resampling.
MIC_RATE="${VIRTUAL_AUDIO_MIC_RATE:-16000}"
SPEAKER_RATE="${VIRTUAL_AUDIO_SPEAKER_RATE:-48000}"

ALSA_SYSTEM_CONF=/usr/share/alsa/alsa.conf
ALSA_TEST_CONF="$SUPPORT_DIR/asound.conf"

say() { printf 'virtual_audio: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

check_requirements() {
    command -v pulseaudio >/dev/null 2>&1 \
        || die "'pulseaudio' not found: install the Debian package 'pulseaudio' (apt-get install pulseaudio)"
    local tool
    for tool in pactl paplay parecord pacat; do
        command -v "$tool" >/dev/null 2>&1 \
            || die "'$tool' not found: install the Debian package 'pulseaudio-utils'"
    done
    command -v timeout >/dev/null 2>&1 || die "'timeout' not found: install 'coreutils'"
    command -v flock >/dev/null 2>&1 || die "'flock' not found: install 'util-linux'"
    [ -f "$ALSA_SYSTEM_CONF" ] || die "$ALSA_SYSTEM_CONF not found: install 'libasound2' (alsa-lib)"
    [ -f "$ALSA_TEST_CONF" ] || die "$ALSA_TEST_CONF is missing (it ships next to this script)"
    if ! compgen -G '/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so' >/dev/null \
        && ! compgen -G '/usr/lib/alsa-lib/libasound_module_pcm_pulse.so' >/dev/null; then
        die "ALSA pulse plugin not found: install the Debian package 'libasound2-plugins'"
    fi
    local libs=""
    command -v ldconfig >/dev/null 2>&1 && libs="$(ldconfig -p 2>/dev/null || true)"
    if [ -n "$libs" ] && ! grep -q 'libportaudio\.so\.2' <<<"$libs"; then
        say "warning: libportaudio.so.2 not found; sounddevice needs the Debian package 'libportaudio2'"
    fi
}

print_env() {
    # What a client process needs in its environment *before* it imports sounddevice.
    printf 'PULSE_SERVER=unix:%s\n' "$SOCKET"
    printf 'ALSA_CONFIG_PATH=%s:%s\n' "$ALSA_SYSTEM_CONF" "$ALSA_TEST_CONF"
    printf 'PULSE_COOKIE=%s\n' "$PULSE_COOKIE"
    printf 'PULSE_RUNTIME_PATH=%s\n' "$PULSE_RUNTIME_PATH"
    # Informational, used by virtual_audio.py and tests:
    printf 'VIRTUAL_AUDIO_DIR=%s\n' "$VA_DIR"
    printf 'VIRTUAL_AUDIO_MIC=%s\n' "$MIC"
    printf 'VIRTUAL_AUDIO_MIC_FEED=%s\n' "$MICFEED"
    printf 'VIRTUAL_AUDIO_SPEAKER=%s\n' "$SPEAKER"
    printf 'VIRTUAL_AUDIO_SPEAKER_MONITOR=%s.monitor\n' "$SPEAKER"
}

pa() {  # run a PulseAudio client tool against our daemon only
    PULSE_SERVER="unix:$SOCKET" timeout 5 "$@"
}

# PIDs of pulseaudio daemons started by this script for this $VA_DIR (from the pid file
# and from /proc, so a daemon whose pid file was lost is found too). Only processes whose
# command line names our own script file are ever returned.
daemon_pids() {
    local p cmd pids=""
    if [ -r "$PIDFILE" ]; then
        p="$(tr -dc '0-9' <"$PIDFILE" || true)"
        [ -n "$p" ] && pids="$p"
    fi
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [ "$(cat "/proc/$p/comm" 2>/dev/null || true)" = pulseaudio ] || continue
        pids="$pids $p"
    done
    for p in $pids; do
        [ -r "/proc/$p/cmdline" ] || continue
        [ "$(cat "/proc/$p/comm" 2>/dev/null || true)" = pulseaudio ] || continue
        cmd="$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)"
        case "$cmd" in *" -F $PA_SCRIPT "*) echo "$p" ;; esac
    done | sort -un
}

# 0 if our daemon answers and has the virtual devices.
is_up() {
    [ -S "$SOCKET" ] || return 1
    local info sinks sources
    info="$(pa pactl info 2>/dev/null)" || return 1
    sinks="$(pa pactl list short sinks 2>/dev/null)" || return 1
    sources="$(pa pactl list short sources 2>/dev/null)" || return 1
    grep -q "^Server String: unix:$SOCKET\$" <<<"$info" || return 1
    awk '{print $2}' <<<"$sinks" | grep -qx "$SPEAKER" || return 1
    awk '{print $2}' <<<"$sinks" | grep -qx "$MICFEED" || return 1
    awk '{print $2}' <<<"$sources" | grep -qx "$MIC" || return 1
    return 0
}

# 0 if the speaker monitor delivers audio in real time (a recorder would not lose the
# beginning): a 0.4 s probe recording must return at least 0.2 s of samples.
monitor_flows() {
    local bytes
    bytes="$( (PULSE_SERVER="unix:$SOCKET" timeout 0.4 pacat --record --device="$SPEAKER.monitor" \
        --latency-msec=20 --rate=16000 --channels=1 --format=s16le 2>/dev/null || true) | wc -c)"
    [ "${bytes:-0}" -ge 6400 ]
}

wait_monitor_flows() {
    local i
    for i in $(seq 10); do
        monitor_flows && return 0
        pa pactl suspend-sink "$SPEAKER" 1 >/dev/null 2>&1 || true
        pa pactl suspend-sink "$SPEAKER" 0 >/dev/null 2>&1 || true
    done
    say "the speaker monitor $SPEAKER.monitor delivers no audio"
    return 1
}

ensure_defaults() {
    local info
    info="$(pa pactl info 2>/dev/null)" || return 1
    if ! grep -qx "Default Sink: $SPEAKER" <<<"$info"; then
        say "default sink was changed; resetting it to $SPEAKER"
        pa pactl set-default-sink "$SPEAKER"
    fi
    if ! grep -qx "Default Source: $MIC" <<<"$info"; then
        say "default source was changed; resetting it to $MIC"
        pa pactl set-default-source "$MIC"
    fi
}

kill_daemon() {
    local pids p i
    pids="$(daemon_pids)"
    if [ -n "$pids" ]; then
        say "stopping pulseaudio pid(s): $(echo $pids)"
        for p in $pids; do kill -TERM "$p" 2>/dev/null || true; kill -CONT "$p" 2>/dev/null || true; done
        for i in $(seq 50); do
            local alive=""
            for p in $pids; do [ -d "/proc/$p" ] && alive=1; done
            [ -z "$alive" ] && break
            sleep 0.1
        done
        for p in $pids; do
            if [ -d "/proc/$p" ]; then
                say "pid $p did not exit on SIGTERM; sending SIGKILL"
                kill -KILL "$p" 2>/dev/null || true
            fi
        done
    fi
    rm -f "$SOCKET" "$PIDFILE"
}

write_config() {
    mkdir -p "$VA_DIR" "$RUNTIME" "$VA_DIR/state" "$VA_DIR/home"
    chmod 700 "$RUNTIME"
    {
        echo "# Generated by $SUPPORT_DIR/virtual_audio.sh - do not edit."
        echo ".fail"
        echo "load-module module-native-protocol-unix auth-anonymous=1 socket=$SOCKET"
        echo "load-module module-null-sink sink_name=$SPEAKER rate=$SPEAKER_RATE channels=2 sink_properties=device.description=Virtual_Speaker"
        echo "load-module module-null-source source_name=$SILENCE rate=$MIC_RATE channels=1 max_latency_msec=20 description=Virtual_Mic_Silence"
        echo "load-module module-virtual-source source_name=$MIC master=$SILENCE uplink_sink=$MICFEED source_properties=device.description=Virtual_Microphone"
        # A 20 ms loopback reading the speaker monitor keeps that monitor running at low
        # latency; without it a recorder attached to an idle null-sink monitor starts
        # 1-2 s late and loses the beginning. By default it feeds a private null sink
        # (no echo); with VIRTUAL_AUDIO_ECHO=1 it feeds micfeed, so the app hears its own
        # speaker in the mic (full level, ~0.29 s late - not like a real room).
        if [ "$ECHO_LOOPBACK" = 1 ]; then
            echo "load-module module-loopback source=$SPEAKER.monitor sink=$MICFEED latency_msec=20 source_dont_move=true sink_dont_move=true"
        else
            echo "load-module module-null-sink sink_name=$KEEPALIVE rate=$SPEAKER_RATE channels=2 sink_properties=device.description=Virtual_Speaker_Keepalive"
            echo "load-module module-loopback source=$SPEAKER.monitor sink=$KEEPALIVE latency_msec=20 source_dont_move=true sink_dont_move=true"
        fi
        # The null sink's first render cycle uses its 2 s default latency, so its monitor
        # delivers nothing for ~1.8 s after start; a suspend/resume cycle restarts it at
        # the 20 ms the loopback asks for.
        echo "suspend-sink $SPEAKER 1"
        echo "suspend-sink $SPEAKER 0"
        echo "set-default-sink $SPEAKER"
        echo "set-default-source $MIC"
    } >"$PA_SCRIPT"
}

start_daemon() {
    write_config
    rm -f "$LOG"
    # User-mode daemon (works as root; it only warns). env -i isolates it from the
    # caller's HOME, XDG dirs, D-Bus session and any PULSE_* settings.
    if ! env -i PATH="/usr/sbin:/usr/bin:/sbin:/bin" LANG=C \
        HOME="$VA_DIR/home" XDG_RUNTIME_DIR="$RUNTIME" XDG_CONFIG_HOME="$VA_DIR/home/.config" \
        PULSE_RUNTIME_PATH="$RUNTIME" PULSE_STATE_PATH="$VA_DIR/state" \
        DBUS_SESSION_BUS_ADDRESS="unix:path=$VA_DIR/no-dbus" \
        pulseaudio --daemonize=yes --system=no -n -F "$PA_SCRIPT" \
            --exit-idle-time="$EXIT_IDLE_S" --use-pid-file=yes --disallow-exit=no \
            --disallow-module-loading=no --log-target="file:$LOG" --log-level=notice \
            </dev/null >/dev/null 2>>"$VA_DIR/daemon.stderr" 9>&-; then
        say "pulseaudio failed to start; log follows"
        cat "$VA_DIR/daemon.stderr" >&2 2>/dev/null || true
        tail -n 30 "$LOG" >&2 2>/dev/null || true
        return 1
    fi
    local i
    for i in $(seq 100); do
        if is_up; then wait_monitor_flows; return; fi
        if grep -q -e 'Failed to load module' -e 'does not exist' "$LOG" 2>/dev/null; then
            say "the PulseAudio script $PA_SCRIPT failed; log follows"
            tail -n 30 "$LOG" >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    say "pulseaudio started but did not answer 'pactl info' within 10 s; log follows"
    tail -n 30 "$LOG" >&2 2>/dev/null || true
    return 1
}

with_lock() {
    mkdir -p "$(dirname "$LOCK")"
    exec 9>"$LOCK"
    flock -w 60 9 || die "could not lock $LOCK within 60 s"
}

cmd_start() {
    check_requirements
    with_lock
    if is_up && monitor_flows; then
        ensure_defaults
        say "already running (pid $(daemon_pids | tr '\n' ' '| sed 's/ $//'))"
    else
        kill_daemon   # stale pid file, socket or wedged daemon from an earlier run
        start_daemon || { kill_daemon; exit 1; }
        say "started (pid $(daemon_pids | tr '\n' ' ' | sed 's/ $//'), log $LOG)"
    fi
    print_env
}

cmd_stop() {
    with_lock
    kill_daemon
    # Remove only what this script creates (VIRTUAL_AUDIO_DIR may point anywhere).
    rm -rf "$RUNTIME" "$VA_DIR/state" "$VA_DIR/home" "$PA_SCRIPT" "$LOG" \
        "$VA_DIR/daemon.stderr" "$SOCKET"
    rmdir "$VA_DIR" 2>/dev/null || true
    say "stopped"
}

cmd_status() {
    if is_up; then
        say "up: pid $(daemon_pids | tr '\n' ' ' | sed 's/ $//'), server unix:$SOCKET"
        exit 0
    fi
    say "down"
    exit 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    env) print_env ;;
    play-mic)
        [ -n "${2:-}" ] || die "usage: $0 play-mic FILE"
        is_up || die "virtual audio is not running (run: $0 start)"
        PULSE_SERVER="unix:$SOCKET" exec paplay --device="$MICFEED" "$2" ;;
    record-speaker)
        [ -n "${2:-}" ] || die "usage: $0 record-speaker OUT.wav"
        is_up || die "virtual audio is not running (run: $0 start)"
        PULSE_SERVER="unix:$SOCKET" exec parecord --device="$SPEAKER.monitor" \
            --rate=16000 --channels=1 --format=s16le --file-format=wav "$2" ;;
    *)
        echo "usage: $0 start|stop|restart|status|env|play-mic FILE|record-speaker OUT.wav" >&2
        exit 2 ;;
esac
