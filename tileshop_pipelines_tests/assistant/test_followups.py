"""Follow-up questions are searched with the shopper's previous question when they refer back."""

from __future__ import annotations

from tileshop_pipelines.assistant.followups import MAX_CONTEXT_CHARS, search_text

HISTORY = [
    {"role": "user", "content": "Marmi Imperiali Zenobia porcelain"},
    {"role": "assistant", "content": "Offline answer: Marmi Imperiali Zenobia ... (SKU 684287)"},
]


def test_a_question_that_refers_back_is_searched_with_the_previous_question():
    assert search_text("does it come in white?", HISTORY) == "Marmi Imperiali Zenobia porcelain does it come in white?"
    assert search_text("Are THESE frost resistant?", HISTORY).startswith("Marmi Imperiali Zenobia porcelain ")


def test_a_question_with_its_own_subject_stands_alone():
    assert search_text("grout for a marble shower", HISTORY) == "grout for a marble shower"
    assert search_text("white subway tile", HISTORY) == "white subway tile"  # "it" only as a whole word


def test_without_an_earlier_question_the_question_stands_alone():
    assert search_text("how much does it cost?", []) == "how much does it cost?"
    assert search_text("how much does it cost?", HISTORY[1:]) == "how much does it cost?"  # no user turn


def test_the_latest_user_turn_is_the_context_and_is_bounded():
    history = [
        {"role": "user", "content": "grout"},
        {"role": "assistant", "content": "..."},
        {"role": "user", "content": "x" * 2000},
        {"role": "assistant", "content": "..."},
    ]
    text = search_text("is it sanded?", history)
    assert text == "x" * MAX_CONTEXT_CHARS + " is it sanded?"
