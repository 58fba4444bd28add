"""k8slite.api.quantity: cases from apimachinery resource/quantity_test.go."""
from fractions import Fraction as F

import pytest

from k8slite.api.quantity import ERR_FORMAT_WRONG, format_quantity, milli_value, parse_quantity, value


@pytest.mark.parametrize("text, want", [
    pytest.param("0", F(0), id="zero"),
    pytest.param("1n", F(1, 10**9), id="nano is ten to the minus nine"),
    pytest.param("1u", F(1, 10**6), id="micro is u"),
    pytest.param("100m", F(1, 10), id="a hundred millicores is a tenth"),
    pytest.param("1", F(1), id="no suffix is units"),
    pytest.param("1k", F(1000), id="k is a thousand"),
    pytest.param("1M", F(10**6), id="M is a million"),
    pytest.param("1G", F(10**9), id="G is a billion"),
    pytest.param("1T", F(10**12), id="T"),
    pytest.param("1P", F(10**15), id="P"),
    pytest.param("1E", F(10**18), id="E is an exa suffix, not an exponent"),
    pytest.param("1Ki", F(1024), id="Ki is 1024"),
    pytest.param("1.5Gi", F(1610612736), id="a fractional binary quantity is exact"),
    pytest.param("128Mi", F(134217728), id="Mi"),
    pytest.param("1Ti", F(2**40), id="Ti"),
    pytest.param("1Pi", F(2**50), id="Pi"),
    pytest.param("1Ei", F(2**60), id="Ei"),
    pytest.param("1e3", F(1000), id="lower e is a decimal exponent"),
    pytest.param("1E6", F(10**6), id="upper E followed by digits is an exponent"),
    pytest.param("1e-3", F(1, 1000), id="exponents may be negative"),
    pytest.param("-1", F(-1), id="a minus sign"),
    pytest.param("+1.5", F(3, 2), id="a plus sign and a fraction"),
    pytest.param(".5", F(1, 2), id="a leading point"),
    pytest.param("0.1m", F(1, 10000), id="sub-milli values are kept exactly"),
    pytest.param(2, F(2), id="a YAML integer"),
    pytest.param(0.5, F(1, 2), id="a YAML float"),
])
def test_parse(text, want):
    assert parse_quantity(text) == want


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"), pytest.param("1.0.0x", id="junk suffix characters"),
    pytest.param("abc", id="letters only"), pytest.param("1 Gi", id="a space"),
    pytest.param("1Gb", id="an unknown byte suffix"),
])
def test_parse_rejects_bad_format(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_bad_format_message_names_the_regex():
    with pytest.raises(ValueError) as e:
        parse_quantity("x")
    assert str(e.value) == ERR_FORMAT_WRONG == (
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


@pytest.mark.parametrize("text, milli, units", [
    pytest.param("100m", 100, 1, id="100m is 100 milli and rounds up to one unit"),
    pytest.param("1.5", 1500, 2, id="one and a half rounds up"),
    pytest.param("1n", 1, 1, id="one nano rounds up to one milli"),
    pytest.param("2", 2000, 2, id="whole units"),
    pytest.param("1Ki", 1024000, 1024, id="binary"),
])
def test_milli_value_and_value_round_up(text, milli, units):
    assert (milli_value(text), value(text)) == (milli, units)


@pytest.mark.parametrize("q, binary, want", [
    pytest.param(F(1, 2), False, "500m", id="half a cpu is 500m"),
    pytest.param(F(3, 2), False, "1500m", id="one and a half cpu is 1500m"),
    pytest.param(F(1500), False, "1500", id="1500 keeps no suffix"),
    pytest.param(F(1000), False, "1k", id="a thousand is 1k"),
    pytest.param(F(0), False, "0", id="zero"),
    pytest.param(F(1073741824), True, "1Gi", id="a gibibyte"),
    pytest.param(F(1610612736), True, "1536Mi", id="1.5Gi prints as 1536Mi"),
    pytest.param(F(1025), True, "1025", id="a binary integer not divisible by 1024"),
    pytest.param(F(1, 2), True, "500m", id="fractional binary falls back to decimal"),
    pytest.param(F(-1, 10), False, "-100m", id="negative"),
    pytest.param(F(1, 10**10), False, "1n", id="below nano rounds up to 1n"),
])
def test_format(q, binary, want):
    assert format_quantity(q, binary) == want
