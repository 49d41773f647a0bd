import numpy as np
import pytest

import digitlab as dl


def test_report_protocol_sizes_and_encoding(splits, mnist):
    assert [len(d.y) for d in splits] == [18000, 2000, 2000]
    for d in splits:
        assert d.X.shape == (len(d.y), 785) and d.X.dtype == np.float64 and d.y.dtype == np.int64
        assert np.all(d.X[:, 0] == 1.0) and d.X[:, 1:].min() >= 0 and d.X[:, 1:].max() <= 1
    # hold-out = first 2,000 training images; train = the next 18,000; test = the last 2,000 test images
    np.testing.assert_array_equal(splits.holdout.X[:, 1:] * 255, mnist.train_images[:2000].reshape(2000, 784))
    np.testing.assert_array_equal(splits.train.y, mnist.train_labels[2000:20000])
    np.testing.assert_array_equal(splits.test.y, mnist.test_labels[-2000:])


@pytest.mark.parametrize(("a", "b", "sizes"), [(2, 3, [3616, 389, 405]), (2, 8, [3481, 370, 385])])
def test_digit_pair_counts_match_the_report_protocol(splits, a, b, sizes):
    pair = dl.digit_pair(splits, a, b)
    assert [len(d.y) for d in pair] == sizes
    for d, full in zip(pair, splits):
        assert set(np.unique(d.y)) == {0, 1}
        assert np.sum(d.y == 1) == np.sum(full.y == b) and np.sum(d.y == 0) == np.sum(full.y == a)


@pytest.mark.parametrize(("a", "b"), [(3, 3), (-1, 2), (2, 10), (2.5, 3), ("2", 3)])
def test_digit_pair_rejects_bad_digits(splits, a, b):
    with pytest.raises(ValueError, match="digit"):
        dl.digit_pair(splits, a, b)
