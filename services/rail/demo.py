"""Demo railway for `flask demo seed` (tenant `rail`): a slice of the Bangladesh network, intercity
trains with their usual numbers and names, 8–14 coaches each, trips for the next 30 days.
Idempotent: what exists is left alone. Times are approximate timetable times."""
from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from models import db
from models.rail import LayoutTemplate, Station, Train, Trip
from services.audit import Actor
from services.rail import layouts, network, trips

ACTOR = Actor.system("flask demo seed")

STATIONS = [  # code, English, Bangla, city, latitude, longitude
    ("DHK", "Dhaka", "ঢাকা (কমলাপুর)", "Dhaka", "23.732400", "90.425900"),
    ("DAP", "Biman Bandar", "বিমানবন্দর", "Dhaka", "23.851300", "90.407900"),
    ("TGI", "Tongi", "টঙ্গী", "Gazipur", "23.896600", "90.405800"),
    ("JDP", "Joydebpur", "জয়দেবপুর", "Gazipur", "23.999600", "90.420400"),
    ("TGL", "Tangail", "টাঙ্গাইল", "Tangail", "24.251300", "89.916700"),
    ("BHB", "Bhairab Bazar", "ভৈরব বাজার", "Kishoreganj", "24.052400", "90.976400"),
    ("BBR", "Brahmanbaria", "ব্রাহ্মণবাড়িয়া", "Brahmanbaria", "23.960800", "91.111500"),
    ("AKH", "Akhaura", "আখাউড়া", "Brahmanbaria", "23.866700", "91.207500"),
    ("CML", "Cumilla", "কুমিল্লা", "Cumilla", "23.460700", "91.180900"),
    ("LKM", "Laksam", "লাকসাম", "Cumilla", "23.241000", "91.123000"),
    ("FNI", "Feni", "ফেনী", "Feni", "23.015900", "91.397600"),
    ("CTG", "Chattogram", "চট্টগ্রাম", "Chattogram", "22.334900", "91.830500"),
    ("SML", "Srimangal", "শ্রীমঙ্গল", "Moulvibazar", "24.306500", "91.729600"),
    ("KLA", "Kulaura", "কুলাউড়া", "Moulvibazar", "24.516100", "92.035300"),
    ("SYL", "Sylhet", "সিলেট", "Sylhet", "24.888000", "91.868000"),
    ("ISD", "Ishwardi", "ঈশ্বরদী", "Pabna", "24.129000", "89.066000"),
    ("RJS", "Rajshahi", "রাজশাহী", "Rajshahi", "24.374500", "88.604200"),
    ("JSR", "Jashore", "যশোর", "Jashore", "23.170000", "89.210000"),
    ("KLN", "Khulna", "খুলনা", "Khulna", "22.820000", "89.550000"),
]

# distances from Dhaka (km) on each line, used for both directions
KM = {"DHK": 0, "DAP": 16, "TGI": 22, "JDP": 32, "TGL": 98, "BHB": 80, "BBR": 117, "AKH": 132, "CML": 190,
      "LKM": 219, "FNI": 255, "CTG": 321, "SML": 227, "KLA": 270, "SYL": 319, "ISD": 230, "RJS": 343,
      "JSR": 340, "KLN": 400}

DAY = ["S_CHAIR"] * 5 + ["SNIGDHA"] * 2 + ["AC_S", "F_SEAT", "SHOVAN"]  # 10 coaches
LONG_DAY = ["S_CHAIR"] * 6 + ["SNIGDHA"] * 2 + ["AC_S"] * 2 + ["F_SEAT", "SHOVAN"]  # 12
NIGHT = ["S_CHAIR"] * 5 + ["SNIGDHA", "AC_S", "AC_B", "F_BERTH"]  # 9
SHORT = ["S_CHAIR"] * 5 + ["SNIGDHA", "AC_S", "SHOVAN"]  # 8
NIGHT_LONG = ["S_CHAIR"] * 7 + ["SNIGDHA"] * 2 + ["AC_S", "AC_B", "AC_B", "F_BERTH", "F_SEAT"]  # 14

