from __future__ import annotations

from vision_r1_plugins.answers.characters import fold_lookalikes, has_content, normalize_notation, strip_invisible


def test_invisible_characters_are_not_content() -> None:
    assert strip_invisible("5\u200b\u2060") == "5" and strip_invisible("plain") == "plain"
    assert not has_content("\u200b \u3164\u2800\n") and has_content("\u200b7")


def test_lookalikes_fold_to_the_tag_a_reader_sees() -> None:
    assert fold_lookalikes("</th\u200bink>") == "</think>"
    assert fold_lookalikes("<thіnk>") == "<think>"  # Cyrillic i
    assert fold_lookalikes("<ａｎｓｗｅｒ>") == "<answer>"


def test_notation() -> None:
    assert normalize_notation("5²") == "5^{2}"
    assert normalize_notation("2√3") == "2\\sqrt{3}"
    assert normalize_notation("√(x+1)") == "\\sqrt{x+1}"
    assert normalize_notation("sqrt(2)") == "\\sqrt{2}"
    assert normalize_notation("（Ｃ）") == "(C)"
    assert normalize_notation("−3") == "-3"
    assert normalize_notation("5，6") == "5, 6"
