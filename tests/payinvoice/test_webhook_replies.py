"""What a webhook delivery keeps of a reply or an error: text every column stores (issue 20)."""

from payinvoice.webhooks import storable_text


def test_nul_control_characters_and_lone_surrogates_become_the_replacement_character() -> None:
    text = '{"ok":"\x00\x07\ud800\udfff\ufffe"}'

    assert storable_text(text, 100) == '{"ok":"\ufffd\ufffd\ufffd\ufffd\ufffd"}'


def test_ordinary_text_tabs_and_newlines_are_kept() -> None:
    text = "Grüße, 東京 😀\tok\n"

    assert storable_text(text, 100) == text


def test_the_text_is_cut_to_the_limit() -> None:
    assert storable_text("\x00" + "a" * 300, 200) == "\ufffd" + "a" * 199


def test_making_a_text_storable_twice_changes_nothing() -> None:
    once = storable_text("a\x00\ud800b", 10)

    assert storable_text(once, 10) == once