# number, name, run days (mode, days), coaches, stops: (code, arrive, depart, day offset)
TRAINS = [
    ("701", "Subarna Express", ("off_days", [0]), DAY,
     [("DHK", None, "16:30", 0), ("DAP", "16:53", "16:56", 0), ("CTG", "21:40", None, 0)]),
    ("702", "Subarna Express", ("off_days", [0]), DAY,
     [("CTG", None, "07:00", 0), ("DAP", "11:42", "11:45", 0), ("DHK", "12:10", None, 0)]),
    ("704", "Mahanagar Provati", ("daily", []), LONG_DAY,
     [("DHK", None, "07:45", 0), ("DAP", "08:08", "08:11", 0), ("BHB", "09:40", "09:43", 0),
      ("BBR", "10:15", "10:18", 0), ("AKH", "10:40", "10:43", 0), ("CML", "11:35", "11:38", 0),
      ("FNI", "12:35", "12:38", 0), ("CTG", "14:05", None, 0)]),
    ("703", "Mahanagar Godhuli", ("daily", []), LONG_DAY,
     [("CTG", None, "15:00", 0), ("FNI", "16:20", "16:23", 0), ("CML", "17:20", "17:23", 0),
      ("AKH", "18:20", "18:23", 0), ("BBR", "18:42", "18:45", 0), ("BHB", "19:20", "19:23", 0),
      ("DAP", "20:50", "20:53", 0), ("DHK", "21:20", None, 0)]),
    ("788", "Sonar Bangla Express", ("off_days", [1]), DAY,
     [("DHK", None, "17:00", 0), ("DAP", "17:23", "17:26", 0), ("CTG", "22:10", None, 0)]),
    ("787", "Sonar Bangla Express", ("off_days", [1]), DAY,
     [("CTG", None, "07:00", 0), ("DAP", "11:45", "11:48", 0), ("DHK", "12:15", None, 0)]),
    ("709", "Parabat Express", ("off_days", [1]), DAY,
     [("DHK", None, "06:20", 0), ("DAP", "06:43", "06:46", 0), ("TGI", "06:55", "06:57", 0),
      ("BHB", "08:20", "08:23", 0), ("BBR", "08:55", "08:58", 0), ("AKH", "09:20", "09:23", 0),
      ("SML", "11:15", "11:18", 0), ("KLA", "11:58", "12:01", 0), ("SYL", "13:00", None, 0)]),
    ("710", "Parabat Express", ("off_days", [1]), DAY,
     [("SYL", None, "15:45", 0), ("KLA", "16:45", "16:48", 0), ("SML", "17:30", "17:33", 0),
      ("AKH", "19:25", "19:28", 0), ("BBR", "19:50", "19:53", 0), ("BHB", "20:25", "20:28", 0),
      ("DAP", "22:10", "22:13", 0), ("DHK", "22:40", None, 0)]),
    ("717", "Jayantika Express", ("daily", []), SHORT,
     [("DHK", None, "11:15", 0), ("DAP", "11:38", "11:41", 0), ("BHB", "13:10", "13:13", 0),
      ("AKH", "14:10", "14:13", 0), ("SML", "16:20", "16:23", 0), ("SYL", "18:30", None, 0)]),
    ("718", "Jayantika Express", ("daily", []), SHORT,
     [("SYL", None, "08:30", 0), ("SML", "10:30", "10:33", 0), ("AKH", "12:40", "12:43", 0),
      ("BHB", "13:45", "13:48", 0), ("DAP", "15:15", "15:18", 0), ("DHK", "15:45", None, 0)]),
    ("753", "Silk City Express", ("off_days", [6]), LONG_DAY,
     [("DHK", None, "14:45", 0), ("DAP", "15:08", "15:11", 0), ("JDP", "15:30", "15:33", 0),
      ("TGL", "16:45", "16:48", 0), ("RJS", "21:05", None, 0)]),
    ("754", "Silk City Express", ("off_days", [6]), LONG_DAY,
     [("RJS", None, "07:40", 0), ("TGL", "11:20", "11:23", 0), ("JDP", "12:40", "12:43", 0),
      ("DAP", "13:05", "13:08", 0), ("DHK", "13:40", None, 0)]),
    ("763", "Chitra Express", ("off_days", [0]), NIGHT_LONG,
     [("DHK", None, "19:00", 0), ("DAP", "19:23", "19:26", 0), ("JDP", "19:45", "19:48", 0),
      ("TGL", "21:00", "21:03", 0), ("ISD", "23:45", "23:55", 0), ("JSR", "04:10", "04:13", 1),
      ("KLN", "05:30", None, 1)]),
    ("764", "Chitra Express", ("off_days", [0]), NIGHT_LONG,
     [("KLN", None, "08:30", 0), ("JSR", "09:45", "09:48", 0), ("ISD", "12:10", "12:20", 0),
      ("TGL", "15:05", "15:08", 0), ("JDP", "16:20", "16:23", 0), ("DAP", "16:45", "16:48", 0),
      ("DHK", "19:00", None, 0)]),
    ("725", "Sundarban Express", ("off_days", [1]), NIGHT,
     [("KLN", None, "22:15", 0), ("JSR", "23:30", "23:33", 0), ("ISD", "01:55", "02:05", 1),
      ("TGL", "04:50", "04:53", 1), ("DAP", "06:35", "06:38", 1), ("DHK", "07:10", None, 1)]),
    ("726", "Sundarban Express", ("off_days", [2]), NIGHT,
     [("DHK", None, "08:15", 0), ("DAP", "08:38", "08:41", 0), ("TGL", "10:20", "10:23", 0),
      ("ISD", "13:10", "13:20", 0), ("JSR", "15:50", "15:53", 0), ("KLN", "17:20", None, 0)]),
    ("769", "Dhumketu Express", ("off_days", [5]), SHORT,
     [("DHK", None, "06:00", 0), ("DAP", "06:23", "06:26", 0), ("ISD", "10:20", "10:25", 0),
      ("RJS", "11:40", None, 0)]),
    ("770", "Dhumketu Express", ("off_days", [5]), NIGHT,
     [("RJS", None, "23:20", 0), ("ISD", "00:40", "00:45", 1), ("DAP", "04:25", "04:28", 1),
      ("DHK", "04:55", None, 1)]),
]

