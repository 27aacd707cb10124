"""Filled pauses ("um", "uh"): the ones Whisper kept, and the ones recovered from the audio.

Whisper was trained on cleaned transcripts and drops most filled pauses. What is left behind
is sound that no word accounts for: a held vowel (often closing into a hum), 0.3 s or longer,
next to where voice activity hears speech. This module finds such stretches with plain numpy
(no scipy), and computes spectra only where the words leave loud sound unexplained, so an
answer of two minutes costs some tens of milliseconds.

What makes a stretch a filled pause, measured every 10 ms:
* loud: well above the noise floor and within 20 dB of the speaker's loud frames;
* sonorant: far more energy below 1 kHz than above 2.5 kHz (not breath, hiss or a fricative);
* steady: the spectral envelope (20 mel bands, gain removed, noise subtracted) holds still
  over 150 ms, which a word's changing phones do not: the measure of stable formants and low
  spectral flux;
* a voice: the mean spectrum has formant peaks (not a smooth noise) spread over many bands
  (not a tone).
Pitch is deliberately not required: fillers are often creaky (in the eval clips, one of the
recovered fillers has a periodic pitch in only 6 % of its frames), and the envelope measures
above do not depend on it.

Whisper's word timestamps are often stretched over a dropped filler (the next word's start
pulled back over the "uh", or the previous word's end pushed over it), and its edges are off
by a tenth of a second or more. So a word is trusted to cover only its middle, a word that
lasts much longer than its letters justify is not trusted at all, and a sound that reaches
into a word counts only if the word still has room for itself on one side of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coach.analysis.lexicon import is_filled_pause, normalise_token
from coach.audio.files import SAMPLE_RATE
from coach.speech.transcriber import Word
from coach.speech.vad import SpeechRegion


@dataclass(frozen=True)
class Filler:
    """One filled pause in the answer."""

    text: str
    start: float
    end: float
    #: "words" when Whisper wrote it, "audio" when it was recovered from the sound.
    source: str

    @property
    def duration_s(self) -> float:
        return self.end - self.start


# --- Analysis frames ----------------------------------------------------------------------
_HOP = 160  # 10 ms: fine enough to time a 0.3 s sound, coarse enough to stay cheap
_WIN = 512  # 32 ms: resolves formants; a filler's spectrum is judged, not its harmonics
_FRAME_S = _HOP / SAMPLE_RATE
_BANDS = 20  # mel-spaced bands over 100-4000 Hz, where vowel formants live
_BAND_LO_HZ, _BAND_HI_HZ = 100.0, 4000.0

# --- Loudness -----------------------------------------------------------------------------
#: A filler is voiced, not breathed: its frames stand at least this far above the noise floor
#: (dB) and no further than _BELOW_SPEECH_DB below the speaker's loud frames.
_LOUD_DB = 5.0
_BELOW_SPEECH_DB = 20.0
#: The filler's edges (a fading nasal) are followed down to this much less loud (dB).
_EDGE_DROP_DB = 3.0
#: Speech spans about this much dynamic range; below speech level minus this is silence even
#: in a recording whose pauses are digital zeros (which would make the percentile floor -inf).
_DYNAMIC_RANGE_DB = 50.0
#: Samples in the moving average that the level's high-pass subtracts (5 ms at 16 kHz).
_HIGH_PASS = 80
_BLOCK = 32  # samples summed at a time for frame energies; divides both _HOP and _WIN

# --- Steadiness ---------------------------------------------------------------------------
#: Window over which the spectrum must hold still: 150 ms is about two phones of fluent speech,
#: so a word's changing phones move the spectrum within it while a held vowel does not.
_STEADY_WINDOW = 15
#: Mean standard deviation of the band levels (dB, gain removed) within that window. Measured
#: on the aligned eval clips: frames inside filled pauses have a median near 2.7 dB, frames
#: inside words near 3.9 dB.
_STEADY_MAX_DB = 3.2
#: Vowels and nasals put far more energy below 1 kHz than above 2.5 kHz; breath, fricatives
#: and hiss do not (dB).
_SONORANT_MIN_DB = 3.0
#: Dips shorter than this inside a steady stretch are jitter in the features, not a new sound.
_BRIDGE_FRAMES = 4
#: A steady core at least this long (s); with its edges the sound must then reach _MIN_FILLER_S.
_MIN_CORE_S = 0.2
_MIN_FILLER_S = 0.3
#: The edges around a core (onset, fading hum) are followed at most this far (s) each way.
_MAX_EDGE_S = 0.3

# --- Is it a voice, and is it an "um" ----------------------------------------------------
#: Spread of the band levels around their tilt that marks formants (dB).
_FORMANT_CONTRAST_DB = 2.0
#: Effective number of bands holding the energy (inverse participation ratio): a tone is 1-1.5,
#: the fillers in the eval clips 3.7-8.
_MIN_EFFECTIVE_BANDS = 2.5
#: How far (dB) the mid/low ratio must fall from the vowel to the tail to hear a closing "m".
_NASAL_DROP_DB = 8.0

# --- Words --------------------------------------------------------------------------------
#: Longest plausible duration of a spoken word, from its letters: about the 90th percentile of
#: the human-aligned words in the eval clips (s = _WORD_BASE_S + _WORD_PER_LETTER_S * letters).
_WORD_BASE_S = 0.15
_WORD_PER_LETTER_S = 0.08
#: Typical (median) duration of a word, from its letters, in the human-aligned eval clips.
_WORD_TYPICAL_BASE_S = 0.04
_WORD_TYPICAL_PER_LETTER_S = 0.05
#: How far Whisper's word edges may reach into a dropped filler (s).
_WORD_EDGE_S = 0.12
#: A sound this close to a stretch of voice activity belongs to it (s): Silero often starts a
#: region only at the first word after a hesitation.
_NEAR_VOICE_S = 0.5
#: An audio filler this close to a filler Whisper wrote is the same filler (s).
_SAME_FILLER_S = 0.15

_LETTERS = re.compile(r"[^\w]|_")
_HELD = re.compile(r"(\w)\1{2,}")


def _is_filled(text: str) -> bool:
    """A filled pause, however long it was held in the spelling ("mmm", "ummm", "uhhh")."""
    return is_filled_pause(_HELD.sub(r"\1\1", text.lower()))

#: Recordings up to this long are measured whole; longer ones in blocks of _BLOCK_S, each read
#: with _BLOCK_CONTEXT_S of the audio around it (the noise floor and voice level are then
#: those of the last minute or so, which also follows a level that drifts).
_WHOLE_S = 300.0
_BLOCK_S = 60.0
_BLOCK_CONTEXT_S = 5.0


def fillers_from_words(words: Sequence[Word]) -> list[Filler]:
    """The filled pauses Whisper kept in the transcript.

    Args:
        words: the transcript's timed words.

    Returns:
        One filler per filled-pause word ("um", "uh", "er", "hmm", ...), in order, with the
        word's normalised text.
    """
    return [Filler(normalise_token(w.text), w.start, w.end, "words") for w in words if _is_filled(w.text)]


def find_filled_pauses(samples: np.ndarray, words: Sequence[Word],
                       regions: Sequence[SpeechRegion] | None = None) -> list[Filler]:
    """All filled pauses: those in the words and those recovered from the audio, in order.

    A recovered filler that overlaps (or nearly touches) one Whisper wrote is the same filler
    and is dropped: the word's text is the better label.

    Args:
        samples: 16 kHz mono float32 audio of the answer.
        words: the transcript's timed words.
        regions: voice activity for ``samples``; computed when not given.
    """
    kept = fillers_from_words(words)
    recovered = [
        f for f in recover_filled_pauses(samples, words, regions)
        if not any(f.start < k.end + _SAME_FILLER_S and k.start - _SAME_FILLER_S < f.end for k in kept)
    ]
    return sorted(kept + recovered, key=lambda f: (f.start, f.end))


def recover_filled_pauses(samples: np.ndarray, words: Sequence[Word],
                          regions: Sequence[SpeechRegion] | None = None,
                          frames: FrameMeasures | None = None) -> list[Filler]:
    """Filled pauses Whisper left out, found in the sound that no word explains.

    A stretch counts when it is loud, sonorant and spectrally steady for at least 0.2 s (a
    vowel and the hum of an "um" together), lasts 0.3 s or longer with its fading edges, has
    the spectrum of a voice, lies within 0.5 s of voice activity, does not overlap the trusted
    middle of a word, and leaves every word it reaches into room for itself on one side.

    Args:
        samples: 16 kHz mono float32 audio of the answer.
        words: the transcript's timed words (fillers among them are left alone).
        regions: voice activity for ``samples``; computed with Silero when not given (which
            costs far more than the rest: pass the regions the pipeline already has).
        frames: the measures of ``samples``' frames taken while it was recorded
            (:class:`FrameMeasures`); the frames it lacks are measured here. The result is the
            same as without it: only the work moves to before the stop.

    Returns:
        Fillers with source "audio", in order, with text "um" when the sound closes into a
        hum, else "uh".
    """
    if frames is not None:
        frames.extend(samples, final=True)
        if frames.final_length != len(samples):  # measured on another recording: not these frames
            frames = None
    if len(samples) <= _WHOLE_S * SAMPLE_RATE:
        return _analyse(np.asarray(samples), words, regions, frames)[0]
    if regions is None:
        from coach.speech.vad import speech_regions

        regions = speech_regions(samples)
    # A long recording is read a block at a time (with some context either side), so memory
    # does not grow with its length; a filler belongs to the block where it starts.
    fillers: list[Filler] = []
    step, context = int(_BLOCK_S * SAMPLE_RATE), int(_BLOCK_CONTEXT_S * SAMPLE_RATE)
    for start in range(0, len(samples), step):
        lo, hi = max(0, start - context), min(len(samples), start + step + context)
        offset = lo / SAMPLE_RATE
        t0, t1 = offset, hi / SAMPLE_RATE
        block_words = [Word(w.text, w.start - offset, w.end - offset, w.probability)
                       for w in words if w.end > t0 and w.start < t1]
        block_regions = [SpeechRegion(r.start - offset, r.end - offset) for r in regions if r.end > t0 and r.start < t1]
        # Measured ahead, a block's frames are those of the whole recording (its grid starts on a
        # frame: both steps are whole frames), so only the high-pass at its two ends differs.
        block_frames = frames.part(lo // _HOP, lo // _HOP + _frame_count(hi - lo)) if frames is not None else None
        for f in _analyse(np.asarray(samples[lo:hi]), block_words, block_regions, block_frames)[0]:
            if start / SAMPLE_RATE <= f.start + offset < (start + step) / SAMPLE_RATE:
                fillers.append(Filler(f.text, round(f.start + offset, 3), round(f.end + offset, 3), f.source))
    return fillers


def _analyse(samples: np.ndarray, words: Sequence[Word], regions: Sequence[SpeechRegion] | None,
             frames: FrameMeasures | None = None) -> tuple[list[Filler], dict[str, np.ndarray]]:
    """The recovery itself; also returns the per-frame measures, for tests and tuning.

    With ``frames`` (measured ahead, covering every frame of ``samples``) the levels and spectra
    are read from it; else the levels are measured here and the spectra only where needed.
    """
    trace: dict[str, np.ndarray] = {}
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if len(x) < _WIN + int(_MIN_FILLER_S * SAMPLE_RATE):
        return [], trace
    if regions is None:
        from coach.speech.vad import speech_regions

        regions = speech_regions(x)
    n = _frame_count(len(x))
    times = (np.arange(n) * _HOP + _WIN / 2) / SAMPLE_RATE  # frame centres
    if frames is not None and frames.count >= n:
        level = frames.level[:n]
        measure = frames.take
    else:
        level = _frame_levels(x, n)

        def measure(index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return _spectral_measures(_power_spectra(x, index))
    floor, speech = _floor_and_speech_level(level)
    # Loudness above the level a filler must reach: positive means loud enough.
    snr = level - max(floor + _LOUD_DB, speech - _BELOW_SPEECH_DB)
    trace.update(times=times, snr=snr)
    if speech - floor < 2 * _LOUD_DB:
        return [], trace  # nothing stands out of the noise: no speech to hesitate in

    trusted, owner = _word_cover(words, times)
    near_voice = _near_regions(regions, times)
    trace.update(trusted=trusted, owner=owner, near_voice=near_voice)
    # Only loud sound that no trusted word explains, near voice activity, can hold a dropped
    # filler; the spectrum is computed for those frames (and their context) alone.
    candidate = (snr >= 0) & ~trusted & near_voice
    candidate = _bridge(candidate, _BRIDGE_FRAMES)
    spans = [(a, b) for a, b in _runs(candidate) if (b - a) * _FRAME_S >= _MIN_CORE_S]
    if not spans:
        return [], trace
    # Context for the steadiness window, and room for the edges a core may grow.
    context = _STEADY_WINDOW // 2 + 1 + int(round(_MAX_EDGE_S / _FRAME_S))
    wanted = np.zeros(n, bool)
    for a, b in spans:
        wanted[max(0, a - context):min(n, b + context)] = True
    index = np.flatnonzero(wanted)
    bands, sonorance, openness = measure(index)
    noise = _noise_bands(measure, level, floor)

    clean = np.maximum(bands - noise, noise)
    # A band under the noise reads as the noise level, so hiss does not look like movement;
    # an absolute floor keeps digital silence (noise of zero) from giving -inf.
    clean = np.maximum(clean, 1e-10 + 1e-6 * float(np.median(bands.sum(1))) / _BANDS)
    shape = 10 * np.log10(clean)
    shape -= shape.mean(1, keepdims=True)

    loud_here = snr[index] >= 0
    unsteadiness = _weighted_moving_std(shape, loud_here, _STEADY_WINDOW, index)
    steady = np.zeros(n, bool)
    steady[index] = loud_here & (sonorance >= _SONORANT_MIN_DB) & (unsteadiness <= _STEADY_MAX_DB)
    steady &= candidate
    steady = _bridge(steady, _BRIDGE_FRAMES)
    for name, values in (("sonorance", sonorance), ("unsteadiness", unsteadiness)):
        full = np.full(n, np.nan)
        full[index] = values
        trace[name] = full
    trace.update(candidate=candidate, steady=steady)

    fillers: list[Filler] = []
    taken: list[tuple[float, float]] = []
    min_core = int(round(_MIN_CORE_S / _FRAME_S))
    cores = [(a, b) for a, b in _join_held_sounds(_runs(steady), snr, trusted)
             if np.count_nonzero(steady[a:b]) >= min_core]
    # The edges are where the sound fades in and out: still nearly loud enough, not a word.
    fading = (snr >= -_EDGE_DROP_DB) & ~trusted
    previous_end = 0
    half_hop = _FRAME_S / 2
    for i, (a, b) in enumerate(cores):
        # The edges never reach into the filler before or the steady core after.
        next_start = cores[i + 1][0] if i + 1 < len(cores) else n
        start, end = _edges(a, b, fading, previous_end, next_start)
        if (end - start) * _FRAME_S < _MIN_FILLER_S:
            continue
        t0, t1 = float(times[start] - half_hop), float(times[end - 1] + half_hop)
        reached = {int(k) for k in owner[start:end] if k >= 0}
        if not _leaves_room_for_words(t0, t1, reached, words, taken):
            continue
        rows = np.flatnonzero((index >= start) & (index < end))
        if not _sounds_like_a_voice(clean[rows]):
            continue
        previous_end = end
        taken.append((t0, t1))
        text = "um" if _closes_into_nasal(openness[rows], snr[index][rows]) else "uh"
        fillers.append(Filler(text, round(t0, 3), round(t1, 3), "audio"))
    return fillers, trace


# --- Frame measures -------------------------------------------------------------------------


def _frame_count(samples: int) -> int:
    return max(0, 1 + (samples - _WIN) // _HOP)


class FrameMeasures:
    """The measures of a recording's frames that depend on its sound alone (level, mel bands,
    sonorance, openness), taken as the recording grows: the practice session measures each
    utterance while the next one is spoken, so that after the stop only the last one is left.

    The frames are those of the whole recording, measured as :func:`recover_filled_pauses`
    measures them, so the fillers found from these are the ones found from the audio. Not
    thread-safe: one thread changes it at a time (:meth:`measure` alone changes nothing).
    """

    #: Frames measured per FFT batch, so a long first stretch does not need one huge array.
    _BATCH = 1000

    def __init__(self) -> None:
        # Each pass's measures, joined when read: a long answer is not copied again on every pass.
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._joined: tuple[np.ndarray, ...] = (np.zeros(0), np.zeros((0, _BANDS)), np.zeros(0), np.zeros(0))
        #: Frames measured so far.
        self.count = 0
        #: Samples of the recording measured when it was final (its end is then padded as the
        #: whole-recording measure pads it); None while it may still grow.
        self.final_length: int | None = None

    def _arrays(self) -> tuple[np.ndarray, ...]:
        if self._parts:
            self._joined = tuple(np.concatenate(column) for column in zip(self._joined, *self._parts))
            self._parts = []
        return self._joined

    @property
    def level(self) -> np.ndarray:
        """Each frame's level in dB (as _frame_levels)."""
        return self._arrays()[0]

    @property
    def bands(self) -> np.ndarray:
        return self._arrays()[1]

    @property
    def sonorance(self) -> np.ndarray:
        return self._arrays()[2]

    @property
    def openness(self) -> np.ndarray:
        return self._arrays()[3]

    def extend(self, samples: np.ndarray, final: bool = False) -> None:
        """Measure the frames ``samples`` (everything recorded so far) adds.

        While the recording grows, a frame is measured only once the high-pass around it has
        all its samples; ``final`` (the recording is complete) measures the rest as the end.
        """
        if self.final_length is not None:
            return
        start, end = self.count, self.ready(len(samples), final)
        if end > start:
            self.append(start, self.measure(samples, start, end))
        if final:
            self.final_length = len(samples)

    def ready(self, samples: int, final: bool = False) -> int:
        """How many frames of a recording of ``samples`` samples can be measured (see :meth:`extend`)."""
        return _frame_count(samples) if final else _frame_count(samples - _HIGH_PASS // 2)

    def measure(self, samples: np.ndarray, a: int, b: int) -> list[tuple[np.ndarray, ...]]:
        """The measures of frames [a, b) of ``samples``, without keeping them (see :meth:`append`):
        a thread can measure while another owns this object."""
        return [self._measure(samples, k, min(b, k + self._BATCH), len(samples)) for k in range(a, b, self._BATCH)]

    def append(self, a: int, parts: list[tuple[np.ndarray, ...]]) -> None:
        """Keep measures from :meth:`measure` that start at frame ``a`` (the next one to measure)."""
        if a != self.count:
            raise ValueError(f"measures from frame {a} do not follow frame {self.count}")
        for part in parts:
            self._parts.append(part)
            self.count += len(part[0])

    def lag_s(self, samples: int) -> float:
        """Seconds of a recording of ``samples`` samples not measured yet."""
        return max(0, samples - self.count * _HOP) / SAMPLE_RATE

    def _measure(self, samples: np.ndarray, a: int, b: int, total: int) -> tuple[np.ndarray, ...]:
        half = _HIGH_PASS // 2
        lo, hi = a * _HOP, (b - 1) * _HOP + _WIN
        # Zeros beyond the recording's ends, as np.pad gives the whole-recording high-pass.
        context = np.asarray(samples[max(0, lo - half):min(total, hi + half)], dtype=np.float32)
        padded = np.concatenate((np.zeros(half - (lo - max(0, lo - half)), np.float32), context,
                                 np.zeros(half - (min(total, hi + half) - hi), np.float32)))
        sums = np.concatenate(([0.0], np.cumsum(padded, dtype=np.float64)))
        x = padded[half:half + hi - lo]
        high = x - (sums[_HIGH_PASS:_HIGH_PASS + len(x)] - sums[: len(x)]) / _HIGH_PASS
        blocks = len(x) // _BLOCK
        energy = np.einsum("ij,ij->i", *(2 * [high[: blocks * _BLOCK].reshape(blocks, _BLOCK)]))
        cumulative = np.concatenate(([0.0], np.cumsum(energy)))
        starts = np.arange(b - a) * (_HOP // _BLOCK)
        power = (cumulative[starts + _WIN // _BLOCK] - cumulative[starts]) / _WIN
        bands, sonorance, openness = _spectral_measures(_power_spectra(x, np.arange(b - a)))
        return 10 * np.log10(power + 1e-12), bands, sonorance, openness

    def take(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bands, sonorance and openness of the frames at ``index``."""
        _, bands, sonorance, openness = self._arrays()
        return bands[index], sonorance[index], openness[index]

    def part(self, a: int, b: int) -> FrameMeasures:
        """Frames [a, b) alone (a block of a long recording), as their own measures."""
        out = FrameMeasures()
        out._joined = tuple(column[a:b] for column in self._arrays())
        out.count = len(out._joined[0])
        out.final_length = (out.count - 1) * _HOP + _WIN if out.count else 0
        return out



def _frame_levels(x: np.ndarray, n: int) -> np.ndarray:
    """Mean power of each analysis frame in dB, above ~150 Hz, from running sums (no FFT).

    Subtracting a centred 5 ms moving average is a zero-phase high-pass (-20 dB at 50 Hz,
    -3 dB near 150 Hz): breath pops, handling thumps and mains hum sit below it and would
    otherwise set both the noise floor and the speech level.
    """
    half = _HIGH_PASS // 2
    sums = np.concatenate(([0.0], np.cumsum(np.pad(x, half), dtype=np.float64)))
    high = x - (sums[_HIGH_PASS:_HIGH_PASS + len(x)] - sums[: len(x)]) / _HIGH_PASS
    # Energy per 2 ms block, then exact frame sums from the blocks' running sum: a running sum
    # over every sample would cost as much as all the rest.
    blocks = len(x) // _BLOCK
    energy = np.einsum("ij,ij->i", *(2 * [high[: blocks * _BLOCK].reshape(blocks, _BLOCK)]))
    sums = np.concatenate(([0.0], np.cumsum(energy)))
    starts = np.arange(n) * (_HOP // _BLOCK)
    power = (sums[starts + _WIN // _BLOCK] - sums[starts]) / _WIN
    return 10 * np.log10(power + 1e-12)


def _floor_and_speech_level(level: np.ndarray) -> tuple[float, float]:
    """Noise floor (quiet 10 % of frames) and speech level (loud 5 %), in dB."""
    floor, speech = np.percentile(level, [10, 95])
    return max(float(floor), float(speech) - _DYNAMIC_RANGE_DB), float(speech)


def _power_spectra(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(x, _WIN)[index * _HOP]
    frames = (frames - frames.mean(1, keepdims=True)) * np.hanning(_WIN).astype(np.float32)
    spectrum = np.fft.rfft(frames, axis=1)
    return (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float64)


def _band_matrix() -> np.ndarray:
    freqs = np.fft.rfftfreq(_WIN, 1 / SAMPLE_RATE)
    mel = 2595 * np.log10(1 + np.array([_BAND_LO_HZ, _BAND_HI_HZ]) / 700)
    edges = 700 * (10 ** (np.linspace(mel[0], mel[1], _BANDS + 1) / 2595) - 1)
    which = np.searchsorted(edges, freqs, side="right") - 1
    matrix = np.zeros((len(freqs), _BANDS))
    inside = (which >= 0) & (which < _BANDS)
    matrix[np.flatnonzero(inside), which[inside]] = 1.0
    return matrix


_BAND_MATRIX = _band_matrix()
_FREQS = np.fft.rfftfreq(_WIN, 1 / SAMPLE_RATE)
_LOW = (_FREQS >= 100) & (_FREQS < 1000)
_HIGH = _FREQS >= 2500


def _mel_bands(spectra: np.ndarray) -> np.ndarray:
    return spectra @ _BAND_MATRIX


def _sonorance(spectra: np.ndarray) -> np.ndarray:
    """Energy below 1 kHz over energy above 2.5 kHz, in dB."""
    low = spectra[:, _LOW].sum(1)
    high = spectra[:, _HIGH].sum(1)
    return 10 * np.log10((low + 1e-12) / (high + 1e-12))


def _noise_bands(measure, level: np.ndarray, floor: float) -> np.ndarray:
    """Band levels of the background noise, from up to 200 of the quietest frames."""
    quiet = np.flatnonzero(level <= floor + 3)
    if len(quiet) == 0:
        quiet = np.sort(np.argsort(level)[:20])
    quiet = quiet[np.linspace(0, len(quiet) - 1, min(200, len(quiet))).astype(int)]
    return np.median(measure(quiet)[0], axis=0)


def _spectral_measures(spectra: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: mel band energies, sonorance (dB) and openness (dB) from its power spectrum."""
    return _mel_bands(spectra), _sonorance(spectra), _openness(spectra)


def _weighted_moving_std(shape: np.ndarray, weight: np.ndarray, window: int, index: np.ndarray) -> np.ndarray:
    """Mean over bands of the standard deviation within a centred window, loud frames only.

    Frames are those at ``index`` (sorted, possibly with holes); the window is taken in real
    frame positions so that a hole never joins two distant sounds.
    """
    half = window // 2
    w = weight.astype(np.float64)[:, None]
    c0 = np.concatenate(([0.0], np.cumsum(weight.astype(np.float64))))
    c1 = np.concatenate((np.zeros((1, shape.shape[1])), np.cumsum(w * shape, 0)))
    c2 = np.concatenate((np.zeros((1, shape.shape[1])), np.cumsum(w * shape ** 2, 0)))
    lo = np.searchsorted(index, index - half, side="left")
    hi = np.searchsorted(index, index + half, side="right")
    count = (c0[hi] - c0[lo])[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c1[hi] - c1[lo]) / count
        var = (c2[hi] - c2[lo]) / count - mean ** 2
    result = np.sqrt(np.maximum(var, 0).mean(1))
    # Fewer than half a window of loud frames: too little sound to call it steady.
    result[count[:, 0] < window / 2] = np.inf
    return result


def _sounds_like_a_voice(bands: np.ndarray) -> bool:
    """Whether the mean spectrum of a steady stretch has the shape of a voice.

    A voice has formants: its band levels rise and fall around their overall tilt by several
    dB (fillers in the eval clips: 3-7 dB), where a steady noise (a fan, traffic, breath)
    follows a smooth slope (under 1.5 dB). And it spreads its energy over many harmonics, where
    a tone (a notification beep, a whistle) puts nearly all of it in one or two bands.
    """
    mean = bands.mean(0)
    levels = 10 * np.log10(mean)
    k = np.arange(len(levels))
    residual = levels - np.polyval(np.polyfit(k, levels, 1), k)
    share = mean / mean.sum()
    return float(residual.std()) >= _FORMANT_CONTRAST_DB and float(1 / np.sum(share ** 2)) >= _MIN_EFFECTIVE_BANDS


def _openness(spectra: np.ndarray) -> np.ndarray:
    """Energy at 700-3000 Hz (a vowel's formants) over energy at 100-400 Hz (a hum's), in dB."""
    low = spectra[:, (_FREQS >= 100) & (_FREQS < 400)].sum(1) + 1e-12
    mid = spectra[:, (_FREQS >= 700) & (_FREQS < 3000)].sum(1) + 1e-12
    return 10 * np.log10(mid / low)


def _closes_into_nasal(ratio: np.ndarray, loudness: np.ndarray) -> bool:
    """An "um": the sound ends in a murmur that keeps its low frequencies but lost the vowel's.

    With the lips closed, the energy above ~700 Hz falls away while the voice below ~400 Hz
    goes on, so the mid/low ratio of the last third drops well below that of the most open
    part of the sound. (The open part is taken as a high percentile rather than the first half,
    because a drawn-out "ummm" can be mostly "m".)
    """
    if len(ratio) < 10:
        return False
    third = max(3, len(ratio) // 3)
    tail = ratio[-third:][loudness[-third:] >= -_EDGE_DROP_DB]
    if len(tail) < 3:
        return False
    return float(np.percentile(ratio, 90) - np.median(tail)) >= _NASAL_DROP_DB


# --- Time spans -----------------------------------------------------------------------------


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _bridge(mask: np.ndarray, gap: int) -> np.ndarray:
    out = mask.copy()
    runs = _runs(mask)
    for (_, end), (start, _) in zip(runs, runs[1:]):
        if start - end <= gap:
            out[end:start] = True
    return out


def _join_held_sounds(cores: list[tuple[int, int]], snr: np.ndarray, trusted: np.ndarray) -> list[tuple[int, int]]:
    """Join steady stretches that follow each other without a break in the sound.

    "um" is two held sounds, a vowel and then a hum; between them the spectrum moves for
    about one steadiness window. With no dip in loudness and no trusted word in between, they
    are one sound, and their steady parts together make its core.
    """
    joined: list[tuple[int, int]] = []
    for a, b in cores:
        if joined:
            pa, pb = joined[-1]
            between = slice(pb, a)
            if (a - pb <= _STEADY_WINDOW and bool(np.all(snr[between] >= -_EDGE_DROP_DB))
                    and not bool(trusted[between].any())):
                joined[-1] = (pa, b)
                continue
        joined.append((a, b))
    return joined


def _edges(a: int, b: int, allowed: np.ndarray, lowest: int, highest: int) -> tuple[int, int]:
    """Widen the core [a, b) over ``allowed`` frames, within [lowest, highest) and at most
    _MAX_EDGE_S each way."""
    limit = int(round(_MAX_EDGE_S / _FRAME_S))
    start = a
    while start > lowest and a - start < limit and allowed[start - 1]:
        start -= 1
    end = b
    while end < highest and end - b < limit and allowed[end]:
        end += 1
    return start, end


def _letters(text: str) -> int:
    return len(_LETTERS.sub("", text))


def _word_cover(words: Sequence[Word], times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames a word surely covers, and for the other frames under a word, that word's index.

    Whisper's word edges are often a tenth of a second or more into a dropped filler, so a
    word surely covers only its middle: _WORD_EDGE_S less at each end, never leaving less than
    the word's typical duration. A stretched word (longer than its letters justify) surely
    covers nothing: the filler may be anywhere in it. The sound under a filled-pause word is
    accounted for already, so all of it is trusted.
    """
    trusted = np.zeros(len(times), bool)
    owner = np.full(len(times), -1)
    for k, w in enumerate(words):
        lo, hi = np.searchsorted(times, [w.start, w.end])
        if hi <= lo:
            continue
        if _is_filled(w.text):
            trusted[lo:hi] = True
            continue
        owner[lo:hi] = np.where(owner[lo:hi] < 0, k, owner[lo:hi])
        duration = w.end - w.start
        if duration > _WORD_BASE_S + _WORD_PER_LETTER_S * _letters(w.text):
            continue
        edge = max(0.0, min(_WORD_EDGE_S, (duration - _typical_s(w)) / 2))
        lo, hi = np.searchsorted(times, [w.start + edge, w.end - edge])
        trusted[lo:hi] = True
    owner[trusted] = -1
    return trusted, owner


def _typical_s(word: Word) -> float:
    return _WORD_TYPICAL_BASE_S + _WORD_TYPICAL_PER_LETTER_S * max(1, _letters(word.text))


def _leaves_room_for_words(start: float, end: float, reached: set[int], words: Sequence[Word],
                           taken: list[tuple[float, float]]) -> bool:
    """Whether each word this sound reaches into still has room for itself on one side of it.

    Whisper stretches a word's start back, or its end forward, over a filler it dropped, so
    the word itself lies wholly before or wholly after the filler: one side must hold at least
    the word's typical duration (``taken`` lists the fillers already found, which are not
    room). A steady stretch in the middle of a long word is that word drawn out, not a filler.
    """
    for k in reached:
        w = words[k]
        before = _free(w.start, min(start, w.end), taken)
        after = _free(max(end, w.start), w.end, taken)
        if max(before, after) < _typical_s(w):
            return False
    return True


def _free(a: float, b: float, taken: list[tuple[float, float]]) -> float:
    """Seconds of [a, b] outside the ``taken`` intervals (which do not overlap each other)."""
    if b <= a:
        return 0.0
    return (b - a) - sum(max(0.0, min(b, t1) - max(a, t0)) for t0, t1 in taken)


def _near_regions(regions: Sequence[SpeechRegion], times: np.ndarray) -> np.ndarray:
    near = np.zeros(len(times), bool)
    for r in regions:
        lo, hi = np.searchsorted(times, [r.start - _NEAR_VOICE_S, r.end + _NEAR_VOICE_S])
        near[lo:hi] = True
    return near
