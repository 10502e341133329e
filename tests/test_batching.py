"""Length bucketing: what a trimmed batch must keep, and what it must bound."""
import keras
import numpy as np
import pytest

from course_utils import batching, models, training


def _padded(lengths, maxlen, padding="pre", seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((len(lengths), maxlen), dtype=np.int32)
    for row, n in enumerate(lengths):
        tokens = rng.integers(2, 50, size=n)
        if padding == "pre":
            x[row, maxlen - n:] = tokens
        else:
            x[row, :n] = tokens
    return x


@pytest.fixture(scope="module")
def reviews():
    rng = np.random.default_rng(3)
    lengths = np.clip(rng.lognormal(3.2, 0.7, size=300).astype(int), 1, 96)
    return _padded(lengths, 96), (rng.random(300) < 0.5).astype("float32"), lengths


def test_every_review_once_per_epoch_and_order_reshuffled_from_the_seed(reviews):
    x, y, _ = reviews
    data = batching.LengthBuckets(x, y, batch_size=16, seed=5)
    first = data.order.copy()
    assert sorted(first.tolist()) == list(range(len(x)))
    data.on_epoch_end()
    second = data.order.copy()
    assert sorted(second.tolist()) == list(range(len(x))) and not np.array_equal(first, second)
    again = batching.LengthBuckets(x, y, batch_size=16, seed=5)
    assert np.array_equal(again.order, first)                       # reproducible from the seed
    other = batching.LengthBuckets(x, y, batch_size=16, seed=6)
    assert not np.array_equal(other.order, first)


def test_batches_hold_their_reviews_whole_and_trim_to_a_bucket(reviews):
    x, y, lengths = reviews
    data = batching.LengthBuckets(x, y, batch_size=16, seed=0)
    seen = 0
    for i in range(len(data)):
        xb, yb = data[i]
        rows = data._batches[i][0]
        assert xb.shape[1] in data.boundaries
        assert np.array_equal(np.count_nonzero(xb, axis=1), lengths[rows])   # nothing cut
        assert np.array_equal(xb[:, :lengths[rows].min()] != 0, np.ones_like(xb[:, :lengths[rows].min()], bool))
        assert np.array_equal(yb, y[rows])
        seen += len(rows)
    assert seen == len(x)
    assert data.steps < x.size                                            # fewer steps than fixed


def test_shapes_are_bounded_and_only_one_batch_is_short(reviews):
    x, y, _ = reviews
    for seed in range(3):
        data = batching.LengthBuckets(x, y, batch_size=16, seed=seed)
        assert len(data.boundaries) <= batching.MAX_BUCKETS
        assert len(data.shapes) <= batching.MAX_BUCKETS + 1
        assert sum(len(rows) < 16 for rows, _ in data._batches) <= 1


def test_the_first_two_batches_differ_in_length_for_tensorflow_s_shape_inference(reviews):
    x, y, _ = reviews
    for shuffle in (True, False):
        data = batching.LengthBuckets(x, y, batch_size=16, seed=1, shuffle=shuffle)
        assert data[0][0].shape[1] != data[1][0].shape[1]


@pytest.mark.parametrize("kind,bidirectional,head", [("gru", True, "pool"), ("lstm", False, "last")])
@pytest.mark.parametrize("padding", ["pre", "post"])
def test_same_weights_give_the_same_predictions_trimmed_and_padded(reviews, kind, bidirectional, head, padding):
    _, _, lengths = reviews
    x = _padded(lengths, 96, padding=padding, seed=9)
    keras.utils.set_random_seed(0)
    model = models.build_recurrent(kind, 50, units=8, embedding_dim=6, bidirectional=bidirectional,
                                   head=head, dropout=0.0)
    padded = np.asarray(model.predict(x, batch_size=64, verbose=0)).ravel()
    bucketed = batching.predict_bucketed(model, x, batch_size=16).ravel()
    np.testing.assert_allclose(bucketed, padded, rtol=0, atol=2e-6)


def test_fit_model_feeds_buckets_to_any_length_models_and_arrays_to_fixed_ones(reviews, monkeypatch):
    x, y, _ = reviews
    fed = []
    original = keras.Model.fit

    def spy(self, data, *args, **kwargs):
        fed.append(type(data).__name__)
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    keras.utils.set_random_seed(0)
    free = models.build_gru(50, units=4, embedding_dim=4)
    fixed = models.build_gru(50, 96, units=4, embedding_dim=4)
    assert batching.accepts_any_length(free) and not batching.accepts_any_length(fixed)
    for model in (free, fixed):
        training.fit_model(model, x, y, epochs=1, batch_size=32, seed=0, verbose=False)
    assert fed == ["LengthBuckets", "ndarray"]


def test_bucket_lengths_follow_the_quantiles_and_end_at_maxlen():
    lengths = np.arange(1, 1001)
    bounds = batching.bucket_lengths(lengths, 512, n_buckets=4, quantum=16)
    assert bounds.tolist() == [256, 512]          # quartiles 250.75, 500.5 and 750 (capped): 256, 512
    assert batching.bucket_lengths(np.array([3, 3, 3]), 96).tolist() == [16, 96]


def test_padding_cost_counts_steps():
    cost = batching.padding_cost(np.array([10] * 64 + [90] * 64), maxlen=96, batch_size=64)
    assert cost["fixed_steps"] == 128 * 96 and cost["real_steps"] == 64 * 100
    assert cost["bucketed_steps"] < cost["fixed_steps"]
    assert cost["bucketed_padding"] < cost["fixed_padding"]


def test_bad_input_is_refused_with_a_message():
    with pytest.raises(ValueError, match="batch_size"):
        batching.LengthBuckets(np.ones((4, 8), int), batch_size=0)
    with pytest.raises(ValueError, match="empty"):
        batching.LengthBuckets(np.ones((0, 8), int), batch_size=2)
    with pytest.raises(ValueError, match="rows"):
        batching.LengthBuckets(np.ones((4, 8), int), np.ones(3), batch_size=2)
    with pytest.raises(ValueError, match="hold the longest"):
        batching.LengthBuckets(np.ones((4, 8), int), batch_size=2, boundaries=[4])
