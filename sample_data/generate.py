"""Regenerate the synthetic sample data in sample_data/ (seeded: same bytes every run).

    python sample_data/generate.py [OUTPUT_DIR]

Writes:
  survey_qualtrics.csv  Qualtrics-shaped NPS/CSAT/CES export: UTF-8 BOM, three header rows (field IDs,
                        question text, ImportId JSON), blanks, free-text comments with commas, quotes,
                        newlines and Turkish/Hebrew/Portuguese text, customer key in ExternalReference;
                        the reason (Q4) mentions delivery, support, price, billing, quality and ease of
                        use in English, Turkish and Hebrew, as the answer's attitude makes likely, and
                        Q5_1..Q5_3 rate speed of delivery, value for money and ease of use (1-5).
  customers.csv         CRM customers: id, company, region, plan, signup and churn dates, MRR.
  transactions.csv      invoices per customer and month (refunds negative).
  contracts.csv         contracts signed (value per contract).
  tickets.csv           Zendesk-shaped support tickets with first reply time in minutes.

The story is plausible on purpose: each customer has a latent attitude; detractors' churn hazard is about
twice promoters' (each customer's own hazard varies around that, lognormally), they open more tickets and
wait longer for replies. The CX programme starts on 2025-01-01: from then on a quarter of the detractors
become passives and a sixth of the passives promoters (their answers and their hazard follow), so the
measured mix shifts between the baseline (2024) and current (2025) windows.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20261122
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
REGION_WEIGHTS = [0.4, 0.3, 0.2, 0.1]
PLANS = ["Basic", "Pro", "Enterprise"]
PLAN_WEIGHTS = [0.5, 0.35, 0.15]
MRR = {"Basic": (49, 99), "Pro": (199, 499), "Enterprise": (1500, 5000)}
MONTHLY_CHURN = {"detractor": 0.024, "passive": 0.016, "promoter": 0.012}
PROGRAMME_START = date(2025, 1, 1)
IMPROVE = {"detractor": ("passive", 0.25), "passive": ("promoter", 1 / 6)}
ATTITUDE_WEIGHTS = {"detractor": 0.22, "passive": 0.33, "promoter": 0.45}
NPS_SCORES = {
    "detractor": ([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 3, 4, 6, 8, 10, 3]),
    "passive": ([6, 7, 8, 9], [2, 9, 9, 2]),
    "promoter": ([8, 9, 10], [2, 8, 10]),
}
CSAT_BY = {"detractor": [20, 30, 25, 15, 10], "passive": [5, 10, 30, 40, 15], "promoter": [1, 3, 10, 40, 46]}
CES_BY = {
    "detractor": [12, 18, 20, 18, 15, 10, 7],
    "passive": [3, 7, 12, 20, 28, 20, 10],
    "promoter": [1, 2, 5, 10, 22, 30, 30],
}
FIRST = ["Ana", "João", "Ayşe", "Mehmet", "Noa", "Yael", "Liam", "Emma", "Wei", "Priya", "Lucas", "Sofia"]
LAST = ["Silva", "Yılmaz", "Şahin", "Cohen", "Levi", "Smith", "García", "Chen", "Patel", "Müller"]
COMPANIES = [
    "Acme Corp",
    "Globex, Inc.",
    "Işık Lojistik A.Ş.",
    "Ação Digital Ltda",
    'חברת אור בע"מ',
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent Foods",
    "Öztürk Tekstil",
    "Ünal Yazılım",
]
COMMENTS = {
    "detractor": [
        "Support took days to answer, and the fix didn't work.",
        'The "new" billing page is confusing; I was charged twice.',
        "Çok yavaş destek, hâlâ cevap bekliyorum.",
        "התמיכה איטית מאוד",
        "Atendimento demorado,\nprecisei ligar três vezes.",
        '=HYPERLINK("http://example.invalid","click") looks like a formula, shouldn\'t run',
    ],
    "passive": [
        "Fine overall. Reports could be faster.",
        "Good product, but pricing is high for small teams",
        "İyi ama daha iyi olabilir.",
        "Bom produto; poderia ter mais integrações.",
        "",
    ],
    "promoter": [
        "Great support team, always helpful!",
        "Love it.\nThe new dashboard saves me hours every week.",
        "Harika bir ürün, teşekkürler!",
        "מוצר מצוין, ממליץ בחום",
        "Excelente, recomendo a todos.",
        "",
    ],
}

# Open-ended reasons (Q4) by theme and language: (complaints, praise). A detractor's comment is mostly
# complaints (delivery and support most of all), a promoter's mostly praise; the language follows the
# answer's UserLanguage. Drawn from their own seeded generator, so the other columns stay as they were.
THEME_PHRASES = {
    "delivery": {
        "EN": (
            ["the delivery was late again", "shipping took two weeks", "my order arrived damaged"],
            ["fast delivery", "shipping was quick"],
        ),
        "TR": (
            ["kargo çok geç geldi", "teslimat iki hafta sürdü", "kargonun takibi yok"],
            ["kargo hızlı geldi", "teslimat çok hızlı"],
        ),
        "HE": (["המשלוח הגיע באיחור", "והמשלוח לקח שבועיים"], ["משלוח מהיר"]),
    },
    "support": {
        "EN": (
            ["support took days to answer", "the support agent was rude"],
            ["great support team, always helpful", "support solved it in minutes"],
        ),
        "TR": (
            ["destek çok yavaş, hâlâ cevap bekliyorum", "müşteri hizmetleri ilgisiz"],
            ["DESTEK ekibi harika", "müşteri hizmetleri çok ilgili"],
        ),
        "HE": (["התמיכה איטית מאוד", "שירות הלקוחות לא ענה"], ["שירות לקוחות מעולה"]),
    },
    "price": {
        "EN": (["pricing is too high for small teams", "too expensive for what it does"], ["fair price"]),
        "TR": (["fiyatlar çok pahalı", "fiyat yüksek"], ["fiyatı uygun"]),
        "HE": (["המחיר יקר מדי"], ["מחיר הוגן"]),
    },
    "billing": {
        "EN": (["I was charged twice on my invoice", "the billing page is confusing"], []),
        "TR": (["faturada iki kez ücret alındı", "İADE hâlâ yapılmadı"], []),
        "HE": (["חויבתי פעמיים בחשבונית"], []),
    },
    "quality": {
        "EN": (
            ["the product keeps crashing", "quality got worse"],
            ["love the product quality", "rock solid product"],
        ),
        "TR": (["ürün sürekli bozuluyor"], ["Harika bir ürün, teşekkürler", "ürün kalitesi çok iyi"]),
        "HE": (["המוצר מתקלקל כל הזמן"], ["מוצר מצוין, ממליץ בחום"]),
    },
    "ease": {
        "EN": (
            ["the app is hard to use", "too complicated to set up"],
            ["easy to use", "the new dashboard saves me hours"],
        ),
        "TR": (["uygulama kullanımı zor"], ["kullanımı çok kolay"]),
        "HE": (["האפליקציה מסובכת"], ["קל מאוד לשימוש"]),
    },
}
# how often each attitude complains about (or praises) each theme
THEME_WEIGHTS = {
    "detractor": {"delivery": 5, "support": 4, "price": 2, "billing": 2, "quality": 2, "ease": 1},
    "passive": {"delivery": 1, "support": 1, "price": 3, "billing": 1, "quality": 1, "ease": 2},
    "promoter": {"delivery": 1, "support": 3, "price": 1, "billing": 0, "quality": 4, "ease": 3},
}
PRAISE_SHARE = {"detractor": 0.05, "passive": 0.4, "promoter": 0.9}
ATTRIBUTES = ["Speed of delivery", "Value for money", "Ease of use"]
# mean rating (1-5) of each attribute by attitude: delivery moves the score most, ease least
ATTRIBUTE_MEANS = {
    "detractor": [2.0, 2.6, 3.4],
    "passive": [3.3, 3.2, 3.8],
    "promoter": [4.4, 3.6, 4.1],
}


def make_comment(crng: random.Random, attitude: str, lang: str, fallback: str) -> str:
    """A reason in the answer's language built from 1-2 theme phrases; Portuguese and German answers
    keep the original free-text comments; some answers are blank, a few emoji only."""
    roll = crng.random()
    if roll < 0.12:
        return ""
    if roll < 0.14:
        return crng.choice(["👍", "😡😡", "🙂", "   "])
    code = {"EN": "EN", "TR": "TR", "HE": "HE"}.get(lang)
    if code is None:
        return fallback
    themes = list(THEME_WEIGHTS[attitude])
    weights = list(THEME_WEIGHTS[attitude].values())
    parts = []
    for _ in range(1 + (crng.random() < 0.3)):
        theme = crng.choices(themes, weights)[0]
        neg, pos = THEME_PHRASES[theme][code]
        praise = crng.random() < PRAISE_SHARE[attitude] and pos
        pool = pos if praise else (neg or pos)
        phrase = crng.choice(pool)
        if phrase not in parts:
            parts.append(phrase)
    sep = {"EN": ", and ", "TR": ", ayrıca ", "HE": " וגם "}[code]
    text = sep.join(parts)
    return text[0].upper() + text[1:] if code != "HE" else text


def make_ratings(crng: random.Random, attitude: str) -> list[str]:
    out = []
    for mean in ATTRIBUTE_MEANS[attitude]:
        if crng.random() < 0.05:
            out.append("")
            continue
        value = round(crng.gauss(mean, 0.9))
        out.append(str(min(5, max(1, value))))
    return out


DATA_START = date(2022, 1, 1)
DATA_END = date(2025, 12, 31)
SURVEY_START = date(2024, 1, 1)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


def make_customers(rng: random.Random, n: int = 1500) -> list[dict[str, object]]:
    customers = []
    span = (date(2025, 10, 31) - DATA_START).days
    for i in range(n):
        attitude = rng.choices(list(ATTITUDE_WEIGHTS), list(ATTITUDE_WEIGHTS.values()))[0]
        later = attitude
        if attitude in IMPROVE and rng.random() < IMPROVE[attitude][1]:
            later = IMPROVE[attitude][0]
        plan = rng.choices(PLANS, PLAN_WEIGHTS)[0]
        signup = DATA_START + timedelta(days=rng.randrange(span))
        frailty = rng.lognormvariate(0.0, 0.3)  # this customer's own hazard around its group's
        churn: date | None = None
        month = 1
        while True:
            d = _add_months(signup, month)
            if d > DATA_END:
                break
            now = later if d >= PROGRAMME_START else attitude
            if rng.random() < MONTHLY_CHURN[now] * frailty * (0.8 if plan == "Enterprise" else 1.0):
                churn = d - timedelta(days=rng.randrange(0, 20))
                break
            month += 1
        lo, hi = MRR[plan]
        customers.append(
            {
                "id": f"C-{10001 + i}",
                "company": f"{rng.choice(COMPANIES)} #{i + 1}",
                "region": rng.choices(REGIONS, REGION_WEIGHTS)[0],
                "plan": plan,
                "signup": signup,
                "churn": churn,
                "mrr": round(rng.uniform(lo, hi), 2),
                "attitude": attitude,
                "later": later,
            }
        )
    return customers


def _active(c: dict[str, object], d: date) -> bool:
    signup, churn = c["signup"], c["churn"]
    assert isinstance(signup, date)
    return signup <= d and (churn is None or (isinstance(churn, date) and d < churn))


def write_survey(rng: random.Random, customers: list[dict[str, object]], path: Path, n: int = 3200) -> None:
    header = [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
        "Q1",
        "Q1_NPS_GROUP",
        "Q2",
        "Q3",
        "Q4",
        "Region",
        "Plan",
        "Q5_1",
        "Q5_2",
        "Q5_3",
    ]
    questions = [
        "Start Date",
        "End Date",
        "Response Type",
        "IP Address",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "Recorded Date",
        "Response ID",
        "Recipient Last Name",
        "Recipient First Name",
        "Recipient Email",
        "External Data Reference",
        "Location Latitude",
        "Location Longitude",
        "Distribution Channel",
        "User Language",
        "How likely are you to recommend us to a friend or colleague?",
        "How likely are you to recommend us to a friend or colleague? - Group",
        "Overall, how satisfied are you with our service?",
        "The company made it easy for me to handle my issue.",
        "What is the main reason for your score?",
        "Region",
        "Plan",
        *[f"How would you rate us on each of the following? - {a}" for a in ATTRIBUTES],
    ]
    import_ids = [
        "startDate",
        "endDate",
        "status",
        "ipAddress",
        "progress",
        "duration",
        "finished",
        "recordedDate",
        "_recordId",
        "recipientLastName",
        "recipientFirstName",
        "recipientEmail",
        "externalDataReference",
        "locationLatitude",
        "locationLongitude",
        "distributionChannel",
        "userLanguage",
        "QID1",
        "QID1_NPS_GROUP",
        "QID2",
        "QID3",
        "QID4_TEXT",
        "Region",
        "Plan",
        "QID5_1",
        "QID5_2",
        "QID5_3",
    ]
    rows = []
    crng = random.Random(SEED + 4)  # comments and ratings: their own stream
    days = (DATA_END - SURVEY_START).days + 1
    while len(rows) < n:
        d = SURVEY_START + timedelta(days=rng.randrange(days))
        c = rng.choice(customers)
        if not _active(c, d):
            continue
        attitude = str(c["later"] if d >= PROGRAMME_START else c["attitude"])
        values, weights = NPS_SCORES[attitude]
        score = rng.choices(values, weights)[0]
        group = "Detractor" if score <= 6 else "Passive" if score <= 8 else "Promoter"
        start = datetime(d.year, d.month, d.day, rng.randrange(7, 22), rng.randrange(60), rng.randrange(60))
        duration = rng.randrange(25, 600)
        end = start + timedelta(seconds=duration)
        blank_nps = rng.random() < 0.04
        csat = "" if rng.random() < 0.08 else str(rng.choices(range(1, 6), CSAT_BY[attitude])[0])
        ces = "" if rng.random() < 0.15 else str(rng.choices(range(1, 8), CES_BY[attitude])[0])
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lang = {"EMEA": rng.choice(["EN", "TR", "HE", "DE"]), "LATAM": "PT-BR"}.get(str(c["region"]), "EN")
        rows.append(
            [
                start.strftime("%Y-%m-%d %H:%M:%S"),
                end.strftime("%Y-%m-%d %H:%M:%S"),
                "0",
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                "100",
                str(duration),
                "1",
                end.strftime("%Y-%m-%d %H:%M:%S"),
                f"R_{rng.getrandbits(60):015x}",
                last,
                first,
                f"{first.lower()}.{last.lower()}@example.com",
                "" if rng.random() < 0.04 else str(c["id"]),  # anonymous answers have no key
                f"{rng.uniform(-40, 60):.4f}",
                f"{rng.uniform(-120, 140):.4f}",
                rng.choice(["email", "anonymous"]),
                lang,
                "" if blank_nps else str(score),
                "" if blank_nps else group,
                csat,
                ces,
                make_comment(crng, attitude, lang, rng.choice(COMMENTS[attitude])),
                str(c["region"]),
                str(c["plan"]),
                *make_ratings(crng, attitude),
            ]
        )
    rows.sort(key=lambda r: r[7])
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerow(questions)
        w.writerow([json.dumps({"ImportId": i}, separators=(",", ":")) for i in import_ids])
        w.writerows(rows)


def write_crm(rng: random.Random, customers: list[dict[str, object]], folder: Path) -> None:
    with (folder / "customers.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Customer ID", "Company", "Region", "Plan", "Signup Date", "Churn Date", "MRR"])
        for c in customers:
            churn = c["churn"]
            w.writerow(
                [c["id"], c["company"], c["region"], c["plan"], c["signup"], churn or "", f"{c['mrr']:.2f}"]
            )
    with (folder / "transactions.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Invoice ID", "Customer ID", "Invoice Date", "Amount", "Currency"])
        k = 0
        for c in customers:
            signup = c["signup"]
            assert isinstance(signup, date)
            month = 0
            while True:
                d = _add_months(signup, month)
                if d > DATA_END or not _active(c, d):
                    break
                k += 1
                amount = float(c["mrr"]) * rng.uniform(0.95, 1.15)  # type: ignore[arg-type]
                w.writerow([f"INV-{k:06d}", c["id"], d, f"{amount:.2f}", "USD"])
                if rng.random() < 0.01:
                    k += 1
                    w.writerow([f"INV-{k:06d}", c["id"], d + timedelta(days=3), f"{-amount / 2:.2f}", "USD"])
                month += 1
    with (folder / "contracts.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Contract ID", "Customer ID", "Signed Date", "Value"])
        for i, c in enumerate(customers):
            w.writerow([f"K-{i + 1:05d}", c["id"], c["signup"], f"{float(c['mrr']) * 12:.2f}"])  # type: ignore[arg-type]
    with (folder / "tickets.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            [
                "Id",
                "Requester id",
                "Status",
                "Priority",
                "Created at",
                "First reply time in minutes",
                "Satisfaction Score",
            ]
        )
        k = 0
        rate = {"detractor": 0.35, "passive": 0.18, "promoter": 0.10}
        for c in customers:
            signup = c["signup"]
            assert isinstance(signup, date)
            d = signup
            while d <= DATA_END and _active(c, d):
                mood = str(c["later"] if d >= PROGRAMME_START else c["attitude"])
                if rng.random() < rate[mood]:
                    k += 1
                    created = datetime(d.year, d.month, d.day, rng.randrange(24), rng.randrange(60))
                    wait = rng.expovariate(1 / (240 if mood == "detractor" else 90))
                    w.writerow(
                        [
                            k + 4000,
                            c["id"],
                            rng.choice(["solved", "closed", "open"]),
                            rng.choice(["low", "normal", "high", "urgent"]),
                            created.strftime("%Y-%m-%d %H:%M"),
                            int(wait) + 1,
                            rng.choice(["Good", "Bad", "Offered", "Not Offered"]),
                        ]
                    )
                d = _add_months(d, 1)


def main(folder: str = "sample_data") -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    customers = make_customers(rng)
    write_survey(rng, customers, out / "survey_qualtrics.csv")
    write_crm(rng, customers, out)


if __name__ == "__main__":
    main(*sys.argv[1:2])
