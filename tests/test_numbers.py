"""Numbers as people read them: the formatters, and the summary table that uses them."""
import pytest

from views.numbers import NOTHING, count, sig


@pytest.mark.parametrize("value, digits, shown", [
    (104148.3, 4, "104,148"), (32_972_001.2, 6, "32,972,001"), (0.1004987562112089, 4, "0.1005"), (68.3312, 3, "68.3"),
    (9999.6, 4, "10,000"), (1.5e-10, 4, "1.5e-10"), (1.23456e-5, 4, "1.235e-5"), (3e12, 4, "3e12"), (0.0, 4, "0"),
    (-186.05, 4, "-186.1"), (None, 4, NOTHING), (float("nan"), 4, NOTHING), (float("inf"), 4, NOTHING),
])
def test_sig_gives_significant_digits_separators_and_a_dash_for_nothing(value, digits, shown):
    assert sig(value, digits) == shown


def test_count_separates_thousands_and_says_nothing_with_a_dash():
    assert count(1_259) == "1,259" and count(0) == "0" and count(None) == NOTHING


def test_the_summary_table_says_dash_not_none_and_separates_thousands():
    pytest.importorskip("streamlit")
    from tests.apptest import fresh
    at = fresh({"p": "stuck"})
    table = at.dataframe[0].value
    cells = [str(v) for row in table.itertuples(index=False) for v in row]
    assert "None" not in cells and "nan" not in cells
    row = dict(zip(table.columns, table.iloc[0]))
    assert row["steps to within tolerance"] == NOTHING and row["diverged at step"] == NOTHING  # stuck: it never arrives
    assert row["final loss"] == "32,972,001" and row["bursts"] == "0"
    assert at.number_input(key="tolerance").value == 0.1  # the default, rounded: not 0.1004987562112089
