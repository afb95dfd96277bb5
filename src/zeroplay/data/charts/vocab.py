"""Built-in vocabularies for random charts: topics (titles, axis labels, category and series
names, value ranges) and a palette of named colours."""

from __future__ import annotations

from dataclasses import dataclass

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
YEARS = tuple(str(year) for year in range(2010, 2025))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CITIES = ("Oslo", "Lima", "Cairo", "Tokyo", "Paris", "Denver", "Perth", "Seoul", "Quito", "Accra")
REGIONS = ("North", "South", "East", "West", "Central")


@dataclass(frozen=True)
class Topic:
    """What a chart is about. `ordered` categories (months, years) are used as a contiguous
    run and are the only ones drawn as lines; `parts` categories split a whole and are the only
    ones drawn as pies. Scatter charts use `x_range` for their x values."""

    title: str
    x_label: str
    y_label: str
    categories: tuple[str, ...]
    series: tuple[str, ...]
    value_range: tuple[float, float]
    decimals: int = 0
    ordered: bool = False
    parts: bool = False
    x_range: tuple[float, float] | None = None


CATEGORY_TOPICS: tuple[Topic, ...] = (
    Topic("Monthly rainfall", "Month", "Rainfall (mm)", MONTHS, CITIES, (10, 220), 0, True),
    Topic("Average temperature", "Month", "Temperature (°C)", MONTHS, CITIES, (2, 35), 1, True),
    Topic(
        "Quarterly revenue",
        "Quarter",
        "Revenue ($M)",
        ("Q1", "Q2", "Q3", "Q4"),
        REGIONS,
        (5, 90),
        1,
        True,
    ),
    Topic("Annual visitors", "Year", "Visitors (thousands)", YEARS, CITIES, (20, 400), 0, True),
    Topic(
        "Fruit sales",
        "Fruit",
        "Units sold",
        ("Apples", "Pears", "Plums", "Grapes", "Mangoes", "Kiwis", "Lemons", "Cherries", "Figs"),
        ("Store A", "Store B", "Store C", "Store D"),
        (30, 600),
        parts=True,
    ),
    Topic(
        "Energy mix",
        "Source",
        "Output (TWh)",
        ("Solar", "Wind", "Hydro", "Nuclear", "Gas", "Coal", "Biomass"),
        ("2019", "2020", "2021", "2022", "2023"),
        (5, 150),
        parts=True,
    ),
    Topic(
        "Survey results",
        "Answer",
        "Respondents",
        ("Agree", "Neutral", "Disagree", "Unsure", "Strongly agree", "Strongly disagree"),
        ("Group 1", "Group 2", "Group 3"),
        (10, 300),
        parts=True,
    ),
    Topic(
        "Daily steps",
        "Day",
        "Steps (thousands)",
        WEEKDAYS,
        ("Ana", "Ben", "Caro", "Dev"),
        (2, 18),
        1,
        True,
    ),
    Topic(
        "Website traffic by channel",
        "Channel",
        "Sessions (thousands)",
        ("Search", "Email", "Social", "Direct", "Referral", "Ads"),
        ("Desktop", "Mobile", "Tablet"),
        (4, 120),
        parts=True,
    ),
    Topic(
        "Book loans by genre",
        "Genre",
        "Loans",
        ("Fiction", "History", "Science", "Poetry", "Travel", "Comics", "Cooking"),
        ("Library 1", "Library 2", "Library 3"),
        (15, 250),
        parts=True,
    ),
    Topic(
        "Exam scores by subject",
        "Subject",
        "Average score",
        ("Math", "Physics", "Biology", "History", "Art", "Music", "French"),
        ("Class A", "Class B", "Class C"),
        (40, 98),
    ),
    Topic(
        "Population by region",
        "Region",
        "Population (millions)",
        REGIONS,
        ("1990", "2000", "2010", "2020"),
        (1, 60),
        1,
        parts=True,
    ),
)

SCATTER_TOPICS: tuple[Topic, ...] = (
    Topic(
        "Height and weight",
        "Height (cm)",
        "Weight (kg)",
        (),
        ("Men", "Women", "Teens"),
        (40, 110),
        1,
        x_range=(150, 200),
    ),
    Topic(
        "Study time and exam score",
        "Study hours",
        "Score",
        (),
        ("Class A", "Class B", "Class C"),
        (30, 100),
        0,
        x_range=(0, 20),
    ),
    Topic(
        "Temperature and ice cream sales",
        "Temperature (°C)",
        "Sales",
        (),
        ("Shop 1", "Shop 2", "Shop 3"),
        (20, 400),
        0,
        x_range=(10, 35),
    ),
    Topic(
        "Engine size and fuel use",
        "Engine size (L)",
        "Fuel use (L/100 km)",
        (),
        ("Petrol", "Diesel", "Hybrid"),
        (3, 15),
        1,
        x_range=(1, 5),
    ),
    Topic(
        "Age and reaction time",
        "Age (years)",
        "Reaction time (ms)",
        (),
        ("Trial 1", "Trial 2", "Trial 3"),
        (180, 450),
        0,
        x_range=(18, 80),
    ),
)

# Matplotlib's tab10 colours, named so that questions can refer to them.
PALETTE: dict[str, str] = {
    "blue": "#1f77b4",
    "orange": "#ff7f0e",
    "green": "#2ca02c",
    "red": "#d62728",
    "purple": "#9467bd",
    "brown": "#8c564b",
    "pink": "#e377c2",
    "gray": "#7f7f7f",
    "olive": "#bcbd22",
    "cyan": "#17becf",
}
