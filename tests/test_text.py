"""Tokenization, vocabulary, encoding and padding."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import text
from course_utils.text import OOV, PAD, Vocabulary, encode_review, pad_sequences

TRAIN = ["The movie was great, GREAT!<br /><br />Loved it.", "A dull movie. Dull, dull acting."]


def test_standardize_strips_html_punctuation_and_case():
    assert text.standardize("Great<br /><br />FILM!!! Don't miss.") == "great film don't miss"
    assert text.tokenize("10/10 😀 <i>wow</i>") == ["10", "10", "wow"]
    assert text.tokenize("") == []
    with pytest.raises(TypeError, match="expects a str"):
        text.tokenize(None)


# Excerpts of real reviews from the training set (aclImdb/train/pos/3872_9.txt and others).
ACCENTED = [
    ("the ones that Le Fabuleux Destin d'Amélie Poulain have given me",
     ["the", "ones", "that", "le", "fabuleux", "destin", "d'amélie", "poulain", "have", "given", "me"]),
    ("Anne Bancroft as Hemingway’s lawyer – the film", ["anne", "bancroft", "as", "hemingway's", "lawyer", "the", "film"]),
    ("una película fantástica, café niño", ["una", "película", "fantástica", "café", "niño"]),
    ("I don’t think so; isn`t it", ["i", "don't", "think", "so", "isn't", "it"]),
    ("Cafe\u0301 ﬁlm ＧＲＥＡＴ", ["café", "film", "great"]),  # combining accent, ligature, full width
]


@pytest.mark.parametrize("raw,tokens", ACCENTED)
def test_tokenize_keeps_unicode_letters_and_folds_apostrophes(raw, tokens):
    assert text.tokenize(raw) == tokens
    assert text.standardize(raw) == " ".join(tokens)


def test_vocabulary_reserves_padding_and_oov_and_ranks_by_frequency():
    vocab = Vocabulary.build(TRAIN, max_size=6)
    assert vocab.words[:2] == ("<pad>", "<oov>")
    assert vocab.words[2:] == ("dull", "great", "movie", "a")  # 3, 2, 2 then alphabetical ties
    assert len(vocab) == 6
    assert vocab.index("unseen") == OOV


def test_vocabulary_is_built_from_the_texts_it_is_given_only():
    vocab = Vocabulary.build(TRAIN, max_size=100)
    assert "masterpiece" not in vocab  # a test-only word stays unknown
    assert vocab.encode("masterpiece movie") == [OOV, vocab.index("movie")]


def test_encode_decode_round_trip_and_padding_is_skipped():
    vocab = Vocabulary.build(TRAIN, max_size=100)
    ids = vocab.encode("Loved the great movie")
    assert vocab.decode(ids) == "loved the great movie"
    assert vocab.decode([0, 0, *ids]) == "loved the great movie"
    assert vocab.decode([OOV, 10_000]) == "<oov> <oov>"


def test_encode_review_never_raises_on_student_input():
    vocab = Vocabulary.build(TRAIN, max_size=100)
    for review in ["", "😀😀😀", "ZZZQX blorp!!!", "great " * 1000, "<br />"]:
        row = encode_review(review, vocab, maxlen=8)
        assert row.shape == (1, 8) and row.dtype == np.int32
    assert encode_review("", vocab, 4).tolist() == [[0, 0, 0, 0]]
    assert encode_review("qqq great", vocab, 4).tolist() == [[0, 0, OOV, vocab.index("great")]]
    with pytest.raises(TypeError, match="as a str"):
        encode_review(123, vocab, 4)


@pytest.mark.parametrize("padding,truncating,expected", [
    ("pre", "pre", [[0, 0, 1, 2], [3, 4, 5, 6]]),
    ("post", "pre", [[1, 2, 0, 0], [3, 4, 5, 6]]),
    ("pre", "post", [[0, 0, 1, 2], [1, 2, 3, 4]]),
    ("post", "post", [[1, 2, 0, 0], [1, 2, 3, 4]]),
])
def test_pad_sequences_pre_and_post(padding, truncating, expected):
    out = pad_sequences([[1, 2], [1, 2, 3, 4, 5, 6]], 4, padding=padding, truncating=truncating)
    assert out.tolist() == expected


def test_pad_sequences_validates_arguments():
    with pytest.raises(ValueError, match="maxlen"):
        pad_sequences([[1]], 0)
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences([[1]], 3, padding="left")
    assert pad_sequences([[]], 3).tolist() == [[PAD] * 3]


def test_length_percentiles_and_truncation_share():
    seqs = [[1] * n for n in range(1, 101)]
    pct = text.length_percentiles(seqs, q=(50, 90))
    assert pct == {50: 50, 90: 90}
    assert text.truncation_share(seqs, 80) == pytest.approx(0.2)


def test_token_coverage_is_monotone_and_reaches_one():
    cov = text.token_coverage(["a a a a b b c", "a b d"], [1, 2, 10])
    assert cov[1] == pytest.approx(5 / 10)
    assert cov[2] == pytest.approx(8 / 10)
    assert cov[10] == pytest.approx(1.0)


def test_vocabulary_save_and_load(tmp_path):
    vocab = Vocabulary.build(TRAIN, max_size=100)
    loaded = Vocabulary.load(vocab.save(tmp_path / "vocab.json"))
    assert loaded == vocab and loaded.encode(TRAIN[0]) == vocab.encode(TRAIN[0])
    with pytest.raises(ValueError, match="first two words"):
        Vocabulary(("a", "b"))


def test_encode_dataset_builds_vocab_on_train_only():
    enc = text.encode_dataset(TRAIN, [1, 0], ["masterpiece movie"], [1], vocab_size=50, maxlen=5)
    assert enc.x_train.shape == (2, 5) and enc.x_test.shape == (1, 5)
    assert "masterpiece" not in enc.vocab
    assert enc.x_test.tolist() == [[0, 0, 0, OOV, enc.vocab.index("movie")]]
    assert enc.encode_review("great").shape == (1, 5)


def test_unknown_rate_and_drop_unknown():
    vocab = Vocabulary.build(TRAIN, max_size=100)
    assert text.unknown_rate(vocab, ["great zzz", "movie"]) == pytest.approx(1 / 3)
    assert text.unknown_rate(vocab, [""]) == 0.0
    assert vocab.encode("great zzz movie", drop_unknown=True) == [vocab.index("great"), vocab.index("movie")]
    enc = text.encode_dataset(TRAIN, [1, 0], ["zzz great"], [1], vocab_size=50, maxlen=3, drop_unknown=True)
    assert enc.x_test.tolist() == [[0, 0, enc.vocab.index("great")]]
    assert enc.encode_review("qqq great").tolist() == [[0, 0, enc.vocab.index("great")]]


def test_decode_reserved_and_out_of_range_indices():
    vocab = Vocabulary(("<pad>", "<oov>", "good", "film"))
    assert vocab.decode([0, 2, 0, 3]) == "good film"
    assert vocab.decode([0, 1, 2], skip_padding=False) == "<pad> <oov> good"
    assert vocab.decode([3, 4, -1, 99]) == "film <oov> <oov> <oov>"
    assert text.sequence_lengths([[1, 2], [], [3]]).tolist() == [2, 0, 1]
    assert text.sequence_lengths([[1]]).dtype == np.int64


def test_token_coverage_of_the_top_k_written_out():
    cov = text.token_coverage(["c c c b b a", "d"], [1, 2, 3, 4, 100])
    assert cov == {1: 3 / 7, 2: 5 / 7, 3: 6 / 7, 4: 1.0, 100: 1.0}
    assert text.token_coverage(["", "!!!"], [5]) == {5: 0.0}


def test_build_keeps_20000_entries_by_default_and_passes_min_count_on():
    words = [f"w{i}" for i in range(20_100)]
    assert len(Vocabulary.build([" ".join(words)])) == 20_000  # <pad>, <oov> and 19,998 words
    vocab = Vocabulary.build(["good good film", "good plot"], min_count=2)
    assert vocab.words == ("<pad>", "<oov>", "good")


def test_non_text_input_is_named_in_the_error():
    for function, name in ((text.standardize, "standardize"), (text.tokenize, "tokenize")):
        with pytest.raises(TypeError, match=f"^{name} expects a str, got int\\.$"):
            function(5)


def test_encode_review_follows_the_encoding_settings():
    enc = text.encode_dataset(["good film good plot", "bad film"], [1, 0], ["x"], [0], vocab_size=10, maxlen=3,
                              padding="post", truncating="post", drop_unknown=True)
    good, film, plot = (enc.vocab.index(w) for w in ("good", "film", "plot"))
    assert enc.encode_review("good zzz film").tolist() == [[good, film, PAD]]  # post-padded, unknown dropped
    assert enc.encode_review("film good plot good").tolist() == [[film, good, plot]]  # truncated at the end
    pre = text.encode_review("good zzz", enc.vocab, 3)
    assert pre.tolist() == [[PAD, good, OOV]]
    with pytest.raises(TypeError, match=r"^encode_review expects the review as a str, got NoneType\.$"):
        text.encode_review(None, enc.vocab, 3)


def test_vocabulary_defaults_edges_and_exact_messages():
    with pytest.raises(ValueError) as info:
        Vocabulary(("<oov>", "<pad>", "a"))
    assert str(info.value) == "A Vocabulary's first two words must be '<pad>' and '<oov>'."
    many = [[f"w{i:05d}" for i in range(20_005)]]
    assert len(Vocabulary.from_tokens(many)) == 20_000          # the default size, reserved entries included
    assert Vocabulary.from_tokens([["b", "a", "b"]], max_size=3).words == ("<pad>", "<oov>", "b")
    with pytest.raises(ValueError) as info:
        Vocabulary.from_tokens([["a"]], max_size=2)
    assert str(info.value) == "max_size must leave room for words beyond <pad> and <oov>, got 2."
    vocab = Vocabulary.from_tokens([["good", "film"]])
    assert vocab.encode_tokens(["good", "zzz"]) == [vocab.index("good"), OOV]     # unknown kept by default
    assert vocab.encode_many(["good zzz"]) == [[vocab.index("good"), OOV]]


def test_pad_sequences_edges_and_encode_review_type_message():
    assert pad_sequences([[4, 5]], 1).tolist() == [[5]]
    with pytest.raises(ValueError) as info:
        pad_sequences([[1]], 3, truncating="middle")
    assert str(info.value) == "truncating must be 'pre' or 'post', got 'middle'."
    with pytest.raises(TypeError) as info:
        encode_review(123, Vocabulary.from_tokens([["a"]]), 3)
    assert str(info.value) == "encode_review expects the review as a str, got int."


def test_encode_dataset_passes_padding_and_truncation_on_and_keeps_int32_labels():
    enc = text.encode_dataset(["a b c d", "a"], [1, 0], ["b c d a", "c"], [0, 1], vocab_size=10, maxlen=3,
                              padding="post", truncating="post")
    a, b, c = (enc.vocab.index(w) for w in "abc")
    assert enc.x_train.tolist() == [[a, b, c], [a, 0, 0]]     # the start kept, zeros after the review
    assert enc.y_train.dtype == np.int32 and enc.y_test.dtype == np.int32
    assert enc.y_test.tolist() == [0, 1] and enc.x_test[1].tolist() == [c, 0, 0]


def test_lone_surrogates_are_replaced_with_a_warning_and_pairs_joined():
    from course_utils.text import valid_unicode
    with pytest.warns(UnicodeWarning, match=r"review 3 held 1 unpaired surrogate code point"):
        assert valid_unicode("great \ud800 film", "review 3") == "great \ufffd film"
    assert valid_unicode("ok \ud83d\ude00", "x") == "ok \U0001F600"  # a split pair is one emoji
    assert valid_unicode("café", "x") == "café"
    with pytest.raises(TypeError, match="review must be a str, got bytes"):
        valid_unicode(b"x", "review")


def _hand_written_pad_sequences(sequences, maxlen, padding="pre", truncating="pre", value=PAD):
    """The course's own padding before it called Keras, kept as the reference."""
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in enumerate(sequences):
        seq = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if len(seq):
            if padding == "pre":
                out[row, maxlen - len(seq):] = seq
            else:
                out[row, :len(seq)] = seq
    return out


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("n, maxlen, longest, kind", [
    (1, 1, 5, "list"), (7, 4, 9, "list"), (50, 16, 40, "array"), (3, 10, 0, "list"), (0, 6, 0, "list"),
    (200, 32, 32, "tuple"),
])
def test_pad_sequences_through_keras_is_bit_identical_to_the_hand_written_one(padding, truncating, n, maxlen,
                                                                             longest, kind):
    rng = np.random.default_rng(n * 31 + maxlen)
    sequences = [rng.integers(2, 30_000, rng.integers(0, longest + 1)) for _ in range(n)]
    sequences = [{"list": list, "tuple": tuple, "array": np.asarray}[kind](s.tolist()) for s in sequences]
    for value in (PAD, 7):
        got = pad_sequences(sequences, maxlen, padding=padding, truncating=truncating, value=value)
        expected = _hand_written_pad_sequences(sequences, maxlen, padding, truncating, value)
        assert got.dtype == expected.dtype == np.int32 and got.shape == expected.shape == (n, maxlen)
        assert got.tobytes() == expected.tobytes()

