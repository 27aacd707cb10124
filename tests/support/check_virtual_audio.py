"""End-to-end check of the virtual microphone and speaker (needs numpy, soundfile, sounddevice).

    .venv/bin/python tests/support/check_virtual_audio.py [--keep] [--wav FILE]

1. Starts the stack (tests/support/virtual_audio.sh start).
2. In a subprocess with the client environment applied *before* sounddevice is
   imported: lists PortAudio devices, records 6 s from the default input
   (sounddevice.InputStream, 16 kHz mono) while paplay speaks FILE into micfeed, and
   computes the normalised cross-correlation peak against FILE and the delay from
   launching paplay to the audio appearing in the recording.
3. Plays a 1 s 440 Hz tone (+0.3 s silence) with sounddevice.play(latency=0.2) to the
   default output while parecord captures the speaker monitor; reports RMS, duration,
   pitch and latency, and how much of an unpadded tone survives.
Exit 0 if correlation >= 0.98 and the speaker capture looks right. Stops the stack at
the end unless --keep is given (or it was already running before).
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATE = 16000
RECORD_SECONDS = 6.0
MIN_CORRELATION = 0.98


def worker(wav: str) -> dict[str, object]:
    """Runs in the child process, whose environment already points at the virtual stack."""
    sys.path.insert(0, str(HERE))
    import time

    import numpy as np
    import sounddevice as sd
    import soundfile as sf
    import virtual_audio as va

    result: dict[str, object] = {}

    # --- devices -------------------------------------------------------------------
    print(sd.query_devices(), flush=True)
    din, dout = sd.default.device
    result["default_input"] = sd.query_devices(din)["name"] if din is not None and din >= 0 else None
    result["default_output"] = sd.query_devices(dout)["name"] if dout is not None and dout >= 0 else None
    print(f"default input: {result['default_input']}  default output: {result['default_output']}")

    # --- microphone ------------------------------------------------------------------
    ref, ref_rate = sf.read(wav, dtype="float32", always_2d=True)
    ref = ref.mean(axis=1)
    if ref_rate != RATE:
        raise SystemExit(f"{wav}: expected {RATE} Hz, got {ref_rate} Hz")

    chunks: list[np.ndarray] = []
    statuses: list[str] = []
    frames_seen = 0

    def callback(indata, frames, time_info, status):  # type: ignore[no-untyped-def]
        nonlocal frames_seen
        if status:
            statuses.append(str(status))
        chunks.append(indata[:, 0].copy())
        frames_seen += frames

    with sd.InputStream(samplerate=RATE, channels=1, dtype="float32", callback=callback):
        time.sleep(0.5)  # let the stream settle, then "speak"
        frames_at_launch = frames_seen
        player = va.play_into_microphone(wav)
        time.sleep(RECORD_SECONDS)
    player.terminate()
    player.wait()
    rec = np.concatenate(chunks)

    # Normalised cross-correlation: find the lag by FFT cross-correlation, then the
    # Pearson-style normalised dot product over the overlap at that lag.
    n = len(rec) + len(ref)
    xc = np.fft.irfft(np.fft.rfft(rec, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(xc[: len(rec)]))
    overlap = min(len(rec) - lag, len(ref))
    a = rec[lag : lag + overlap].astype(np.float64)
    b = ref[:overlap].astype(np.float64)
    ncc = float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))
    gain = float(np.dot(a, b) / np.dot(b, b))
    result.update(
        mic_correlation=ncc,
        mic_gain=gain,
        mic_lag_from_stream_start_s=lag / RATE,
        mic_latency_from_paplay_launch_s=(lag - frames_at_launch) / RATE,
        mic_recorded_s=len(rec) / RATE,
        mic_overlap_s=overlap / RATE,
        mic_rms=float(np.sqrt(np.mean(rec**2))),
        mic_status_flags=statuses,
    )

    # --- speaker ---------------------------------------------------------------------
    # sounddevice.play(latency=0.2) + wait() closes the stream while ~latency of audio
    # is still buffered, so the tail is lost (PortAudio/ALSA-pulse; python-sounddevice
    # issue #283). The checked play pads 0.3 s of silence; the unpadded play is reported.
    tone_rate, tone_hz = 48000, 440.0
    t = np.arange(tone_rate) / tone_rate
    tone = (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
    padded = np.concatenate([tone, np.zeros(int(0.3 * tone_rate), np.float32)])

    def capture(data: np.ndarray) -> tuple[np.ndarray, int, float]:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "speaker.wav"
            recorder = va.record_speaker(out, rate=RATE, channels=1)
            t_rec = time.monotonic()
            time.sleep(0.2)
            play_at = time.monotonic() - t_rec
            sd.play(data, tone_rate, latency=0.2)
            sd.wait()
            time.sleep(0.3)
            va.stop_recording(recorder)
            cap, cap_rate = sf.read(out, dtype="float32", always_2d=True)
        return cap[:, 0], int(cap_rate), play_at

    def tone_span(cap: np.ndarray, rate: int) -> tuple[int, int]:
        loud = np.abs(cap) > 0.1
        if not loud.any():
            return -1, -1
        return int(np.argmax(loud)), len(loud) - int(np.argmax(loud[::-1]))

    cap, cap_rate, play_at = capture(padded)
    on, off = tone_span(cap, cap_rate)
    spectrum = np.abs(np.fft.rfft(cap))
    result.update(
        speaker_rms=float(np.sqrt(np.mean(cap**2))) if len(cap) else 0.0,
        speaker_tone_rms=float(np.sqrt(np.mean(cap[on:off] ** 2))) if on >= 0 else 0.0,
        speaker_tone_duration_s=(off - on) / cap_rate if on >= 0 else 0.0,
        speaker_latency_from_play_call_s=(on / cap_rate - play_at) if on >= 0 else None,
        speaker_peak_hz=float(np.argmax(spectrum) * cap_rate / len(cap)) if len(cap) else 0.0,
        speaker_captured_s=len(cap) / cap_rate,
    )
    cap, cap_rate, _ = capture(tone)
    on, off = tone_span(cap, cap_rate)
    result["speaker_unpadded_tone_duration_s"] = (off - on) / cap_rate if on >= 0 else 0.0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wav", help="16 kHz file to speak into the mic (default: a sentence espeak-ng says)")
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print("RESULT " + json.dumps(worker(args.wav)), flush=True)
        return 0

    sys.path.insert(0, str(HERE))
    import virtual_audio as va

    if args.wav is None:
        import speech

        made = Path(tempfile.mkdtemp(prefix="check-va-")) / "sentence.wav"
        atexit.register(shutil.rmtree, made.parent, True)
        args.wav = str(speech.write(speech.SENTENCE, made))
    was_running = va.is_running()
    env = va.start()
    print("client environment:")
    for key, value in env.items():
        print(f"  {key}={value}")
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", "--wav", args.wav],
            env=va.client_env(),
            stdout=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        if not (args.keep or was_running):
            va.stop()
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print(line)
    if proc.returncode != 0 or result is None:
        print(f"worker failed (exit {proc.returncode})", file=sys.stderr)
        return 1

    print()
    for key, value in result.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    mic_ok = result["mic_correlation"] >= MIN_CORRELATION
    spk_ok = (
        result["speaker_tone_rms"] > 0.1
        and abs(result["speaker_peak_hz"] - 440.0) < 5
        and result["speaker_tone_duration_s"] > 0.97
    )
    print()
    print(f"microphone: correlation {result['mic_correlation']:.6f} "
          f"(target >= {MIN_CORRELATION}), latency from paplay launch "
          f"{result['mic_latency_from_paplay_launch_s'] * 1000:.0f} ms -> {'OK' if mic_ok else 'FAIL'}")
    print(f"speaker:    captured tone RMS {result['speaker_tone_rms']:.3f} (0.354 expected), "
          f"{result['speaker_tone_duration_s']:.3f} s at {result['speaker_peak_hz']:.1f} Hz, "
          f"latency from sd.play {result['speaker_latency_from_play_call_s'] * 1000:.0f} ms "
          f"-> {'OK' if spk_ok else 'FAIL'}")
    print(f"            (without 0.3 s of trailing silence only "
          f"{result['speaker_unpadded_tone_duration_s']:.3f} s of the 1 s tone reach the speaker)")
    return 0 if mic_ok and spk_ok else 1


if __name__ == "__main__":
    sys.exit(main())
