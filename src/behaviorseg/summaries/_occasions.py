"""Transaction logs → when each customer buys: ``occasion_table`` and ``retail_calendar``.

Purchases are timed in a stated local time (the timestamps' own zone, ``tz``, or
each customer's zone from a column), then counted per customer by season, month,
weekday/weekend, hour band and occasion window, with the regularity of the gaps
between purchases and a circular statistic of seasonal concentration. Every
reduction is a whole-column numpy operation over dense customer codes; the only
loops run over the few occasions of a calendar and the few time zones of a log.

The segment names shared by :class:`~behaviorseg.segmenters.OccasionSegmenter` and
the generator :func:`~behaviorseg.datasets.make_occasion_transactions` live here,
below both.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import check_numeric, to_datetime, warn_excluded
from ..exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from ._events import _prepare_events
from ._transactions import _NS_PER_DAY, _to_ns

__all__ = [
    "HOUR_BANDS",
    "OCCASION_SEGMENTS",
    "RETAIL_OCCASIONS",
    "SEASONS",
    "occasion_table",
    "retail_calendar",
]

#: The four meteorological seasons, in the order of the ``share_<season>`` columns.
SEASONS: tuple[str, ...] = ("winter", "spring", "summer", "autumn")

#: The occasions of :func:`retail_calendar`, in the order of their columns.
RETAIL_OCCASIONS: tuple[str, ...] = (
    "Valentine's Day",
    "Mother's Day",
    "Back to school",
    "Black Friday",
    "Christmas",
)

#: Default hour-of-day bands: ``(name, first hour)``, the first starting at 0.
HOUR_BANDS: tuple[tuple[str, int], ...] = (
    ("night", 0),
    ("morning", 6),
    ("afternoon", 12),
    ("evening", 18),
)

TOO_FEW = "too few purchases"
SEVERAL = "several"
REGULAR = "regular"
WEEKEND = "weekend shopper"
EVENING = "evening shopper"
NO_PATTERN = "no clear pattern"


def occasion_segment(occasion: str) -> str:
    """The segment name of the buyers of one occasion: ``"occasion: <name>"``."""
    return f"occasion: {occasion}"


def season_segment(season: str) -> str:
    """The segment name of the buyers of one season: ``"seasonal: <season>"``."""
    return f"seasonal: {season}"


#: The segments of :class:`~behaviorseg.segmenters.OccasionSegmenter` with its default
#: parameters, in the order of ``segments_`` (first matching rule first).
OCCASION_SEGMENTS: tuple[str, ...] = (
    TOO_FEW,
    *(occasion_segment(o) for o in RETAIL_OCCASIONS),
    occasion_segment(SEVERAL),
    *(season_segment(s) for s in SEASONS),
    REGULAR,
    WEEKEND,
    EVENING,
    NO_PATTERN,
)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NS_PER_HOUR = 3600 * 10**9

# Countries of the southern hemisphere among the supported ones: seasons are shifted.
_SOUTHERN = frozenset({"AU", "NZ", "ZA", "BR", "AR", "CL"})

# Per country: the Mother's Day rule and the back-to-school window (month, day) to
# (month, day). Retail conventions, approximate; pass your own calendar for others.
_COUNTRIES: dict[str, tuple[str, tuple[int, int], tuple[int, int]]] = {
    "GB": ("mothering sunday", (8, 10), (9, 7)),
    "IE": ("mothering sunday", (8, 10), (9, 7)),
    "US": ("second sunday of may", (7, 15), (9, 7)),
    "CA": ("second sunday of may", (8, 1), (9, 7)),
    "DE": ("second sunday of may", (8, 1), (9, 15)),
    "AT": ("second sunday of may", (8, 15), (9, 10)),
    "CH": ("second sunday of may", (8, 1), (8, 31)),
    "NL": ("second sunday of may", (8, 1), (9, 7)),
    "BE": ("second sunday of may", (8, 15), (9, 7)),
    "IT": ("second sunday of may", (8, 25), (9, 20)),
    "FR": ("last sunday of may", (8, 15), (9, 7)),
    "ES": ("first sunday of may", (8, 20), (9, 15)),
    "PT": ("first sunday of may", (8, 20), (9, 15)),
    "MX": ("may 10", (8, 1), (8, 31)),
    "JP": ("second sunday of may", (3, 15), (4, 10)),
    "AU": ("second sunday of may", (1, 10), (2, 7)),
    "NZ": ("second sunday of may", (1, 15), (2, 10)),
    "ZA": ("second sunday of may", (1, 2), (1, 20)),
    "BR": ("second sunday of may", (1, 15), (2, 15)),
}


def _slug(name: str) -> str:
    """Column-name form of an occasion or band name: lower case, ``_`` between words."""
    text = name.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def occasion_column(name: str, prefix: str = "share_") -> str:
    """The column of ``occasion_table`` holding the share of the occasion ``name``."""
    return prefix + _slug(name)


def _country(country: object) -> str:
    """Normalise a country code ("UK" is "GB") or raise listing the supported ones."""
    code = country.upper() if isinstance(country, str) else country
    code = "GB" if code == "UK" else code
    if code not in _COUNTRIES:
        raise ValueError(
            f"country={country!r} is not supported by the built-in calendar; use one of "
            f"{sorted(_COUNTRIES)}, or pass calendar= with your own occasion windows"
        )
    return str(code)


def _dates(years: np.ndarray, months: np.ndarray | int, days: np.ndarray | int) -> np.ndarray:
    """Vectorised ``date(year, month, day)`` as datetime64[D]."""
    first = (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    month_start = first + (np.asarray(months) - 1).astype("timedelta64[M]")
    out: np.ndarray = month_start.astype("datetime64[D]") + (np.asarray(days) - 1).astype(
        "timedelta64[D]"
    )
    return out


def _easter(years: np.ndarray) -> np.ndarray:
    """Gregorian Easter Sunday per year (the anonymous algorithm of Meeus/Jones/Butcher)."""
    y = years
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return _dates(y, month, day)


def _weekday(dates: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    weekday: np.ndarray = (dates.astype(np.int64) + 3) % 7
    return weekday


def _nth_weekday(years: np.ndarray, month: int, weekday: int, n: int) -> np.ndarray:
    """The ``n``-th given weekday of a month (``n=-1``: the last)."""
    out: np.ndarray
    if n > 0:
        first = _dates(years, month, 1)
        out = first + ((weekday - _weekday(first)) % 7 + 7 * (n - 1)).astype("timedelta64[D]")
        return out
    last = _dates(years, month + 1, 1) - np.timedelta64(1, "D")
    out = last - ((_weekday(last) - weekday) % 7).astype("timedelta64[D]")
    return out


def _mothers_day(years: np.ndarray, rule: str) -> np.ndarray:
    """Mother's Day of each year by the country's rule."""
    if rule == "mothering sunday":  # the fourth Sunday of Lent: three weeks before Easter
        return _easter(years) - np.timedelta64(21, "D")
    if rule == "second sunday of may":
        return _nth_weekday(years, 5, 6, 2)
    if rule == "first sunday of may":
        return _nth_weekday(years, 5, 6, 1)
    if rule == "may 10":
        return _dates(years, 5, 10)
    # France: the last Sunday of May, moved to the first of June when it is Pentecost.
    last = _nth_weekday(years, 5, 6, -1)
    pentecost = _easter(years) + np.timedelta64(49, "D")
    return np.where(last == pentecost, last + np.timedelta64(7, "D"), last)


def retail_calendar(years: int | Iterable[int], *, country: str = "GB") -> pd.DataFrame:
    """Return the built-in calendar of retail occasion windows, year by year.

    One row per occasion and year, the window in which shoppers buy *for* the
    occasion (dates inclusive, local):

    ================  ==============================================================
    occasion          window
    ================  ==============================================================
    Christmas         1 to 24 December (the Christmas run-up)
    Black Friday      Monday before Black Friday to Cyber Monday (8 days); Black
                      Friday is the day after the fourth Thursday of November
    Valentine's Day   1 to 14 February
    Mother's Day      the 14 days up to and including Mother's Day, by country:
                      GB/IE Mothering Sunday (three weeks before Easter), US, CA,
                      DE, IT, JP, AU ... the second Sunday of May, FR the last
                      Sunday of May (the first of June when that is Pentecost),
                      ES/PT the first Sunday of May, MX 10 May
    Back to school    the weeks before the school year, by country (GB: 10 August
                      to 7 September; US: 15 July to 7 September; AU: 10 January to
                      7 February ...)
    ================  ==============================================================

    Parameters
    ----------
    years : int or iterable of int
        Calendar years to cover.
    country : str, default="GB"
        ISO 3166 code (``"UK"`` is read as ``"GB"``): GB, IE, US, CA, DE, AT,
        CH, NL, BE, IT, FR, ES, PT, MX, JP, AU, NZ, ZA, BR.

    Returns
    -------
    DataFrame
        Columns ``occasion`` (str), ``start`` and ``end`` (datetime64, dates,
        both inclusive), sorted by start. Edit it, or build one like it, to pass
        as ``calendar=`` to :func:`occasion_table`.

    Examples
    --------
    >>> from behaviorseg.summaries import retail_calendar
    >>> retail_calendar(2024, country="GB")
              occasion      start        end
    0  Valentine's Day 2024-02-01 2024-02-14
    1     Mother's Day 2024-02-26 2024-03-10
    2   Back to school 2024-08-10 2024-09-07
    3     Black Friday 2024-11-25 2024-12-02
    4        Christmas 2024-12-01 2024-12-24
    >>> retail_calendar(2024, country="US").loc[1, ["occasion", "end"]].tolist()
    ["Mother's Day", Timestamp('2024-05-12 00:00:00')]
    """
    code = _country(country)
    items = [years] if isinstance(years, (int, np.integer)) else list(years)
    if not items or not all(
        isinstance(y, (int, np.integer)) and not isinstance(y, bool) and 1678 <= y <= 2261
        for y in items
    ):
        raise ValueError(f"years={years!r} must be one or more integer years in 1678-2261")
    y = np.unique(np.asarray(items, dtype=np.int64))
    mother_rule, school_from, school_to = _COUNTRIES[code]
    black_friday = _nth_weekday(y, 11, 3, 4) + np.timedelta64(1, "D")
    mothers_day = _mothers_day(y, mother_rule)
    windows = {
        "Christmas": (_dates(y, 12, 1), _dates(y, 12, 24)),
        "Black Friday": (
            black_friday - np.timedelta64(4, "D"),
            black_friday + np.timedelta64(3, "D"),
        ),
        "Valentine's Day": (_dates(y, 2, 1), _dates(y, 2, 14)),
        "Mother's Day": (mothers_day - np.timedelta64(13, "D"), mothers_day),
        "Back to school": (_dates(y, *school_from), _dates(y, *school_to)),
    }
    frame = pd.DataFrame(
        {
            "occasion": np.repeat(np.array(RETAIL_OCCASIONS, dtype=object), len(y)),
            "start": np.concatenate([windows[o][0] for o in RETAIL_OCCASIONS]),
            "end": np.concatenate([windows[o][1] for o in RETAIL_OCCASIONS]),
        }
    )
    frame["start"] = frame["start"].astype("datetime64[ns]")
    frame["end"] = frame["end"].astype("datetime64[ns]")
    out: pd.DataFrame = frame.sort_values(["start", "occasion"], ignore_index=True)
    return out


def _calendar_windows(
    calendar: Any, years: np.ndarray, country: str
) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], bool]:
    """The occasion windows as day numbers: ``(name, starts, running max of ends)``.

    Per occasion, windows are sorted by start and the ends replaced by their running
    maximum, so that a day is inside some window exactly when the last window that
    starts on or before it has a (running) end on or after it. Returns the windows
    in the calendar's order of first appearance and whether the calendar is the
    built-in one.
    """
    builtin = calendar is None
    if builtin:
        calendar = retail_calendar(range(int(years.min()), int(years.max()) + 1), country=country)
    if not isinstance(calendar, pd.DataFrame):
        raise TypeError(
            f"calendar must be a DataFrame with columns 'occasion', 'start' and 'end' "
            f"(see retail_calendar), got {type(calendar).__name__}"
        )
    missing = [c for c in ("occasion", "start", "end") if c not in calendar.columns]
    if missing or len(calendar) == 0:
        raise SchemaError(
            f"calendar {'lacks the columns ' + repr(missing) if missing else 'is empty'}; it "
            f"needs one row per occasion window with the columns 'occasion' (name), 'start' "
            f"and 'end' (dates, inclusive), as retail_calendar(...) returns"
        )
    names = calendar["occasion"]
    if not names.map(lambda v: isinstance(v, str) and v.strip() != "").all():
        raise SchemaError(
            "calendar column 'occasion' must hold a non-empty name (str) on every row"
        )
    days = {}
    for column in ("start", "end"):  # two columns
        stamps = to_datetime(calendar[column], column=column)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        days[column] = stamps.to_numpy(dtype="datetime64[ns]").view(np.int64) // _NS_PER_DAY
    backwards = days["end"] < days["start"]
    if backwards.any():
        raise DataValidationError(
            f"calendar has {int(backwards.sum())} windows whose 'end' is before their "
            f"'start' (rows {list(calendar.index[backwards][:3])}); swap or fix them"
        )
    windows = []
    order = RETAIL_OCCASIONS if builtin else pd.unique(names)
    for name in order:  # a loop over a handful of occasions
        mine = (names == name).to_numpy()
        order = np.argsort(days["start"][mine], kind="stable")
        starts = days["start"][mine][order]
        ends = np.maximum.accumulate(days["end"][mine][order])
        windows.append((str(name), starts, ends))
    return windows, builtin


def _inside(day: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each day number falls inside one of the (sorted, running-max) windows."""
    last = np.searchsorted(starts, day, side="right") - 1
    inside: np.ndarray = (last >= 0) & (day <= ends[np.maximum(last, 0)])
    return inside


