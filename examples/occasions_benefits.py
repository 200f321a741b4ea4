"""Occasion (timing) and benefit segments: simulated data with the truth, then Online Retail.

Simulated: ``datasets.make_occasion_transactions`` (purchases timed by a known occasion
segment) through ``occasion_table`` and ``OccasionSegmenter``; ``datasets.make_benefit_survey``
(importance ratings with a known sought benefit) through ``BenefitSegmenter``. Both are
compared with the truth.

Online Retail (a UK gift-ware wholesaler, December 2010 to December 2011; not shipped with
the package): pass the path of ``online_retail.csv.gz`` to time its invoices and segment its
customers, and to derive a simple product category from the item descriptions, an
*illustration* (keyword rules, first match wins), for ``category_table`` and the benefit
segmenter.

Run with ``python examples/occasions_benefits.py [path/to/online_retail.csv.gz]``; add
``--figures`` to write the figures used in the docs (``docs/img/occasion_*.png`` and
``docs/img/benefit_*.png``; the Online Retail figures need the path).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import behaviorseg as bs
from behaviorseg.exceptions import RowsExcludedWarning

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"

#: Keyword rules for a product category from Online Retail's descriptions (upper case),
#: first match wins; an illustration, not a product taxonomy.
CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("christmas", ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "NOEL")),
    ("bags", ("BAG", "CHARLOTTE", "SHOPPER")),
    ("candles & lights", ("CANDLE", "T-LIGHT", "TEA LIGHT", "LANTERN", "LIGHTS", "NIGHT LIGHT")),
    ("kitchen & dining", ("MUG", "CAKE", "TEA", "BAKING", "LUNCH", "JAR", "BOWL", "PLATE",
                          "CUP", "SPOON", "TIN", "JUG", "NAPKIN", "KITCHEN", "BOTTLE")),
    ("party & wrapping", ("CARD", "WRAP", "RIBBON", "PARTY", "BUNTING", "BALLOON", "PAPER",
                          "STICKER", "ENVELOPE")),
    ("toys & kids", ("TOY", "DOLL", "SPACEBOY", "CHILDREN", "KIDS", "GAME", "SKIPPING",
                     "PLAYHOUSE", "TEDDY", "CIRCUS", "DOLLY")),
    ("home decor", ("FRAME", "SIGN", "CLOCK", "CUSHION", "DOORMAT", "MIRROR", "HEART",
                    "HANGING", "DECORATION", "WALL", "VINTAGE", "ORNAMENT", "DRAWER")),
    ("garden", ("GARDEN", "PLANT", "BIRD", "FLOWER", "WATERING")),
)  # fmt: skip


def simulated_occasions(figures: bool) -> None:
    """Occasion segments on the simulated log, against the truth."""
    tx, truth = bs.datasets.make_occasion_transactions(3000, random_state=0)
    table = bs.occasion_table(tx, as_of="2024-12-31 23:59:59")
    seg = bs.OccasionSegmenter().fit(table)
    found = pd.Series(seg.predict(table), index=table.index, name="found")
    true = truth["segment"].astype(str).reindex(table.index)
    print(f"Simulated occasion log: {len(tx):,} purchases, {len(table):,} customers")
    print(f"Agreement with the simulated truth: {(found == true).mean():.1%}")
    per = (found == true).groupby(true).mean().sort_values()
    print("Lowest agreement per true segment:")
    print(per.head(3).round(3).to_string(), "\n")
    if figures:
        import matplotlib.pyplot as plt

        counts = pd.crosstab(
            pd.Categorical(true, categories=seg.segments_),
            pd.Categorical(found, categories=seg.segments_),
            dropna=False,
        )
        fig, ax = plt.subplots(figsize=(7.5, 6.0))
        shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
        ax.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(seg.segments_)), seg.segments_, rotation=60, ha="right")
        ax.set_yticks(range(len(seg.segments_)), seg.segments_)
        ax.set_xlabel("found by OccasionSegmenter")
        ax.set_ylabel("simulated truth")
        ax.set_title("Occasion segments: share of each true segment found as …")
        _save(fig, "occasion_truth.png")


def simulated_benefits(figures: bool) -> None:
    """Benefit segments on the simulated survey, against the truth."""
    ratings, truth = bs.datasets.make_benefit_survey(3000, random_state=0)
    seg = bs.BenefitSegmenter().set_output(transform="pandas").fit(ratings)
    found = pd.Series(seg.predict(ratings), index=ratings.index)
    true = truth["segment"].astype(str)
    print(f"Simulated survey: agreement with the sought benefit {(found == true).mean():.1%}")
    scores = seg.transform(ratings)
    profile = scores.filter(like="_score").groupby(found).mean().reindex(seg.segments_)
    print("Mean standardised score per segment:")
    print(profile.round(2).to_string(), "\n")
    if figures:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.0))
        image = ax.imshow(profile.to_numpy(), cmap="RdBu_r", vmin=-2, vmax=2)
        ax.set_xticks(range(profile.shape[1]), [c[:-6] for c in profile.columns])
        ax.set_yticks(range(len(profile)), profile.index)
        fig.colorbar(image, ax=ax, label="within-respondent score")
        ax.set_title("Benefit segments: mean standardised importance")
        _save(fig, "benefit_profiles.png")


def read_online_retail(path: Path) -> pd.DataFrame:
    """Invoice lines with a customer, a positive quantity and price, and an amount."""
    lines = pd.read_csv(
        path, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"]
    )
    keep = (
        lines["CustomerID"].notna()
        & ~lines["InvoiceNo"].str.startswith("C")
        & (lines["Quantity"] > 0)
        & (lines["UnitPrice"] > 0)
    )
    lines = lines.loc[keep].copy()
    lines["amount"] = lines["Quantity"] * lines["UnitPrice"]
    lines["CustomerID"] = lines["CustomerID"].astype(np.int64)
    return lines


def product_category(descriptions: pd.Series) -> pd.Series:
    """The first keyword rule of CATEGORY_RULES that matches, else "other"."""
    text = descriptions.fillna("").str.upper()
    category = pd.Series("other", index=descriptions.index, dtype=object)
    matched = pd.Series(False, index=descriptions.index)
    for name, words in CATEGORY_RULES:  # a loop over eight categories
        hit = text.str.contains("|".join(words), regex=True) & ~matched
        category = category.mask(hit, name)
        matched |= hit
    return category


def online_retail(path: Path, figures: bool) -> None:
    """Timing and category segments of the Online Retail customers."""
    lines = read_online_retail(path)
    table = bs.occasion_table(
        lines,
        customer_col="CustomerID",
        time_col="InvoiceDate",
        amount_col="amount",
        order_col="InvoiceNo",
        country="GB",
    )
    invoices = lines.drop_duplicates("InvoiceNo")
    print(
        f"Online Retail: {len(lines):,} lines, {len(invoices):,} invoices, {len(table):,} customers"
    )
    month = lines["InvoiceDate"].dt.to_period("M")
    is_xmas = product_category(lines["Description"]) == "christmas"
    by_month = pd.DataFrame(
        {
            "spend": lines.groupby(month)["amount"].sum() / 1000,
            "christmas_items": lines[is_xmas].groupby(month[is_xmas])["amount"].sum()
            / lines.groupby(month)["amount"].sum(),
        }
    )
    print("Spend per month (thousand GBP) and the share of Christmas items:")
    print(by_month.round(3).to_string(), "\n")
    days = table["observed_days"] >= 300
    print(
        f"Customers observed at least 300 days: {int(days.sum()):,}; their mean shares (purchases):"
    )
    columns = ["share_winter", "share_spring", "share_summer", "share_autumn", "share_christmas",
               "share_occasion", "share_weekend", "share_evening"]  # fmt: skip
    print(table.loc[days, columns].mean().round(3).to_string())
    print("Peak season of those customers (circular mean day of the year):")
    print(table.loc[days, "peak_season"].value_counts().to_string(), "\n")
    seg = bs.OccasionSegmenter().fit(table)
    found = pd.Series(seg.predict(table), index=table.index)
    print("OccasionSegmenter with its defaults:")
    print(found.value_counts().reindex(seg.segments_).dropna().astype(int).to_string(), "\n")

    lines["category"] = product_category(lines["Description"])
    categories = bs.category_table(
        lines, category_col="category", customer_col="CustomerID", amount_col="amount"
    )
    print("Share of all spend per derived category:")
    print(
        (lines.groupby("category")["amount"].sum() / lines["amount"].sum())
        .sort_values(ascending=False)
        .round(3)
        .to_string()
    )
    named = tuple(name for name, _ in CATEGORY_RULES)
    interest = bs.BenefitSegmenter(benefits=named, prefix="share_").fit(categories)
    segment = pd.Series(interest.predict(categories), index=categories.index)
    print("\nProduct-interest segments (BenefitSegmenter on the category shares):")
    print(segment.value_counts().reindex(interest.segments_).astype(int).to_string())
    print(f"Median categories per customer: {categories['n_categories'].median():.0f}")
    xmas = categories["share_christmas"]
    print(
        f"Customers with a quarter or more of their spend on Christmas items: "
        f"{(xmas >= 0.25).mean():.1%}\n"
    )
    if figures:
        import matplotlib.pyplot as plt

        fig, ax1 = plt.subplots(figsize=(7.0, 3.8))
        labels = [str(p) for p in by_month.index]
        ax1.bar(labels, by_month["spend"], color="#4c72b0")
        ax1.set_ylabel("spend (thousand GBP)")
        ax1.tick_params(axis="x", rotation=60)
        ax2 = ax1.twinx()
        ax2.plot(labels, by_month["christmas_items"], color="#c44e52", marker="o")
        ax2.set_ylabel("share of Christmas items", color="#c44e52")
        ax2.set_ylim(0, None)
        ax1.set_title("Online Retail: spend per month and the Christmas items in it")
        _save(fig, "occasion_retail_months.png")

        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        counts = segment.value_counts().reindex(interest.segments_)
        ax.barh(counts.index, counts.to_numpy(), color="#55a868")
        ax.invert_yaxis()
        ax.set_xlabel("customers")
        ax.set_title("Online Retail: product-interest segments (derived categories)")
        _save(fig, "benefit_retail_interests.png")


def _save(fig: object, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(IMG / name, dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    print(f"wrote {IMG / name}")


def main(path: Path | None = None, figures: bool = False) -> None:
    if figures:
        import matplotlib

        matplotlib.use("Agg")
    simulated_occasions(figures)
    simulated_benefits(figures)
    if path is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RowsExcludedWarning)
            online_retail(path, figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, help="online_retail.csv.gz (optional)")
    parser.add_argument("--figures", action="store_true", help="write the docs figures")
    arguments = parser.parse_args()
    main(arguments.path, arguments.figures)
