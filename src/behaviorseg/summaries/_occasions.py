"""Transaction logs → when each customer buys: ``occasion_table`` and ``retail_calendar``.

Purchases are timed in a stated local time (the timestamps' own zone, ``tz``, or
each customer's zone from a column), then counted per customer by season, month,
weekday/weekend, hour band and occasion window, with the regularity of the gaps
between purchases and a circular statistic of seasonal concentration.

How it stays fast and small on large logs: the calendar features (season, month,
weekday, hour band, occasion windows, the angle on the annual circle) are computed
once per distinct local hour and read per purchase through a small hour slot. One
sort of packed (customer, time) keys finds the purchases (rows of one customer at
one instant) and the gaps between them. Per-customer sums are added in purchase
order with ``np.add.at``, chunk after chunk of the log: the same floats, bit for
bit, as one pass, with bounded temporary memory (numpy < 1.25, whose ``ufunc.at``
is slow, adds the whole log at once with ``np.bincount``); integer counts are
packed several to a float64 weight. The only Python loops run over chunks of the
log, the few occasions of a calendar and the few time zones of a log.

The segment names shared by :class:`~behaviorseg.segmenters.OccasionSegmenter` and
the generator :func:`~behaviorseg.datasets.make_occasion_transactions` live here,
below both.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._frames import frame_boundary
from .._validation import check_numeric, to_datetime, warn_excluded
from ..exceptions import BehaviorsegWarning, DataValidationError, SchemaError
from . import _engagement
from ._engagement import _add_at
from ._events import _prepare_events, _value_codes
from ._transactions import _NS_PER_DAY, _epoch_ns, _epoch_ticks, _to_ns

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
_CHUNK = 1 << 18  # items per chunk of the passes over the log: bounds temporary memory
_FLOAT_BITS = 53  # integers below 2 ** 53 add exactly in float64

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


def _check_tz(tz: str | None) -> None:
    """Refuse a ``tz`` that is not a time zone, naming it."""
    if tz is not None:
        try:
            pd.Timestamp("2000-01-01", tz=tz)
        except Exception as err:  # pytz / zoneinfo raise different errors
            raise ValueError(f"tz={tz!r} is not a time zone such as 'Europe/London'") from err


def _local_times(
    times: pd.Series,
    utc_ns: np.ndarray,
    frame: pd.DataFrame,
    *,
    tz: str | None,
    tz_col: str | None,
) -> np.ndarray:
    """Local wall time per row, as nanoseconds since the epoch (int64; do not modify).

    Without ``tz_col``: aware times in ``tz`` (their own zone when ``tz`` is None);
    naive times are already local. With ``tz_col``: each row in its own zone, naive
    times being read in ``tz`` (UTC when None). ``utc_ns`` holds the rows' instants
    (nanoseconds since the epoch, UTC for aware times, wall time for naive ones).
    """
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
    utc = utc_ns  # aware times, or naive ones read in UTC: the instants themselves
    if not aware and tz not in (None, "UTC"):
        utc = _epoch_ns(
            times.dt.tz_localize(
                tz, ambiguous=np.zeros(len(times), dtype=bool), nonexistent="shift_forward"
            )
        )
    # Each distinct zone is named once; rows find their zone by code.
    zone_codes, zone_names = _value_codes(zones)
    out = np.empty(len(times), dtype=np.int64)
    invalid: list[tuple[int, Any]] = []
    for z, zone in enumerate(zone_names):  # a loop over the few time zones of a log
        mine = np.flatnonzero(zone_codes == z)
        if len(mine) == 0:
            continue  # an unused category
        try:
            stamps = pd.DatetimeIndex(utc[mine].view("datetime64[ns]")).tz_localize("UTC")
            out[mine] = stamps.tz_convert(zone).tz_localize(None).asi8
        except Exception:
            invalid.append((int(mine[0]), zone))
    if invalid:
        zone = min(invalid, key=lambda item: item[0])[1]  # the first in row order
        raise DataValidationError(
            f"column {tz_col!r} holds {zone!r}, which is not a time zone such as "
            f"'Europe/Paris'; fix those rows first"
        )
    return out


def _local_wall(
    times: pd.Series,
    utc_ns: np.ndarray,
    frame: pd.DataFrame,
    *,
    tz: str | None,
    tz_col: str | None,
) -> tuple[np.ndarray, int]:
    """Local wall time of each row in ticks since the epoch, and the ticks per hour.

    Naive times without ``tz_col`` are read as they are, in their own unit (no copy);
    other cases are converted to nanoseconds (:func:`_local_times`).
    """
    if tz_col is None and times.dt.tz is None:
        ticks, step = _epoch_ticks(times)
        if _NS_PER_HOUR % step == 0:
            return ticks, _NS_PER_HOUR // step
    return _local_times(times, utc_ns, frame, tz=tz, tz_col=tz_col), _NS_PER_HOUR


def _spans(n: int, size: int | None = None) -> list[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of ``range(n)`` (``_CHUNK`` items each)."""
    step = max(size or _CHUNK, 1)
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _hour_slots(wall: np.ndarray, per_hour: int) -> tuple[np.ndarray, np.ndarray]:
    """A small integer slot per row for its local hour, and the hour of each slot.

    The local hour is the floor of the wall ticks / ticks per hour, counted from the
    epoch (the floor of ns / ns per hour). Slots number the hours from the first one
    (int16 over 3.7 years, else int32), chunk by chunk without a full-length int64
    copy; a log sparse in time (far more hours than rows) numbers its distinct hours.
    """
    low, high = int(wall.min()) // per_hour, int(wall.max()) // per_hour
    span = high - low + 1
    if span > 4 * len(wall) + (1 << 16):
        slot_hours, inverse = np.unique(np.floor_divide(wall, per_hour), return_inverse=True)
        return inverse.reshape(-1).astype(np.int32), slot_hours
    dtype = np.int16 if span <= np.iinfo(np.int16).max else np.int32
    slots = np.empty(len(wall), dtype=dtype)
    for start, stop in _spans(len(wall)):
        hours = np.floor_divide(wall[start:stop], per_hour)
        hours -= low
        slots[start:stop] = hours
    return slots, np.arange(low, high + 1, dtype=np.int64)