# --- The one cleaning that training reviews and typed reviews share --------------------------

@pytest.mark.parametrize("raw,tokens", [
    ("I &lt;3 it &amp; you", ["i", "3", "it", "you"]),  # an entity is the character it stands for, not a word
    ("caf&eacute; &#233;t&#xE9; &quot;great&quot;", ["café", "été", "great"]),
    ("AT&T", ["at", "t"]),  # a bare ampersand is text
    ("&lt;b&gt;bold&lt;/b&gt;", ["b", "bold", "b"]),  # escaped markup is text the author wrote
])
def test_html_entities_are_decoded_not_read_as_words(raw, tokens):
    assert text.tokenize(raw) == tokens


@pytest.mark.parametrize("raw,tokens", [
    ("<script>alert('bad')</script>great film", ["great", "film"]),
    ("<STYLE type='text/css'>p { color: red }</STYLE>good", ["good"]),
    ("before <script src=x>never closed bad worse", ["before"]),
    ("<a href='http://www.example.com/a/very/long/address/of/more/than/forty/chars'>link</a> text",
     ["link", "text"]),
    ("I <3 it, 1 < 2 > 0", ["i", "3", "it", "1", "2", "0"]),  # not tags: the text stays
    ("x<br/>y<BR >z<!-- note -->w", ["x", "y", "z", "w"]),
])
def test_html_tags_are_spaces_and_script_or_style_content_is_not_read(raw, tokens):
    assert text.tokenize(raw) == tokens


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e",
                                       "&#8203;", "&#x200B;", "&shy;"])
def test_zero_width_and_format_characters_never_split_a_word(invisible):
    assert text.tokenize(f"gr{invisible}eat film") == ["great", "film"]
    assert text.standardize(f"{invisible}great") == "great"


def test_unicode_is_normalised_before_and_after_entities():
    assert text.tokenize("Cafe\u0301 &#xFB01;lm ＧＲＥＡＴ") == ["café", "film", "great"]
    assert text.clean_text("Cafe\u0301 <i>x</i>") == "Café  x "


def test_training_and_typed_reviews_share_the_one_cleaning():
    """The vocabulary is built by the same function that encodes a typed review."""
    enc = text.encode_dataset(["&lt;great&gt; <script>junk</script>film"], [1], ["gr\u200beat"], [1],
                              vocab_size=10, maxlen=4)
    assert set(enc.vocab.words[2:]) == {"great", "film"}
    assert enc.encode_review("GR\u200bEAT &amp; film").tolist() == [[0, 0, enc.vocab.index("great"),
                                                                      enc.vocab.index("film")]]
    assert enc.x_test.tolist() == [[0, 0, 0, enc.vocab.index("great")]]