def _check_bands(hour_bands: Any) -> tuple[list[str], np.ndarray]:
    """Validate ``hour_bands``: (name, first hour) pairs, the first at 0, increasing."""
    try:
        names = [str(name) for name, _ in hour_bands]
        starts = np.array([int(hour) for _, hour in hour_bands], dtype=np.int64)
        ok = all(isinstance(name, str) and name for name, _ in hour_bands)
    except (TypeError, ValueError):
        ok = False
    if (
        not ok
        or starts[0] != 0
        or not np.all(np.diff(starts) > 0)
        or starts[-1] > 23
        or len({_slug(n) for n in names}) != len(names)
    ):
        raise ValueError(
            f"hour_bands={hour_bands!r} must be (name, first hour) pairs with distinct "
            f"names and first hours increasing from 0 to at most 23, e.g. {HOUR_BANDS!r}"
        )
    return names, starts


def _local_times(
    times: pd.Series, frame: pd.DataFrame, *, tz: str | None, tz_col: str | None
) -> np.ndarray:
    """Local wall time per row, as nanoseconds since the epoch (int64).

    Without ``tz_col``: aware times in ``tz`` (their own zone when ``tz`` is None);
    naive times are already local. With ``tz_col``: each row in its own zone, naive
    times being read in ``tz`` (UTC when None).
    """
    if tz is not None:
        try:
            pd.Timestamp("2000-01-01", tz=tz)
        except Exception as err:  # pytz / zoneinfo raise different errors
            raise ValueError(f"tz={tz!r} is not a time zone such as 'Europe/London'") from err
    aware = times.dt.tz is not None
    if tz_col is None:
        local = times.dt.tz_convert(tz) if (aware and tz is not None) else times
        if local.dt.tz is not None:
            local = local.dt.tz_localize(None)
        wall: np.ndarray = local.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return wall
    zones = frame[tz_col]
    if zones.isna().any():
        raise DataValidationError(
            f"column {tz_col!r} has {int(zones.isna().sum())} missing time zones; fill "
            f"them (e.g. with the shop's zone) or drop those rows first"
        )
    if aware:
        utc = times.dt.tz_convert("UTC")
    else:
        utc = times.dt.tz_localize(
            tz or "UTC", ambiguous=np.zeros(len(times), dtype=bool), nonexistent="shift_forward"
        ).dt.tz_convert("UTC")
    out = np.empty(len(times), dtype=np.int64)
    for zone in pd.unique(zones):  # a loop over the few time zones of a log
        mine = (zones == zone).to_numpy()
        try:
            local = utc[mine].dt.tz_convert(zone).dt.tz_localize(None)
        except Exception as err:
            raise DataValidationError(
                f"column {tz_col!r} holds {zone!r}, which is not a time zone such as "
                f"'Europe/Paris'; fix those rows first"
            ) from err
        out[mine] = local.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return out


