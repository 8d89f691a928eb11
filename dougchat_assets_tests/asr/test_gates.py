from __future__ import annotations

from dougchat_assets.asr.gates import (
    HALLUCINATION,
    LOW_CONFIDENCE,
    NON_SPEECH,
    OK,
    GateInput,
    GateThresholds,
    gate_segment,
    repetition_loop,
)


def seg(text: str, **numbers) -> GateInput:
    values = {"avg_logprob": -0.3, "no_speech_prob": 0.1, "compression_ratio": 1.2, "speech_fraction": 0.9}
    values.update(numbers)
    return GateInput(text=text, **values)


def test_confident_normal_segment_is_ok():
    result = gate_segment(seg("Okay chat, welcome back to the stream, today we play Mario Kart."))
    assert (result.flag, result.reason) == (OK, "")


def test_high_no_speech_prob_alone_does_not_reject_real_speech():
    # clean synthetic speech reaches no_speech_prob 0.78 while Whisper is sure of the words
    assert gate_segment(seg("Thank you for the five gifted subs.", no_speech_prob=0.78)).flag == OK


def test_non_speech_needs_high_no_speech_and_low_logprob():
    result = gate_segment(seg("Thank you very much.", no_speech_prob=0.85, avg_logprob=-1.3))
    assert result.flag == NON_SPEECH
    assert "no_speech_prob 0.85 > 0.6" in result.reason and "avg_logprob -1.30 < -1.0" in result.reason


def test_empty_text_is_non_speech():
    assert gate_segment(seg("  ...  ")).flag == NON_SPEECH


def test_low_confidence_on_avg_logprob_or_unsure_words():
    assert gate_segment(seg("I think we go left now.", avg_logprob=-1.2)).flag == LOW_CONFIDENCE
    result = gate_segment(seg("Parkner says kakwap", word_logprob=-2.0))
    assert result.flag == LOW_CONFIDENCE and "word_logprob -2.00" in result.reason


def test_compression_ratio_flags_loops():
    result = gate_segment(seg("see you in the next video", compression_ratio=3.1))
    assert result.flag == HALLUCINATION and "compression_ratio 3.10 > 2.4" in result.reason


def test_repeated_words_and_phrases_are_hallucinations():
    words = gate_segment(seg("the the the the the the end"))
    assert words.flag == HALLUCINATION and "'the' repeated 6 times" in words.reason
    phrase = gate_segment(seg("I'll see you next time, I'll see you next time, I'll see you next time."))
    assert phrase.flag == HALLUCINATION and "repeated 3 times" in phrase.reason
    # a streamer's "no no no" is speech, not a loop
    assert gate_segment(seg("No, no, no, that is not how you do it.")).flag == OK


def test_a_whole_sentence_three_times_in_a_row_is_a_loop_but_twice_is_not():
    """Whisper's second look over a pause wrote this (7 words, compression ratio 2.25, under
    the 2.4 limit); 12 words is the longest phrase counted."""
    looped = "Thank you so much for watching, and thank you so much for watching, and thank you so much for watching, and"
    assert "repeated 3 times" in repetition_loop(looped)
    assert gate_segment(seg(looped, compression_ratio=2.25)).flag == HALLUCINATION
    assert repetition_loop("Thank you so much for watching, and thank you so much for watching, and goodbye") is None
    twelve = "we are going to get the gold medal in this run today, "
    assert repetition_loop(twelve * 3) is not None
    thirteen = "we are going to get the gold medal in this run today folks, "
    assert repetition_loop(thirteen * 3) is None


def test_stock_phrase_over_little_speech_is_a_hallucination():
    result = gate_segment(seg("Thanks for watching!", speech_fraction=0.05))
    assert result.flag == HALLUCINATION and "stock phrase 'thanks for watching'" in result.reason
    assert gate_segment(seg("Subtitles by the Amara.org community", speech_fraction=0.1)).flag == HALLUCINATION
    # the streamer really saying it, clearly, over real speech, is fine
    assert gate_segment(seg("Thanks for watching!", speech_fraction=0.95)).flag == OK
    # ... unless Whisper is unsure of it
    assert gate_segment(seg("Thanks for watching!", speech_fraction=0.95, avg_logprob=-0.8)).flag == HALLUCINATION


def test_same_text_as_previous_segment_is_a_loop():
    result = gate_segment(seg("we are going to the next round", previous_text="We are going to the next round."))
    assert result.flag == HALLUCINATION and "previous segment" in result.reason


def test_prompt_echo_is_a_hallucination():
    result = gate_segment(seg("Parkzer, KEKW, PogChamp.", prompt="Parkzer, KEKW, PogChamp, LUL"))
    assert result.flag == HALLUCINATION and "lexicon prompt" in result.reason
    assert gate_segment(seg("Parkzer is editing in the other room.", prompt="Parkzer, KEKW")).flag == OK


def test_non_speech_wins_over_other_flags_and_all_reasons_are_listed():
    result = gate_segment(seg("you you you you you you", no_speech_prob=0.9, avg_logprob=-1.5))
    assert result.flag == NON_SPEECH
    assert "repeated" in result.reason and "avg_logprob -1.50 < -1.0" in result.reason


def test_thresholds_are_configurable():
    strict = GateThresholds(min_avg_logprob=-0.2)
    assert gate_segment(seg("I think we go left now."), strict).flag == LOW_CONFIDENCE