LAYOUT_FOR = {"AC_B": "Berth 2+2, 9 rows", "F_BERTH": "Berth 2+2, 9 rows", "SNIGDHA": "Chair 2+2, 15 rows",
              "AC_S": "Chair 2+2, 15 rows", "F_SEAT": "Chair 2+2, 15 rows", "S_CHAIR": "Chair 2+3, 14 rows",
              "SHOVAN": "Chair 2+3, 14 rows"}


def _t(text):
    return None if text is None else time.fromisoformat(text)


def _km(origin: str, code: str) -> int:
    return abs(KM[code] - KM[origin])


def seed_demo_railway() -> str | None:
    made = []
    existing = set(db.session.scalars(sa.select(Station.code)))
    for code, en, bn, city, lat, lon in STATIONS:
        if code not in existing:
            network.save_station({"code": code, "name_en": en, "name_bn": bn, "city": city, "latitude": lat,
                                  "longitude": lon}, actor=ACTOR)
            made.append(code)
    stations = {s.code: s.id for s in network.list_stations()}
    classes = {c.code: c.id for c in layouts.list_classes()}
    layout_ids = {lay.name: lay.id for lay in db.session.scalars(sa.select(LayoutTemplate))}
    trains_made = 0
    numbers = set(db.session.scalars(sa.select(Train.number)))
    for number, name, (mode, days), coaches, stops in TRAINS:
        if number in numbers:
            continue
        train = network.save_train({"number": number, "name": name, "train_type": "intercity", "mode": mode,
                                    "days": days}, actor=ACTOR)
        origin = stops[0][0]
        for code, arrive, depart, offset in stops:
            network.add_stop(train.id, {"station_id": stations[code], "arrival_time": _t(arrive),
                                        "departure_time": _t(depart), "day_offset": offset,
                                        "distance_km": _km(origin, code)}, actor=ACTOR)
        for klass in coaches:
            layouts.add_coach(train.id, coach_class_id=classes[klass], layout_id=layout_ids[LAYOUT_FOR[klass]],
                              code=None, actor=ACTOR)
        trains_made += 1
    result = []
    if made:
        result.append(f"{len(made)} stations")
    if trains_made:
        result.append(f"{trains_made} trains")
    # Trips for the next 30 days, generated only when some are missing (a later day adds new dates).
    today = trips.local_today()
    last = today + timedelta(days=29)
    train_ids = list(db.session.scalars(sa.select(Train.id).where(Train.number.in_([t[0] for t in TRAINS]))))
    expected = sum(len(trips.service_dates(t.run_days, today, last))
                   for t in db.session.scalars(sa.select(Train).where(Train.id.in_(train_ids))))
    have = db.session.scalar(sa.select(sa.func.count(Trip.id)).where(Trip.train_id.in_(train_ids),
                                                                    Trip.service_date.between(today, last)))
    if have < expected:
        run = trips.start_generation(train_ids, today, last, actor=ACTOR)
        result.append(f"{run.created} trips")
    return ("railway: " + ", ".join(result)) if result else None
