"""The chat service's start (rag_app/chat.py): the warm-up encodes its questions and searches them on
every pooled connection before the app serves."""

from __future__ import annotations

import logging

from .conftest import app_client, settings_for


def test_the_start_searches_the_warm_up_questions(index_url, caplog):
    caplog.set_level(logging.INFO)
    with app_client(index_url, settings_for()) as client:
        chat = client.app.state.chat
        # Only the warm-up's searches read the vocabulary before a first request.
        assert chat.vocabulary._value is not None, "the warm-up searched nothing"
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("rag_app ready") for m in messages), messages
    assert not [m for m in messages if "warm-up searches failed" in m]
