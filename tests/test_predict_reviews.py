"""Any text a user types into a "try your own review" cell."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import models, text
from course_utils.experiment import predict_reviews

TRAIN = ["a great film, truly great", "a dull and boring film", "great acting", "boring plot"]
ENC = text.encode_dataset(TRAIN, [1, 0, 1, 0], TRAIN, [1, 0, 1, 0], vocab_size=20, maxlen=8, drop_unknown=True)
ODD = ["", "🙂🙂", "película fantástica", "zzqx blorp", "great film"]


@pytest.mark.parametrize("build", [
    lambda: models.build_dense(len(ENC.vocab), ENC.maxlen, embedding_dim=4, hidden_units=3),
    lambda: models.build_lstm(len(ENC.vocab), ENC.maxlen, units=3, embedding_dim=4, head="pool"),
    lambda: models.build_bigru(len(ENC.vocab), ENC.maxlen, units=3, embedding_dim=4, head="last"),
])
def test_reviews_without_known_words_get_a_number_and_say_so(build):
    table = predict_reviews(build(), ENC, ODD)
    assert np.isfinite(table["p(positive)"]).all()
    assert table["known words"].tolist() == [0, 0, 0, 0, 2]
    assert table["verdict"].tolist()[:4] == ["no known words"] * 4
    assert table["verdict"].iloc[4] in ("positive", "negative")


def test_one_string_is_one_review():
    model = models.build_dense(len(ENC.vocab), ENC.maxlen, embedding_dim=4, hidden_units=3)
    assert predict_reviews(model, ENC, "great film")["review"].tolist() == ["great film"]
    assert len(predict_reviews(model, ENC, [])) == 0


@pytest.mark.parametrize("bad,match", [
    (None, "got NoneType"), (123, "got int"), (b"bytes", "got bytes: decode them first"),
    (["ok", 5], "item 1 is int"), ({"a": 1}, "got dict"),
])
def test_wrong_types_name_the_argument_and_what_it_accepts(bad, match):
    model = models.build_dense(len(ENC.vocab), ENC.maxlen, embedding_dim=4, hidden_units=3)
    with pytest.raises(TypeError, match=f"reviews must be a str or a list of str.*{match}"):
        predict_reviews(model, ENC, bad)


def test_a_review_with_a_lone_surrogate_is_cleaned_before_pandas_sees_it():
    """pandas 3 stores strings in pyarrow, which cannot encode a lone surrogate."""
    from course_utils import experiment
    with pytest.warns(UnicodeWarning, match="review 0 held 1 unpaired surrogate"):
        assert experiment._review_list(["great \ud800 film"]) == ["great \ufffd film"]


def test_a_behavioural_check_cleans_its_sentences():
    from course_utils import behaviour
    with pytest.warns(UnicodeWarning):
        check = behaviour.Check("odd", "robustness", "invariant", ("a \udc00 b",), variants=("a b",))
    assert check.texts == ("a \ufffd b",)
    import pandas as pd
    pd.DataFrame({"text": list(check.texts)})  # encodable now
