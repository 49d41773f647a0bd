import numpy as np
import pytest

from digitlab.stats import Accuracy, SeedSpread, accuracy, wilson


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