@dataclass(frozen=True)
class _SlotTable:
    """The calendar features of each local hour slot, read per purchase by slot.

    ``shares`` holds one 0/1 row per ``share_*`` column (but ``share_personal``), in
    column order. ``groups`` lists sets of columns that no purchase counts for twice
    (the seasons, the months, the hour bands, weekend, any occasion, occasions that
    never overlap): per slot, the column it counts for, or -1.
    """

    day: np.ndarray
    year: np.ndarray
    cos: np.ndarray
    sin: np.ndarray
    shares: np.ndarray
    groups: list[np.ndarray]


def _slot_table(
    slot_hours: np.ndarray,
    *,
    southern: bool,
    months: bool,
    band_starts: np.ndarray,
    weekend: tuple[int, ...],
    windows: list[tuple[str, np.ndarray, np.ndarray]],
) -> _SlotTable:
    """Season, month, hour band, weekend, occasions and angle of every hour slot.

    The same whole-array arithmetic as per purchase, run once per distinct hour.
    """
    day = np.floor_divide(slot_hours, 24)
    hour = slot_hours - day * 24
    dates = day.astype("datetime64[D]")
    year_start = dates.astype("datetime64[Y]")
    year = year_start.astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
    day_of_year = (dates - year_start.astype("datetime64[D]")).astype(np.int64) + 1
    year_length = (
        (year_start + np.timedelta64(1, "Y")).astype("datetime64[D]")
        - year_start.astype("datetime64[D]")
    ).astype(np.int64)
    season = ((month + 1) % 12) // 3  # Dec-Feb 0, Mar-May 1, Jun-Aug 2, Sep-Nov 3
    if southern:
        season = (season + 2) % 4
    angle = 2 * np.pi * (day_of_year - 0.5) / year_length
    band = np.searchsorted(band_starts, hour, side="right") - 1

    columns: list[np.ndarray] = []  # one 0/1 row per share column, in column order
    groups: list[np.ndarray] = []

    def add_group(values: np.ndarray, k: int) -> None:
        groups.append(np.where(values >= 0, values + len(columns), -1))
        columns.extend(values == i for i in range(k))

    add_group(season, len(SEASONS))
    if months:
        add_group(month, 12)
    add_group(band, len(band_starts))
    add_group(np.isin(_weekday(dates), weekend).astype(np.int64) - 1, 1)
    inside = [_inside(day, starts, ends) for _, starts, ends in windows]
    add_group(np.logical_or.reduce(inside, axis=0).astype(np.int64) - 1, 1)
    first = len(columns)
    columns.extend(inside)
    # Occasions that never share a day are summed in one pass (greedy layers).
    layers: list[np.ndarray] = []
    for i, flags in enumerate(inside):  # a loop over a handful of occasions
        for layer in layers:
            if not (flags & (layer >= 0)).any():
                layer[flags] = first + i
                break
        else:
            layers.append(np.where(flags, first + i, -1))
    groups.extend(layers)
    return _SlotTable(
        day=day,
        year=year,
        cos=np.cos(angle),
        sin=np.sin(angle),
        shares=np.array(columns, dtype=np.uint8).reshape(len(columns), len(slot_hours)),
        groups=groups,
    )


