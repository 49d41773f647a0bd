import numpy as np
import pytest

from digitlab.stats import Accuracy, SeedSpread, accuracy, mcnemar, mcnemar_p, wilson


@pytest.mark.parametrize(
    ("correct", "total", "low", "high"),
    [  # Wilson's score interval, 95%: textbook values
        (50, 100, 0.4038, 0.5962),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1871, 2000, 0.9239, 0.9455),
    ],
)
def test_wilson_interval_matches_known_values(correct, total, low, high):
    assert wilson(correct, total) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_is_about_1_4_points_at_98_percent_on_400_images():
    low, high = wilson(0.98 * 400, 400)
    assert 0.012 < 0.98 - low < 0.02 and 0.006 < high - 0.98 < 0.012  # asymmetric near 100%


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="total=0"):
        wilson(0, 0)
    with pytest.raises(ValueError, match="correct=11"):
        wilson(11, 10)


def test_accuracy_is_a_count_and_prints_it_with_its_interval():
    a = accuracy(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]))
    assert a == Accuracy(3, 4) and a.value == 0.75
    assert str(Accuracy(398, 405)) == "98.27% (398/405; 95% CI 96.5-99.2)"
    with pytest.raises(ValueError, match="differ in shape"):
        accuracy(np.zeros(3), np.zeros(4))


def test_seed_spread_reports_mean_range_and_the_interval_of_the_mean():
    spread = SeedSpread.of([Accuracy(c, 2000) for c in (1826, 1828, 1826, 1769, 1855)])
    assert spread.mean == pytest.approx(1820.8 / 2000)
    assert (spread.low, spread.high) == (1769 / 2000, 1855 / 2000)
    assert spread.sd == pytest.approx(np.std([1826, 1828, 1826, 1769, 1855], ddof=1) / 2000)
    assert spread.interval == wilson(1820.8, 2000)
    assert "5 seeds 88.45-92.75" in str(spread)
    with pytest.raises(ValueError, match="different totals"):
        SeedSpread.of([Accuracy(1, 2), Accuracy(1, 3)])


@pytest.mark.parametrize(("b", "c"), [(0, 0), (0, 5), (5, 0), (3, 9), (12, 4), (10, 10), (40, 61), (0, 1), (700, 650)])
def test_mcnemar_p_is_the_exact_two_sided_binomial_test(b, c):
    scipy_stats = pytest.importorskip("scipy.stats")
    expected = 1.0 if b + c == 0 else scipy_stats.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_p(b, c) == pytest.approx(expected, rel=1e-9)


def test_mcnemar_p_by_hand():
    # b = 1, c = 7: 2 * (C(8, 0) + C(8, 1)) / 2**8 = 2 * 9 / 256
    assert mcnemar_p(1, 7) == pytest.approx(18 / 256)
    assert mcnemar_p(7, 1) == mcnemar_p(1, 7)  # two-sided: the order of the models does not matter
    assert mcnemar_p(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_p(4, 4) == 1.0


def test_mcnemar_counts_only_the_images_the_models_disagree_on():
    right_a = np.array([True, True, True, False, False, True])
    right_b = np.array([True, False, False, True, False, True])
    paired = mcnemar(right_a, right_b)
    assert (paired.b, paired.c, paired.same) == (2, 1, 3)
    assert paired.p == pytest.approx(mcnemar_p(2, 1))
    assert "b = 2" in str(paired) and "c = 1" in str(paired)


def test_mcnemar_is_sharper_than_overlapping_intervals():
    # 2,000 images, A right on 1,880 and B on 1,850: their 95% intervals overlap widely, yet A is right on
    # all 30 images B gets wrong, and B on none that A gets wrong: the paired test is decisive.
    right_b = np.arange(2000) < 1850
    right_a = np.arange(2000) < 1880
    a, b = Accuracy(1880, 2000), Accuracy(1850, 2000)
    assert a.interval[0] < b.interval[1]  # the intervals overlap
    assert mcnemar(right_a, right_b).p < 1e-8


def test_mcnemar_refuses_what_is_not_paired_correctness():
    with pytest.raises(ValueError, match="same images"):
        mcnemar(np.ones(3, bool), np.ones(4, bool))
    with pytest.raises(ValueError, match="booleans"):
        mcnemar(np.array([1, 2, 3]), np.array([1, 2, 4]))
    with pytest.raises(ValueError, match="b=-1"):
        mcnemar_p(-1, 3)
