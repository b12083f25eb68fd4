"""One reader of typed dates: what the tablet accepts, the staff search accepts too."""

from datetime import date

import pytest

from intake.dates import DateError, read_date
from intake.staff.search import SearchError, parse_search

WRITTEN = {
    "04/12/1970": date(1970, 4, 12),
    "4/12/1970": date(1970, 4, 12),
    "4-12-1970": date(1970, 4, 12),
    "04.12.1970": date(1970, 4, 12),
    "04121970": date(1970, 4, 12),
    "1970-04-12": date(1970, 4, 12),
}


@pytest.mark.parametrize(("text", "day"), WRITTEN.items())
def test_a_date_reads_the_same_on_the_tablet_and_in_the_staff_search(text, day):
    assert read_date(text) == day
    assert parse_search(f"Doe {text}") == (("doe",), day)


@pytest.mark.parametrize("text", ["23/04/1981", "04/12/70"])
def test_a_date_written_another_way_says_how_to_write_it_in_both_places(text):
    with pytest.raises(DateError) as tablet:
        read_date(text)
    with pytest.raises(SearchError) as search:
        parse_search(text)
    assert str(search.value) == str(tablet.value)


@pytest.mark.parametrize("text", ["13/13/1970", "02/30/1970", "1970", "12/04"])
def test_what_is_no_date_is_none_on_the_tablet_and_refused_by_the_search(text):
    assert read_date(text) is None
    with pytest.raises(SearchError, match="is not a date"):
        parse_search(text)
