"""Any text a user types into a "try your own review" cell, and an honest verdict on it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils import models, narrative, reviews, text
from course_utils.experiment import predict_reviews

TRAIN = ["a great film, truly great", "a dull and boring film", "great acting", "boring plot"]
ENC = text.encode_dataset(TRAIN, [1, 0, 1, 0], TRAIN, [1, 0, 1, 0], vocab_size=20, maxlen=8, drop_unknown=True)
ODD = ["", "🙂🙂", "película fantástica", "zzqx blorp", "great film", "a great film truly great acting"]


class Fixed:
    """A stand-in model that answers a fixed p for every row, and records the rows it was given."""

    def __init__(self, p: float = 0.9):
        self.p, self.seen = p, []

    def predict(self, x, batch_size=None, verbose=0):
        x = np.asarray(x)
        self.seen.append(x.copy())
        if (x == text.PAD).all(axis=1).any():
            raise RuntimeError("an all-padding row: cuDNN refuses a fully masked sequence")
        return np.full((len(x), 1), self.p)


@pytest.mark.parametrize("build", [
    lambda: models.build_dense(len(ENC.vocab), ENC.maxlen, embedding_dim=4, hidden_units=3),
    lambda: models.build_lstm(len(ENC.vocab), ENC.maxlen, units=3, embedding_dim=4, head="pool"),
    lambda: models.build_bigru(len(ENC.vocab), ENC.maxlen, units=3, embedding_dim=4, head="last"),
])
def test_reviews_without_known_words_cannot_be_judged_and_others_get_a_number(build):
    table = predict_reviews(build(), ENC, ODD)
    assert list(table.columns) == ["review", "words", "words read", "known words", "p(positive)", "verdict"]
    assert table["known words"].tolist() == [0, 0, 0, 0, 2, 6]
    assert table["verdict"].tolist()[:5] == ["cannot judge"] * 4 + ["too few known words"]
    assert table["p(positive)"].isna().tolist() == [True] * 4 + [False] * 2
    assert table["verdict"].iloc[5] in ("positive", "negative", "undecided")


def test_the_model_is_never_called_on_an_all_padding_row():
    model = Fixed()
    table = predict_reviews(model, ENC, ["", "zzqx", "great film and great acting"])
    assert len(model.seen) == 1 and model.seen[0].shape == (1, ENC.maxlen)
    assert table["verdict"].tolist() == ["cannot judge", "cannot judge", "positive"]
    model = Fixed()
    predict_reviews(model, ENC, ["", "🙂"])
    assert model.seen == []  # nothing known: the model is not asked at all


@pytest.mark.parametrize("p,verdict", [(0.9, "positive"), (0.61, "positive"), (0.598, "undecided"),
                                       (0.5, "undecided"), (0.402, "undecided"), (0.39, "negative")])
def test_a_probability_near_one_half_is_undecided(p, verdict):
    assert reviews.UNDECIDED_MARGIN == 0.1
    review = "a great film truly great acting"
    assert predict_reviews(Fixed(p), ENC, review)["verdict"].tolist() == [verdict]


def test_too_few_known_words_or_a_foreign_review_gets_no_confident_verdict():
    """The notebooks' "Una película fantástica 🙂" scored 0.959 from the one word «una»."""
    enc = text.encode_dataset(["una great film", "a dull film"], [1, 0], ["x"], [0], vocab_size=20, maxlen=16,
                              drop_unknown=True)
    table = predict_reviews(Fixed(0.959), enc, ["Una película fantástica 🙂",
                                                 "great film una dull película fantástica maravillosa obra cine",
                                                 "great film una dull"])
    assert table["known words"].tolist() == [1, 4, 4]
    assert table["words"].tolist() == [3, 9, 4]
    assert table["verdict"].tolist() == ["too few known words", "mostly unknown words", "positive"]
    assert reviews.MIN_KNOWN_WORDS == 3 and reviews.MIN_KNOWN_SHARE == 0.5