def _anniversary_distance(day: np.ndarray, birthday: pd.Series) -> np.ndarray:
    """Days from each purchase day to the nearest anniversary of ``birthday``.

    The anniversary is the same month and day in the purchase's year, the one before
    or the one after (29 February falls on 28 February in other years).
    """
    month = birthday.dt.month.to_numpy(dtype=np.int64)
    mday = birthday.dt.day.to_numpy(dtype=np.int64)
    dates = day.astype("datetime64[D]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    best = np.full(len(day), np.iinfo(np.int64).max)
    for shift in (-1, 0, 1):  # the three candidate years
        y = year + shift
        month_start = _dates(y, month, 1)
        length = (_dates(y, month + 1, 1) - month_start).astype(np.int64)
        anniversary = month_start + (np.minimum(mday, length) - 1).astype("timedelta64[D]")
        best = np.minimum(best, np.abs(anniversary.astype(np.int64) - day))
    return best


def _shares(
    code: np.ndarray, group: np.ndarray, k: int, n: int, weights: np.ndarray, totals: np.ndarray
) -> np.ndarray:
    """(n, k) shares of ``weights`` per customer code and group (NaN where total is 0)."""
    sums = np.bincount(code * k + group, weights=weights, minlength=n * k).reshape(n, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = sums / totals[:, None]
    return out


@frame_boundary("transactions", "calendar")
def occasion_table(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "timestamp",
    amount_col: str | None = "amount",
    order_col: str | None = None,
    as_of: Any = None,
    tz: str | None = None,
    tz_col: str | None = None,
    calendar: pd.DataFrame | None = None,
    country: str = "GB",
    birthday_col: str | None = None,
    personal_window_days: int = 7,
    hour_bands: Sequence[tuple[str, int]] = HOUR_BANDS,
    weekend_days: tuple[int, ...] = (5, 6),
    months: bool = False,
) -> pd.DataFrame:
    """Summarise when each customer buys: seasons, days, hours, occasions, regularity.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase line (or purchase), with a customer id and a
        timestamp (and an amount for the spend shares). Not modified.
    customer_col, time_col : str
        Column names. Timestamps may be naive or time-zone-aware (not mixed).
    amount_col : str or None
        Column with the amount; adds ``spend`` and a ``spend_share_*`` column
        for every ``share_*`` column. Rows with a negative amount (returns) say
        nothing about when a customer buys: they are excluded with a warning.
    order_col : str or None
        Order (invoice) id: the rows of one order are one purchase, timed at its
        first row. Without it, the rows of a customer at one instant are one
        purchase.
    as_of : date-like or None
        End of the observation, inclusive (default: the last timestamp). Later
        rows are excluded with a warning that counts them.
    tz : str or None
        Time zone in which purchases are timed. Aware timestamps are converted
        to it; naive ones are taken as already local (in ``tz``). None: the
        timestamps' own zone, or their naive wall time.
    tz_col : str or None
        Column with each row's IANA time zone (the customer's): purchases are
        timed in it. Naive timestamps are then read in ``tz`` (UTC if None).
    calendar : DataFrame or None
        Occasion windows: columns ``occasion``, ``start``, ``end`` (dates,
        inclusive), one row per occasion and year, as :func:`retail_calendar`
        returns. None: ``retail_calendar`` of ``country`` for the years of the
        data. Windows of one occasion may overlap; a purchase inside windows of
        two occasions counts for both. A warning names the occasions of a custom
        calendar that do not cover every year with purchases.
    country : str, default="GB"
        Country of the built-in calendar (Mother's Day and back to school move
        with it) and of the seasons (southern-hemisphere countries AU, NZ, ZA,
        BR have summer in December to February).
    birthday_col : str or None
        Column with a personal date per row (birthday, anniversary; any year,
        missing allowed): adds ``share_personal``, the share of purchases within
        ``personal_window_days`` of its anniversary (NaN for customers with no
        known date).
    personal_window_days : int, default=7
        Half-width of the personal window, in days (±).
    hour_bands : sequence of (str, int), default=HOUR_BANDS
        Named hour-of-day bands: ``(name, first hour)``, increasing from 0. The
        default is night 0-6, morning 6-12, afternoon 12-18, evening 18-24.
    weekend_days : tuple of int, default=(5, 6)
        Weekend days, Monday = 0 (``(4, 5)`` for a Friday-Saturday weekend).
    months : bool, default=False
        Add ``share_jan`` ... ``share_dec``.

    Returns
    -------
    DataFrame
        One row per customer with a purchase, indexed by customer id (sorted):

        - ``n_purchases`` (int) and, with ``amount_col``, ``spend`` (float).
        - ``observed_days`` (float): days from the first purchase to ``as_of``:
          how much of a year the customer could show.
        - ``gap_cv`` (float): coefficient of variation (sample standard deviation
          / mean) of the days between consecutive purchases; small = regular,
          about 1 = random (Poisson) timing. NaN below 3 purchases or when all
          gaps are 0.
        - ``seasonal_concentration`` (float in [0, 1]): mean resultant length of
          the purchases' days of the year on the annual circle; 0 = spread over
          the year, 1 = all on the same day of the year (1 for one purchase).
        - ``peak_day_of_year`` (float in [1, 366)): the circular mean day of the
          year; ``peak_season`` (categorical, :data:`SEASONS`): its season.
        - ``share_<season>`` for the :data:`SEASONS`, ``share_jan`` ...
          (``months=True``), ``share_weekend``, ``share_<band>`` per hour band:
          shares of purchases (each group sums to 1 per customer).
        - ``share_occasion``: share of purchases inside any occasion window;
          ``share_<occasion>`` per occasion, in the calendar's order
          (``share_valentines_day``, ``share_mothers_day``,
          ``share_back_to_school``, ``share_black_friday``, ``share_christmas``
          by default: :data:`RETAIL_OCCASIONS`).
        - ``share_personal`` (with ``birthday_col``).
        - ``spend_share_*`` (with ``amount_col``): the same shares of spend (NaN
          for a customer whose purchases all cost 0).

    Notes
    -----
    Seasons are meteorological (winter = December to February in the northern
    hemisphere). The day of the year is placed on the circle as
    ``2π (day - 0.5) / days in that year``. A purchase is in a window when its
    local date is. Rows without a customer id are dropped with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> from behaviorseg.summaries import occasion_table
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 2, 2],
    ...     "timestamp": pd.to_datetime([
    ...         "2023-12-10 19:00", "2024-12-05 20:30", "2024-12-18 21:00",
    ...         "2024-01-06 10:00", "2024-02-03 11:00", "2024-03-02 10:30",
    ...         "2024-03-30 09:45",
    ...     ]),
    ...     "amount": [40.0, 25.0, 60.0, 10.0, 12.0, 9.0, 11.0],
    ... })
    >>> table = occasion_table(tx, as_of="2024-12-31")
    >>> table[["n_purchases", "gap_cv", "seasonal_concentration", "peak_season"]]
                 n_purchases    gap_cv  seasonal_concentration peak_season
    customer_id
    1                      3  1.315...                0.995...      winter
    2                      4  0.001...                0.861...      winter
    >>> table[["share_christmas", "share_weekend", "share_evening", "share_morning"]]
                 share_christmas  share_weekend  share_evening  share_morning
    customer_id
    1                        1.0       0.333333            1.0            0.0
    2                        0.0       1.000000            0.0            1.0
    """
    if isinstance(personal_window_days, bool) or not isinstance(personal_window_days, int):
        raise ValueError(f"personal_window_days={personal_window_days!r} must be an int >= 0")
    if personal_window_days < 0:
        raise ValueError(f"personal_window_days={personal_window_days!r} must be an int >= 0")
    weekend = tuple(weekend_days) if isinstance(weekend_days, (tuple, list)) else None
    if weekend is None or not all(isinstance(d, int) and 0 <= d <= 6 for d in weekend):
        raise ValueError(f"weekend_days={weekend_days!r} must be a tuple of ints 0-6 (Monday=0)")
    band_names, band_starts = _check_bands(hour_bands)
    code = _country(country)
    log = _prepare_events(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        other_cols={
            "amount_col": amount_col,
            "order_col": order_col,
            "tz_col": tz_col,
            "birthday_col": birthday_col,
        },
        as_of=as_of,
    )
    frame = log.frame
    local_ns = _local_times(log.times, frame, tz=tz, tz_col=tz_col)
    amounts = (
        np.asarray(check_numeric(frame[amount_col], column=amount_col), dtype=np.float64)
        if amount_col is not None
        else np.zeros(len(frame))
    )
    birthday = None
    if birthday_col is not None:
        raw = frame[birthday_col]
        known_rows = raw.notna().to_numpy()
        birthday = to_datetime(raw[known_rows], column=birthday_col)

    # --- purchases: one per (customer, order) or (customer, instant) ------------------
    bought = amounts >= 0
    n_returns = int((~bought).sum())
    warn_excluded(
        n_returns,
        f"rows have a negative amount in column {amount_col!r} (returns) and were excluded: "
        f"they do not say when a customer buys",
    )
    rows = np.flatnonzero(bought)
    if rows.size == 0:
        raise DataValidationError(
            f"no row has an amount >= 0 in column {amount_col!r}; there is no purchase to time"
        )
    second = frame[order_col].to_numpy()[rows] if order_col is not None else log.ns[rows]
    second_codes, second_uniques = pd.factorize(second)
    width = np.int64(max(len(second_uniques), 1))
    purchase, keys = pd.factorize(log.codes[rows] * width + second_codes)
    n_p = len(keys)
    p_customer = keys // width
    p_ns = np.full(n_p, np.iinfo(np.int64).max)
    np.minimum.at(p_ns, purchase, log.ns[rows])
    first_row = np.full(n_p, len(rows))
    np.minimum.at(first_row, purchase, np.arange(len(rows)))
    p_local = local_ns[rows][first_row]
    p_amount = np.bincount(purchase, weights=amounts[rows], minlength=n_p)

    # Customers with purchases, recoded densely in the sorted order of the log's codes.
    present, p_code = np.unique(p_customer, return_inverse=True)
    p_code = p_code.reshape(-1)
    warn_excluded(
        len(log.customers) - len(present),
        "customers have only returns (negative amounts) in the window and were left out",
    )
    n = len(present)
    index = log.customers[present]
    count = np.bincount(p_code, minlength=n).astype(np.float64)
    spend = np.bincount(p_code, weights=p_amount, minlength=n)
    ones = np.ones(n_p)

    # --- calendar features of each purchase (local time) ------------------------------
    day = p_local // _NS_PER_DAY
    dates = day.astype("datetime64[D]")
    year_start = dates.astype("datetime64[Y]")
    year = year_start.astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
    day_of_year = (dates - year_start.astype("datetime64[D]")).astype(np.int64) + 1
    year_length = (
        (year_start + np.timedelta64(1, "Y")).astype("datetime64[D]")
        - year_start.astype("datetime64[D]")
    ).astype(np.int64)
    hour = (p_local - day * _NS_PER_DAY) // _NS_PER_HOUR
    season = ((month + 1) % 12) // 3  # Dec-Feb 0, Mar-May 1, Jun-Aug 2, Sep-Nov 3
    if code in _SOUTHERN:
        season = (season + 2) % 4

    # --- regularity: coefficient of variation of the gaps between purchases ----------
    order = np.lexsort((p_ns, p_code))
    same = p_code[order][1:] == p_code[order][:-1]
    gap_code = p_code[order][1:][same]
    gaps = np.diff(p_ns[order])[same] / _NS_PER_DAY
    n_gaps = np.bincount(gap_code, minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.bincount(gap_code, weights=gaps, minlength=n) / n_gaps
        squares = np.bincount(gap_code, weights=(gaps - mean_gap[gap_code]) ** 2, minlength=n)
        gap_cv = np.sqrt(squares / (n_gaps - 1)) / mean_gap
    gap_cv = np.where((n_gaps >= 2) & (mean_gap > 0), gap_cv, np.nan)

    # --- seasonal concentration: mean resultant length over the year -----------------
    angle = 2 * np.pi * (day_of_year - 0.5) / year_length
    cos = np.bincount(p_code, weights=np.cos(angle), minlength=n) / count
    sin = np.bincount(p_code, weights=np.sin(angle), minlength=n) / count
    concentration = np.minimum(np.hypot(cos, sin), 1.0)
    peak = np.mod(np.arctan2(sin, cos), 2 * np.pi) * 365.0 / (2 * np.pi) + 0.5
    peak_month = (np.datetime64("2001-01-01") + np.floor(peak - 1).astype("timedelta64[D]")).astype(
        "datetime64[M]"
    ).astype(np.int64) % 12
    peak_season = ((peak_month + 1) % 12) // 3
    if code in _SOUTHERN:
        peak_season = (peak_season + 2) % 4
    as_of_ns = _to_ns(log.as_of)
    first_ns = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_ns, p_code, p_ns)

    # --- the shares, described once: (column names, group per purchase) -------------
    groups: list[tuple[list[str], np.ndarray]] = [
        ([f"share_{s}" for s in SEASONS], season),
    ]
    if months:
        groups.append(([f"share_{m}" for m in _MONTHS], month))
    flags: list[tuple[str, np.ndarray]] = [("share_weekend", np.isin(_weekday(dates), weekend))]
    band = np.searchsorted(band_starts, hour, side="right") - 1
    groups.append(([f"share_{_slug(b)}" for b in band_names], band))

    windows, builtin = _calendar_windows(calendar, np.unique(year), code)
    any_occasion = np.zeros(n_p, dtype=bool)
    occasion_flags = []
    for name, starts, ends in windows:  # a loop over a handful of occasions
        inside = _inside(day, starts, ends)
        any_occasion |= inside
        occasion_flags.append((occasion_column(name), inside))
        if not builtin:
            _warn_uncovered(name, starts, ends, year)
    flags.append(("share_occasion", any_occasion))
    flags.extend(occasion_flags)

    columns: dict[str, Any] = {"n_purchases": count.astype(np.int64)}
    if amount_col is not None:
        columns["spend"] = spend
    columns.update(
        {
            "observed_days": (as_of_ns - first_ns) / _NS_PER_DAY,
            "gap_cv": gap_cv,
            "seasonal_concentration": concentration,
            "peak_day_of_year": peak,
            "peak_season": pd.Categorical.from_codes(
                peak_season, dtype=pd.CategoricalDtype(list(SEASONS))
            ),
        }
    )
    share_names: list[str] = []
    share_values: list[np.ndarray] = []
    spend_values: list[np.ndarray] = []
    for names, group in groups:  # a few groups of columns
        share_names.extend(names)
        share_values.append(_shares(p_code, group, len(names), n, ones, count))
        spend_values.append(_shares(p_code, group, len(names), n, p_amount, spend))
    for name, flag in flags:  # weekend and the occasions
        share_names.append(name)
        share_values.append(_shares(p_code, flag.astype(np.int64), 2, n, ones, count)[:, 1:])
        spend_values.append(_shares(p_code, flag.astype(np.int64), 2, n, p_amount, spend)[:, 1:])
    if birthday is not None:
        share_names.append("share_personal")
        personal, personal_spend = _personal_shares(
            birthday, known_rows, rows, first_row, day, p_code, p_amount, n, personal_window_days
        )
        share_values.append(personal[:, None])
        spend_values.append(personal_spend[:, None])
    repeated = sorted({c for c in share_names if share_names.count(c) > 1})
    if repeated:
        raise ValueError(
            f"the occasions and hour bands give the same column names {repeated}; rename the "
            f"occasions of the calendar or the hour bands so that every column is distinct"
        )
    columns.update(zip(share_names, np.hstack(share_values).T, strict=True))
    if amount_col is not None:
        spend_names = ["spend_" + c for c in share_names]
        columns.update(zip(spend_names, np.hstack(spend_values).T, strict=True))
    out: pd.DataFrame = pd.DataFrame(columns, index=index)
    return out


def _personal_shares(
    birthday: pd.Series,
    known_rows: np.ndarray,
    rows: np.ndarray,
    first_row: np.ndarray,
    day: np.ndarray,
    p_code: np.ndarray,
    p_amount: np.ndarray,
    n: int,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of purchases and of spend within ``window`` days of the personal date.

    A purchase uses the personal date of its first row; purchases without one are
    left out of both the numerator and the denominator (NaN when a customer has none).
    """
    position = np.full(len(known_rows), -1)
    position[known_rows] = np.arange(int(known_rows.sum()))
    p_position = position[rows][first_row]
    known = p_position >= 0
    distance = _anniversary_distance(day[known], birthday.iloc[p_position[known]])
    near = np.zeros(len(day), dtype=bool)
    near[np.flatnonzero(known)] = distance <= window
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(p_code, weights=near, minlength=n) / np.bincount(
            p_code, weights=known, minlength=n
        )
        spend_share = np.bincount(p_code, weights=near * p_amount, minlength=n) / np.bincount(
            p_code, weights=known * p_amount, minlength=n
        )
    return share, spend_share


def _warn_uncovered(name: str, starts: np.ndarray, ends: np.ndarray, year: np.ndarray) -> None:
    """Warn when a custom calendar has no window of ``name`` in some year with purchases."""
    first_years = starts.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    last_years = ends.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    covered = set(first_years.tolist()) | set(last_years.tolist())
    missing = sorted(set(np.unique(year).tolist()) - covered)
    if missing:
        warnings.warn(
            f"calendar has no window of {name!r} in {missing}, years with purchases; its "
            f"share counts those purchases as outside the occasion. Add the windows of "
            f"those years (retail_calendar(years) builds them for the built-in occasions)",
            BehaviorsegWarning,
            stacklevel=3,
        )