def _digit_tables(shares: np.ndarray, bits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pack 0/1 share rows into float64 weights per slot, ``53 // bits`` rows per table.

    Row ``j`` of a table weighs ``2 ** (bits * j)``: the sum of the weights of a
    customer's purchases holds the count of each row in its own ``bits``-bit digit,
    exactly, as long as no count reaches ``2 ** bits`` (integers below 2 ** 53 add
    exactly in float64, in any order). One sum then does the work of several.
    """
    per_table = max(_FLOAT_BITS // bits, 1)
    tables = []
    for start in range(0, len(shares), per_table):
        rows = np.arange(start, min(start + per_table, len(shares)))
        scale = np.ldexp(1.0, bits * np.arange(len(rows)))
        tables.append((scale @ shares[rows].astype(np.float64), rows))
    return tables


@dataclass(frozen=True)
class _TimeKeys:
    """How (customer code, purchase time) pairs are packed into one sortable int64.

    ``key = code << shift | tick``: the tick is ``(ns - low) // unit`` or, with
    ``instants``, the index of the instant in that sorted array of distinct instants.
    """

    shift: int
    low: int = 0
    unit: int = 1
    instants: np.ndarray | None = None

    def ns(self, ticks: np.ndarray) -> np.ndarray:
        """The instants (nanoseconds since the epoch) of the given ticks."""
        if self.instants is not None:
            out: np.ndarray = self.instants[ticks]
            return out
        return ticks * self.unit + self.low

    def keys(
        self, codes: np.ndarray, ns: np.ndarray, keep: np.ndarray | None, n: int
    ) -> np.ndarray:
        """The keys of some items; those not kept get code ``n`` and tick 0 (they sort last)."""
        if self.instants is not None:
            ticks = np.searchsorted(self.instants, ns)
        else:
            ticks = ns - self.low
            ticks //= self.unit
        key = codes.astype(np.int64) << self.shift
        if keep is not None:
            key[~keep] = np.int64(n) << self.shift
            ticks[~keep] = 0
        key |= ticks
        return key


def _time_keys(
    codes: np.ndarray, ns: np.ndarray, keep: np.ndarray | None, n: int
) -> tuple[np.ndarray, _TimeKeys]:
    """One packed (customer, time) key per item, in item order.

    Times are counted from the first kept one in the coarsest unit (a day ... a
    microsecond, a nanosecond) that divides every offset. When that leaves too few
    bits for the codes, instants are numbered instead: by their run in a
    time-ordered log, otherwise by their rank among the distinct instants.
    """
    if keep is None:
        low, high = int(ns.min()), int(ns.max())
    else:
        low = int(np.min(ns, where=keep, initial=np.iinfo(np.int64).max))
        high = int(np.max(ns, where=keep, initial=np.iinfo(np.int64).min))
    unit = next(
        (u for u in (_NS_PER_DAY, _NS_PER_HOUR, 60 * 10**9, 10**9, 10**6, 10**3)
         if _divides(u, ns, keep, low)),
        1,
    )  # fmt: skip
    code_bits = max(int(n).bit_length(), 1)
    key = np.empty(len(ns), dtype=np.int64)
    tick_bits = ((high - low) // unit).bit_length()
    if code_bits + tick_bits <= 62:
        packing = _TimeKeys(shift=tick_bits, low=low, unit=unit)
        for start, stop in _spans(len(ns)):
            mine = None if keep is None else keep[start:stop]
            key[start:stop] = packing.keys(codes[start:stop], ns[start:stop], mine, n)
        return key, packing
    if bool(np.all(ns[1:] >= ns[:-1])):  # in time order: number the runs of instants
        change = np.empty(len(ns), dtype=bool)
        change[0] = True
        np.not_equal(ns[1:], ns[:-1], out=change[1:])
        instants = ns[change]
        np.cumsum(change, out=key)
        key -= 1
        del change
    else:  # out of order and too fine for the codes: rank the distinct instants
        instants, rank = np.unique(ns, return_inverse=True)
        key[:] = rank.reshape(-1)
        del rank
    packing = _TimeKeys(shift=max(len(instants) - 1, 0).bit_length(), instants=instants)
    for start, stop in _spans(len(ns)):
        high_bits = codes[start:stop].astype(np.int64) << packing.shift
        if keep is not None:
            mine = ~keep[start:stop]
            high_bits[mine] = np.int64(n) << packing.shift
            key[start:stop][mine] = 0
        key[start:stop] |= high_bits
    return key, packing


def _divides(unit: int, ns: np.ndarray, keep: np.ndarray | None, low: int) -> bool:
    """Whether ``unit`` divides every kept offset ``ns - low`` (a short probe first)."""
    for start, stop in [(0, min(len(ns), 1024)), *_spans(len(ns))]:
        rest = np.remainder(ns[start:stop] - low, unit)
        if keep is not None:
            rest = rest[keep[start:stop]]
        if rest.any():
            return False
    return True


def _customer_runs(key: np.ndarray, shift: int, end: int) -> list[tuple[int, int]]:
    """Chunks of about ``_CHUNK`` sorted keys that start and end at a customer's edge."""
    probes = np.arange(_CHUNK, end, _CHUNK)
    cuts = np.searchsorted(key[:end], ((key[probes] >> shift) + 1) << shift)
    bounds = np.unique(np.r_[0, cuts, end])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _gap_statistics(
    key: np.ndarray, packing: _TimeKeys, n: int, merge: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Purchases, first purchase time and gap CV per customer, from the sorted keys.

    With ``merge``, equal keys (one customer at one instant) are one purchase; the
    keys that repeat are returned too (sorted). Chunks of customers are whole, so
    each customer's gaps are added one after another, in time order.
    """
    shift = packing.shift
    end = int(np.searchsorted(key, np.int64(n) << shift))  # items not kept sort last
    count = np.zeros(n, dtype=np.int64)
    first_ns = np.zeros(n, dtype=np.int64)
    gap_cv = np.full(n, np.nan)
    repeated = []
    for start, stop in _customer_runs(key, shift, end):  # chunks of whole customers
        keys = key[start:stop]
        if merge:
            new = np.ones(len(keys), dtype=bool)
            np.not_equal(keys[1:], keys[:-1], out=new[1:])
            if not new.all():
                repeated.append(np.unique(keys[1:][~new[1:]]))
                keys = keys[new]
        code = keys >> shift
        times = packing.ns(keys & ((np.int64(1) << shift) - 1))
        low = int(code[0])
        local = code - low
        m = int(local[-1]) + 1
        count[low : low + m] = np.bincount(local, minlength=m)
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(code[1:], code[:-1], out=first[1:])
        first_ns[code[first]] = times[first]
        same = ~first[1:]
        gap_code = local[1:][same]
        gaps = np.diff(times)[same] / _NS_PER_DAY
        n_gaps = np.bincount(gap_code, minlength=m).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_gap = np.bincount(gap_code, weights=gaps, minlength=m) / n_gaps
            squares = np.bincount(gap_code, weights=(gaps - mean_gap[gap_code]) ** 2, minlength=m)
            cv = np.sqrt(squares / (n_gaps - 1)) / mean_gap
        gap_cv[low : low + m] = np.where((n_gaps >= 2) & (mean_gap > 0), cv, np.nan)
    found = np.concatenate(repeated) if repeated else np.zeros(0, dtype=np.int64)
    return count, first_ns, gap_cv, found


def _merge_repeats(
    packing: _TimeKeys,
    codes: np.ndarray,
    ns: np.ndarray,
    keep: np.ndarray | None,
    n: int,
    repeated: np.ndarray,
    amounts: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of one customer at one instant become one purchase: its first row.

    Only rows whose (customer, instant) key is in ``repeated`` are looked at. Returns
    the rows kept, and the rows whose amount is now their purchase's (added up in row
    order), with that amount.
    """
    n_items = len(codes)
    # Only the rows of customers with a repeated key can repeat one: found by code.
    repeating = np.zeros(n + 1, dtype=bool)
    repeating[repeated >> packing.shift] = True
    rows, keys = [], []
    for start, stop in _spans(n_items):
        mine = np.flatnonzero(repeating[codes[start:stop]])
        if keep is not None:
            mine = mine[keep[start:stop][mine]]
        row_keys = packing.keys(codes[start:stop][mine], ns[start:stop][mine], None, n)
        where = np.searchsorted(repeated, row_keys)
        np.minimum(where, len(repeated) - 1, out=where)
        hit = repeated[where] == row_keys
        rows.append(mine[hit] + start)
        keys.append(row_keys[hit])
    candidates, candidate_keys = np.concatenate(rows), np.concatenate(keys)
    purchase, _ = pd.factorize(candidate_keys)  # numbered by first row
    later = pd.Series(purchase).duplicated().to_numpy()
    kept = np.ones(n_items, dtype=bool) if keep is None else keep.copy()
    kept[candidates[later]] = False
    firsts = candidates[~later]
    if amounts is None:
        return kept, firsts, np.zeros(len(firsts))
    totals = np.bincount(purchase, weights=amounts[candidates])
    return kept, firsts, totals[purchase[~later]]


def _anniversary_distance(day: np.ndarray, month: np.ndarray, mday: np.ndarray) -> np.ndarray:
    """Days from each purchase day to the nearest anniversary of (``month``, ``mday``).

    The anniversary is the same month and day in the purchase's year, the one before
    or the one after (29 February falls on 28 February in other years).
    """
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
        purchase. A missing order id is an error, as in ``rfm_table``.
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
    _check_tz(tz)
    frame, customers, as_of_ns = log.frame, log.customers, _to_ns(log.as_of)
    ns = log.ns  # a view of the column for naive nanoseconds
    wall, per_hour = _local_wall(log.times, ns, frame, tz=tz, tz_col=tz_col)
    slots, slot_hours = _hour_slots(wall, per_hour)
    del wall
    amounts = (
        check_numeric(frame[amount_col], column=amount_col) if amount_col is not None else None
    )
    birth_month = birth_day = None
    if birthday_col is not None:
        raw = frame[birthday_col]
        known_rows = raw.notna().to_numpy()
        birthday = to_datetime(raw[known_rows], column=birthday_col)
        birth_month = np.zeros(len(frame), dtype=np.int8)  # 0: no known date
        birth_day = np.zeros(len(frame), dtype=np.int8)
        birth_month[known_rows] = birthday.dt.month.to_numpy()
        birth_day[known_rows] = birthday.dt.day.to_numpy()

    # --- purchases: one per (customer, order) or (customer, instant) ------------------
    bought = amounts >= 0 if amounts is not None else None
    n_bought = len(frame) if bought is None else int(np.count_nonzero(bought))
    warn_excluded(
        len(frame) - n_bought,
        f"rows have a negative amount in column {amount_col!r} (returns) and were excluded: "
        f"they do not say when a customer buys",
    )
    if n_bought == 0:
        raise DataValidationError(
            f"no row has an amount >= 0 in column {amount_col!r}; there is no purchase to time"
        )
    keep = bought if n_bought < len(frame) else None
    # Items: the rows (without order_col: rows of one customer at one instant are
    # merged after the sort below) or, with order_col, one item per order.
    item_rows: np.ndarray | None = None
    item_codes: np.ndarray | None = None
    if order_col is not None:
        rows = np.flatnonzero(keep) if keep is not None else np.arange(len(frame))
        second = frame[order_col].to_numpy()[rows]
        n_missing = int(pd.isna(second).sum())
        if n_missing:  # factorize would code them -1: merged into a neighbour's order
            raise DataValidationError(
                f"column {order_col!r} has {n_missing} missing order ids; fill them or "
                f"pass order_col=None to count purchases by timestamp"
            )
        second_codes, second_uniques = pd.factorize(second)
        width = np.int64(max(len(second_uniques), 1))
        purchase, keys = pd.factorize(log.codes_at(rows) * width + second_codes)
        n_p = len(keys)
        item_codes = keys // width
        order_ns = np.full(n_p, np.iinfo(np.int64).max)
        np.minimum.at(order_ns, purchase, ns[rows])
        first_row = np.full(n_p, len(rows))
        np.minimum.at(first_row, purchase, np.arange(len(rows)))
        item_rows = rows[first_row]
        ns, slots = order_ns, slots[item_rows]
        if amounts is not None:
            amounts = np.bincount(purchase, weights=amounts[rows], minlength=n_p)
        keep = None
        del rows, second, second_codes, purchase, keys, first_row

    # Customers with purchases, recoded densely (int32) in the sorted order of the log's
    # codes, chunk by chunk from the log's coder (no full-length int64 codes).
    if item_codes is not None:
        present = np.bincount(item_codes, minlength=len(customers)) > 0
    elif keep is not None:
        present = np.bincount(log.codes_at(keep), minlength=len(customers)) > 0
    else:
        present = np.ones(len(customers), dtype=bool)
    n = int(np.count_nonzero(present))
    warn_excluded(
        len(customers) - n,
        "customers have only returns (negative amounts) in the window and were left out",
    )
    recode = (np.cumsum(present) - 1).astype(np.int32)
    if n < len(customers):
        customers = customers[present]
    if item_codes is not None:
        codes = recode[item_codes]
    else:
        codes = np.empty(len(frame), dtype=np.int32)
        for start, stop in _spans(len(frame)):
            codes[start:stop] = recode[log.codes_at(np.arange(start, stop))]
    del log, item_codes, recode  # the log's coder holds a row-length array

    # --- purchase times: one sort of packed (customer, time) keys -----------------------
    key, packing = _time_keys(codes, ns, keep, n)
    key.sort()
    count, first_ns, gap_cv, repeats = _gap_statistics(key, packing, n, merge=order_col is None)
    del key
    override_rows = override_amounts = np.zeros(0)
    if len(repeats):
        keep, override_rows, override_amounts = _merge_repeats(
            packing, codes, ns, keep, n, repeats, amounts
        )

    # --- the calendar of every local hour, once ----------------------------------------
    used = np.zeros(len(slot_hours), dtype=bool)
    for start, stop in _spans(len(slots)):
        hours_seen = slots[start:stop]
        used[hours_seen if keep is None else hours_seen[keep[start:stop]]] = True
    used_hours = slot_hours[used]
    years = np.unique(
        np.floor_divide(used_hours, 24)
        .astype("datetime64[D]")
        .astype("datetime64[Y]")
        .astype(np.int64)
        + 1970
    )
    windows, builtin = _calendar_windows(calendar, years, code)
    if not builtin:
        for name, starts, ends in windows:  # a loop over a handful of occasions
            _warn_uncovered(name, starts, ends, years)
    table = _slot_table(
        slot_hours,
        southern=code in _SOUTHERN,
        months=months,
        band_starts=band_starts,
        weekend=weekend,
        windows=windows,
    )
    share_names = [f"share_{s}" for s in SEASONS]
    share_names += [f"share_{m}" for m in _MONTHS] if months else []
    share_names += [f"share_{_slug(b)}" for b in band_names]
    share_names += ["share_weekend", "share_occasion"]
    share_names += [occasion_column(name) for name, _, _ in windows]
    share_names += ["share_personal"] if birth_month is not None else []
    repeated_names = sorted({c for c in share_names if share_names.count(c) > 1})
    if repeated_names:
        raise ValueError(
            f"the occasions and hour bands give the same column names {repeated_names}; "
            f"rename the occasions of the calendar or the hour bands so that every column "
            f"is distinct"
        )

    # --- per-customer sums, one chunk of purchases after another -----------------------
    spent = amounts is not None
    float_names = ["spend"] if spent else []
    float_names += ["observed_days", "gap_cv", "seasonal_concentration", "peak_day_of_year"]
    float_names += share_names
    float_names += ["spend_" + c for c in share_names] if spent else []
    row = {name: i for i, name in enumerate(float_names)}
    sink = len(float_names)  # one more row: where purchases outside a group's columns go
    block = np.zeros((sink + 1, n))
    flat = block.reshape(-1)
    block[row["observed_days"]] = (as_of_ns - first_ns) / _NS_PER_DAY
    block[row["gap_cv"]] = gap_cv
    del first_ns, gap_cv
    n_shares = len(table.shares)
    bits = int(count.max()).bit_length()
    digits = _digit_tables(table.shares, bits)
    # Each table's packed counts wait in the row of its own first share column.
    packed = [block[row[share_names[int(columns[0])]]] for _, columns in digits]
    groups = [
        np.where(g >= 0, g + row[share_names[0]] + len(share_names), sink).astype(np.int64) * n
        for g in table.groups
    ]
    cos_sum, sin_sum = block[row["seasonal_concentration"]], block[row["peak_day_of_year"]]
    personal = np.zeros((4, n)) if birth_month is not None else None
    # Sums in purchase order: np.add.at chunk by chunk, or (numpy < 1.25, where it is
    # slow) np.bincount over one chunk of the whole log: the same floats either way.
    chunk = None if _engagement._FAST_AT else len(codes)
    for start, stop in _spans(len(codes), chunk):
        c = codes[start:stop].astype(np.intp)
        slot = slots[start:stop]
        amount = amounts[start:stop] if amounts is not None else None
        lo, hi = np.searchsorted(override_rows, [start, stop])
        if amount is not None and hi > lo:
            amount = amount.copy()
            amount[override_rows[lo:hi].astype(np.int64) - start] = override_amounts[lo:hi]
        mine: np.ndarray | None = None
        if personal is not None:  # the rows whose personal date each purchase reads
            mine = np.arange(start, stop) if item_rows is None else item_rows[start:stop]
        if keep is not None:
            kept = keep[start:stop]
            c, slot = c[kept], slot[kept]
            amount = amount[kept] if amount is not None else None
            mine = mine[kept] if mine is not None else None
        for (weights, _), total in zip(digits, packed, strict=True):
            _add_at(total, c, weights[slot])
        _add_at(cos_sum, c, table.cos[slot])
        _add_at(sin_sum, c, table.sin[slot])
        if amount is not None:
            _add_at(block[row["spend"]], c, amount)
            for group in groups:  # the seasons, the hour bands, ...: a few groups
                _add_at(flat, group[slot] + c, amount)
        if personal is not None:
            assert birth_month is not None and birth_day is not None and mine is not None
            known = birth_month[mine] > 0
            near = np.zeros(len(c), dtype=bool)
            near[known] = (
                _anniversary_distance(
                    table.day[slot[known]],
                    birth_month[mine[known]].astype(np.int64),
                    birth_day[mine[known]].astype(np.int64),
                )
                <= personal_window_days
            )
            _add_at(personal[0], c, near)
            _add_at(personal[1], c, known)
            if amount is not None:
                _add_at(personal[2], c, near * amount)
                _add_at(personal[3], c, known * amount)

    del codes, slots, keep, amounts, ns, override_rows, override_amounts
    total = count.astype(np.float64)
    mask = (np.int64(1) << bits) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        for (_, columns), sums in zip(digits, packed, strict=True):
            whole = sums.astype(np.int64)
            for j, column in enumerate(columns.tolist()):
                block[row[share_names[column]]] = ((whole >> (bits * j)) & mask) / total
        if personal is not None:
            block[row["share_personal"]] = personal[0] / personal[1]
        if spent:
            spend = block[row["spend"]]
            for name in share_names[:n_shares]:
                np.divide(block[row["spend_" + name]], spend, out=block[row["spend_" + name]])
            if personal is not None:
                block[row["spend_share_personal"]] = personal[2] / personal[3]
    cos, sin = cos_sum / total, sin_sum / total
    del personal
    peak = np.mod(np.arctan2(sin, cos), 2 * np.pi) * 365.0 / (2 * np.pi) + 0.5
    block[row["seasonal_concentration"]] = np.minimum(np.hypot(cos, sin), 1.0)
    block[row["peak_day_of_year"]] = peak
    peak_month = (np.datetime64("2001-01-01") + np.floor(peak - 1).astype("timedelta64[D]")).astype(
        "datetime64[M]"
    ).astype(np.int64) % 12
    peak_season = ((peak_month + 1) % 12) // 3
    if code in _SOUTHERN:
        peak_season = (peak_season + 2) % 4

    # The float columns are one block, shared (not copied) by the frame.
    out: pd.DataFrame = pd.DataFrame(
        block[:sink].T, index=customers, columns=float_names, copy=False
    )
    out.insert(0, "n_purchases", count)
    seasons = pd.Categorical.from_codes(peak_season, dtype=pd.CategoricalDtype(list(SEASONS)))
    out.insert(
        float_names.index("peak_day_of_year") + 2,
        "peak_season",
        pd.Series(seasons, index=customers),
    )
    return out


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