@pytest.mark.parametrize("drop_unknown,read,known", [(True, 9, 8), (False, 8, 7)])
def test_a_long_review_says_how_many_of_its_words_the_model_read(drop_unknown, read, known):
    enc = text.encode_dataset(TRAIN, [1, 0, 1, 0], TRAIN, [1, 0, 1, 0], vocab_size=20, maxlen=8,
                              drop_unknown=drop_unknown)
    long_review = "boring " * 40 + "zzz great zzz film great acting great film great acting"
    table = predict_reviews(Fixed(0.9), enc, long_review)
    assert table["words"].tolist() == [50]
    assert table["words read"].tolist() == [read]  # the end, where the model reads
    sentence = narrative.verdicts(table, [1], "dense")
    assert table["known words"].tolist() == [known]
    assert f"(it read the last {read} of 50 words, {known} of them known)" in sentence
    short = predict_reviews(Fixed(0.9), enc, "great film")
    assert short["words read"].tolist() == short["words"].tolist() == [2]


def test_a_50000_word_review_reads_the_last_512():
    vocab = text.Vocabulary.build(["great film"], max_size=10)
    assert reviews.words_read(vocab.encode("great film " * 25_000), 512) == 512
    ids = vocab.encode("zz great " * 25_000)  # every other word unknown, left out before the cut
    assert reviews.words_read(ids, 512, drop_unknown=True) == 1023
    assert reviews.words_read(ids, 512, truncating="post", drop_unknown=True) == 1024


def test_typed_text_is_cleaned_like_the_training_text():
    enc = text.encode_dataset(["a great film", "lt gr eat script bad"], [1, 0], ["x"], [0], vocab_size=20,
                              maxlen=8, drop_unknown=True)
    table = predict_reviews(Fixed(0.9), enc, ["a gr\u200beat film", "&lt;a&gt; great film",
                                               "<script>bad bad</script>a great film", "ＧＲＥＡＴ ﬁlm a"])
    assert table["known words"].tolist() == [3, 3, 3, 3]
    assert table["words"].tolist() == [3, 3, 3, 3]


def test_verdicts_count_undecided_and_unjudged_reviews_apart():
    table = pd.DataFrame({"review": ["good", "bad", "meh", "zzz", "una película", "hola amigo mío qué tal"],
                          "words": [3, 3, 3, 1, 2, 5], "words read": [3, 3, 3, 1, 2, 5],
                          "known words": [3, 3, 3, 0, 1, 1],
                          "p(positive)": [0.9, 0.8, 0.498, np.nan, 0.959, 0.7],
                          "verdict": ["positive", "positive", "undecided", "cannot judge", "too few known words",
                                      "mostly unknown words"]})
    sentence = narrative.verdicts(table, [1, 0, 1, 1, 1, 1], "dense")
    assert sentence.startswith("`dense` gets 1 of 6 right and 1 wrong; 1 is undecided (p within 0.1 of 0.5); "
                               "3 it cannot judge (too few words it knows), neither right nor wrong: ")
    assert "“meh” → p = 0.50, undecided (3 of 3 words known)" in sentence
    assert "“good” → p = 0.90, right (3 of 3 words known)" in sentence
    assert "“zzz” → no word it knows: cannot judge" in sentence
    assert "“una película” → p = 0.96 from 1 known word: too few to judge" in sentence
    assert "knows only 1 of the 5 words it read (not English?)" in sentence
    assert narrative.verdicts(table.iloc[:2], [1, 0], "dense").startswith("`dense` gets 1 of 2 right: ")


def test_odd_strings_never_raise():
    model = Fixed(0.7)
    odd = ["\x00", "\ufeff", "&#0;", "&#xD800;", "<" * 500, "<script>", "&" * 300, "\u200b" * 10, "e\u0301" * 3,
           "great\ud800film", "<a href='" + "x" * 1000 + "'>great film</a> great acting", "&amp;lt;great&amp;gt;"]
    with pytest.warns(UnicodeWarning):
        table = predict_reviews(model, ENC, odd)
    assert len(table) == len(odd)
    assert set(table["verdict"]) <= {"cannot judge", "too few known words", "mostly unknown words", "undecided",
                                     "positive", "negative"}


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
    pd.DataFrame({"text": list(check.texts)})  # encodable now
