"""Every Eid first day 2015–2025 as actually observed in each supported country.

The dates are written out literally. Where the `holidays` package (0.109) has a confirmed
table the date comes from it; otherwise from the country's ``[observed]`` table in
``config/countries/*.toml``, which cites the announcement per year (and marks those we are
unsure of); a year without a verified announcement is None and is predicted, not observed.
The comment on each country says which.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import occasions
from app.domain.model import DateSource

TODAY = date(2026, 11, 23)
FIRST_HIJRI_YEAR = 1436  # Eid al-Fitr 1436 = July 2015; 1446 = March 2025

OBSERVED = {
    # UAE: holidays 0.109 (confirmed 2017-2026); 2015-2016 and the 2018 Adha correction from WAM/Cabinet announcements (see ae.toml).
    ('AE', 'eid_al_fitr'): [
        date(2015, 7, 17),  # config/countries/ae.toml [observed]
        date(2016, 7, 6),  # config/countries/ae.toml [observed]
        date(2017, 6, 25),  # holidays 0.109 observed table
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('AE', 'eid_al_adha'): [
        date(2015, 9, 24),  # config/countries/ae.toml [observed]
        date(2016, 9, 12),  # config/countries/ae.toml [observed]
        date(2017, 9, 1),  # holidays 0.109 observed table
        date(2018, 8, 21),  # config/countries/ae.toml [observed]
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Bahrain: holidays 0.109 (confirmed 2019-); of 2015-2018 only the 2016 Fitr is verified (bh.toml), the rest unobserved.
    ('BH', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (bh.toml)
        date(2016, 7, 6),  # config/countries/bh.toml [observed]
        None,  # 1438: not verified, no observation (bh.toml)
        None,  # 1439: not verified, no observation (bh.toml)
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('BH', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (bh.toml)
        None,  # 1437: not verified, no observation (bh.toml)
        None,  # 1438: not verified, no observation (bh.toml)
        None,  # 1439: not verified, no observation (bh.toml)
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Algeria: no table in holidays; verified months only (dz.toml: 1443, 1445 Adha, 1446 Fitr a day after Saudi Arabia).
    ('DZ', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (dz.toml)
        None,  # 1437: not verified, no observation (dz.toml)
        None,  # 1438: not verified, no observation (dz.toml)
        None,  # 1439: not verified, no observation (dz.toml)
        None,  # 1440: not verified, no observation (dz.toml)
        None,  # 1441: not verified, no observation (dz.toml)
        None,  # 1442: not verified, no observation (dz.toml)
        date(2022, 5, 2),  # config/countries/dz.toml [observed]
        None,  # 1444: not verified, no observation (dz.toml)
        None,  # 1445: not verified, no observation (dz.toml)
        date(2025, 3, 31),  # config/countries/dz.toml [observed]
    ],
    ('DZ', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (dz.toml)
        None,  # 1437: not verified, no observation (dz.toml)
        None,  # 1438: not verified, no observation (dz.toml)
        None,  # 1439: not verified, no observation (dz.toml)
        None,  # 1440: not verified, no observation (dz.toml)
        None,  # 1441: not verified, no observation (dz.toml)
        None,  # 1442: not verified, no observation (dz.toml)
        date(2022, 7, 9),  # config/countries/dz.toml [observed]
        None,  # 1444: not verified, no observation (dz.toml)
        date(2024, 6, 16),  # config/countries/dz.toml [observed]
        None,  # 1446: not verified, no observation (dz.toml)
    ],
    # Egypt: holidays 0.109 (2020-); 2019 Fitr a day after Saudi Arabia and 2022 from Dar al-Ifta (eg.toml); 2015-2018 unobserved.
    ('EG', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (eg.toml)
        None,  # 1437: not verified, no observation (eg.toml)
        None,  # 1438: not verified, no observation (eg.toml)
        None,  # 1439: not verified, no observation (eg.toml)
        date(2019, 6, 5),  # config/countries/eg.toml [observed]
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # config/countries/eg.toml [observed]
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('EG', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (eg.toml)
        None,  # 1437: not verified, no observation (eg.toml)
        None,  # 1438: not verified, no observation (eg.toml)
        None,  # 1439: not verified, no observation (eg.toml)
        None,  # 1440: not verified, no observation (eg.toml)
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # config/countries/eg.toml [observed]
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Indonesia: holidays 0.109 observed table (sidang isbat).
    ('ID', 'eid_al_fitr'): [
        date(2015, 7, 17),  # holidays 0.109 observed table
        date(2016, 7, 6),  # holidays 0.109 observed table
        date(2017, 6, 25),  # holidays 0.109 observed table
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 5),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 22),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 31),  # holidays 0.109 observed table
    ],
    ('ID', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 12),  # holidays 0.109 observed table
        date(2017, 9, 1),  # holidays 0.109 observed table
        date(2018, 8, 22),  # holidays 0.109 observed table
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 10),  # holidays 0.109 observed table
        date(2023, 6, 29),  # holidays 0.109 observed table
        date(2024, 6, 17),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Iraq: holidays 0.109 observed table (2013-2025), the Sunni Endowment's days; 2015-2017 Fitr and 2016-2019 Adha corrected (iq.toml).
    ('IQ', 'eid_al_fitr'): [
        date(2015, 7, 17),  # config/countries/iq.toml [observed]
        date(2016, 7, 6),  # config/countries/iq.toml [observed]
        date(2017, 6, 25),  # config/countries/iq.toml [observed]
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 31),  # holidays 0.109 observed table
    ],
    ('IQ', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 12),  # config/countries/iq.toml [observed]
        date(2017, 9, 1),  # config/countries/iq.toml [observed]
        date(2018, 8, 21),  # config/countries/iq.toml [observed]
        date(2019, 8, 11),  # config/countries/iq.toml [observed]
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Jordan: no table in holidays; verified Iftaa announcements only (jo.toml): 2019 and 2025 Fitr a day after Saudi Arabia.
    ('JO', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (jo.toml)
        date(2016, 7, 6),  # config/countries/jo.toml [observed]
        None,  # 1438: not verified, no observation (jo.toml)
        date(2018, 6, 15),  # config/countries/jo.toml [observed]
        date(2019, 6, 5),  # config/countries/jo.toml [observed]
        date(2020, 5, 24),  # config/countries/jo.toml [observed]
        None,  # 1442: not verified, no observation (jo.toml)
        None,  # 1443: not verified, no observation (jo.toml)
        date(2023, 4, 21),  # config/countries/jo.toml [observed]
        date(2024, 4, 10),  # config/countries/jo.toml [observed]
        date(2025, 3, 31),  # config/countries/jo.toml [observed]
    ],
    ('JO', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (jo.toml)
        None,  # 1437: not verified, no observation (jo.toml)
        None,  # 1438: not verified, no observation (jo.toml)
        None,  # 1439: not verified, no observation (jo.toml)
        None,  # 1440: not verified, no observation (jo.toml)
        None,  # 1441: not verified, no observation (jo.toml)
        None,  # 1442: not verified, no observation (jo.toml)
        date(2022, 7, 9),  # config/countries/jo.toml [observed]
        None,  # 1444: not verified, no observation (jo.toml)
        date(2024, 6, 16),  # config/countries/jo.toml [observed]
        None,  # 1446: not verified, no observation (jo.toml)
    ],
    # Kuwait: no table in holidays; verified announcements only (kw.toml).
    ('KW', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (kw.toml)
        date(2016, 7, 6),  # config/countries/kw.toml [observed]
        None,  # 1438: not verified, no observation (kw.toml)
        None,  # 1439: not verified, no observation (kw.toml)
        date(2019, 6, 4),  # config/countries/kw.toml [observed]
        date(2020, 5, 24),  # config/countries/kw.toml [observed]
        None,  # 1442: not verified, no observation (kw.toml)
        date(2022, 5, 2),  # config/countries/kw.toml [observed]
        date(2023, 4, 21),  # config/countries/kw.toml [observed]
        date(2024, 4, 10),  # config/countries/kw.toml [observed]
        date(2025, 3, 30),  # config/countries/kw.toml [observed]
    ],
    ('KW', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (kw.toml)
        None,  # 1437: not verified, no observation (kw.toml)
        None,  # 1438: not verified, no observation (kw.toml)
        None,  # 1439: not verified, no observation (kw.toml)
        None,  # 1440: not verified, no observation (kw.toml)
        None,  # 1441: not verified, no observation (kw.toml)
        None,  # 1442: not verified, no observation (kw.toml)
        date(2022, 7, 9),  # config/countries/kw.toml [observed]
        None,  # 1444: not verified, no observation (kw.toml)
        None,  # 1445: not verified, no observation (kw.toml)
        None,  # 1446: not verified, no observation (kw.toml)
    ],
    # Lebanon: holidays 0.109 observed table (1978-2025), Dar al-Fatwa's 2014, 2016 and 2017 Fitr and 2014, 2017 and 2019 Adha corrected (lb.toml).
    ('LB', 'eid_al_fitr'): [
        date(2015, 7, 17),  # holidays 0.109 observed table
        date(2016, 7, 6),  # config/countries/lb.toml [observed]
        date(2017, 6, 25),  # config/countries/lb.toml [observed]
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('LB', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 13),  # holidays 0.109 observed table
        date(2017, 9, 1),  # config/countries/lb.toml [observed]
        date(2018, 8, 22),  # holidays 0.109 observed table
        date(2019, 8, 11),  # config/countries/lb.toml [observed]
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Libya: holidays 0.109 observed table (2012-2025), Dar al-Ifta's (Tripoli) 2015, 2017 and 2023 Fitr corrected (ly.toml).
    ('LY', 'eid_al_fitr'): [
        date(2015, 7, 17),  # config/countries/ly.toml [observed]
        date(2016, 7, 7),  # holidays 0.109 observed table
        date(2017, 6, 25),  # config/countries/ly.toml [observed]
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 22),  # config/countries/ly.toml [observed]
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 31),  # holidays 0.109 observed table
    ],
    ('LY', 'eid_al_adha'): [
        date(2015, 9, 23),  # holidays 0.109 observed table
        date(2016, 9, 11),  # holidays 0.109 observed table
        date(2017, 9, 1),  # holidays 0.109 observed table
        date(2018, 8, 22),  # holidays 0.109 observed table
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Morocco: no table in holidays 0.109; Ministry of Habous announcements via vacanza/holidays@d3dc700 (ma.toml), spot-checked against MAP.
    ('MA', 'eid_al_fitr'): [
        date(2015, 7, 18),  # config/countries/ma.toml [observed]
        date(2016, 7, 6),  # config/countries/ma.toml [observed]
        date(2017, 6, 26),  # config/countries/ma.toml [observed]
        date(2018, 6, 15),  # config/countries/ma.toml [observed]
        date(2019, 6, 5),  # config/countries/ma.toml [observed]
        date(2020, 5, 24),  # config/countries/ma.toml [observed]
        date(2021, 5, 13),  # config/countries/ma.toml [observed]
        date(2022, 5, 2),  # config/countries/ma.toml [observed]
        date(2023, 4, 22),  # config/countries/ma.toml [observed]
        date(2024, 4, 10),  # config/countries/ma.toml [observed]
        date(2025, 3, 31),  # config/countries/ma.toml [observed]
    ],
    ('MA', 'eid_al_adha'): [
        date(2015, 9, 24),  # config/countries/ma.toml [observed]
        date(2016, 9, 12),  # config/countries/ma.toml [observed]
        date(2017, 9, 1),  # config/countries/ma.toml [observed]
        date(2018, 8, 22),  # config/countries/ma.toml [observed]
        date(2019, 8, 12),  # config/countries/ma.toml [observed]
        date(2020, 7, 31),  # config/countries/ma.toml [observed]
        date(2021, 7, 21),  # config/countries/ma.toml [observed]
        date(2022, 7, 10),  # config/countries/ma.toml [observed]
        date(2023, 6, 29),  # config/countries/ma.toml [observed]
        date(2024, 6, 17),  # config/countries/ma.toml [observed]
        date(2025, 6, 7),  # config/countries/ma.toml [observed]
    ],
    # Malaysia: holidays 0.109 observed table.
    ('MY', 'eid_al_fitr'): [
        date(2015, 7, 17),  # holidays 0.109 observed table
        date(2016, 7, 6),  # holidays 0.109 observed table
        date(2017, 6, 25),  # holidays 0.109 observed table
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 5),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 22),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 31),  # holidays 0.109 observed table
    ],
    ('MY', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 12),  # holidays 0.109 observed table
        date(2017, 9, 1),  # holidays 0.109 observed table
        date(2018, 8, 22),  # holidays 0.109 observed table
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 10),  # holidays 0.109 observed table
        date(2023, 6, 29),  # holidays 0.109 observed table
        date(2024, 6, 17),  # holidays 0.109 observed table
        date(2025, 6, 7),  # holidays 0.109 observed table
    ],
    # Oman: holidays 0.109 (2019-); 2017 Fitr from the Oman Observer, 2019 Fitr and Adha corrected; other 2015-2018 days unobserved (om.toml).
    ('OM', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (om.toml)
        None,  # 1437: not verified, no observation (om.toml)
        date(2017, 6, 26),  # config/countries/om.toml [observed]
        None,  # 1439: not verified, no observation (om.toml)
        date(2019, 6, 5),  # config/countries/om.toml [observed]
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 22),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 31),  # holidays 0.109 observed table
    ],
    ('OM', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (om.toml)
        None,  # 1437: not verified, no observation (om.toml)
        None,  # 1438: not verified, no observation (om.toml)
        None,  # 1439: not verified, no observation (om.toml)
        date(2019, 8, 12),  # config/countries/om.toml [observed]
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 17),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Pakistan: holidays 0.109 observed table (Ruet-e-Hilal); 2015 Fitr corrected (pk.toml).
    ('PK', 'eid_al_fitr'): [
        date(2015, 7, 18),  # config/countries/pk.toml [observed]
        date(2016, 7, 6),  # holidays 0.109 observed table
        date(2017, 6, 26),  # holidays 0.109 observed table
        date(2018, 6, 16),  # holidays 0.109 observed table
        date(2019, 6, 5),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 3),  # holidays 0.109 observed table
        date(2023, 4, 22),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 31),  # holidays 0.109 observed table
    ],
    ('PK', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 12),  # holidays 0.109 observed table
        date(2017, 9, 2),  # holidays 0.109 observed table
        date(2018, 8, 22),  # holidays 0.109 observed table
        date(2019, 8, 12),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 21),  # holidays 0.109 observed table
        date(2022, 7, 10),  # holidays 0.109 observed table
        date(2023, 6, 29),  # holidays 0.109 observed table
        date(2024, 6, 17),  # holidays 0.109 observed table
        date(2025, 6, 7),  # holidays 0.109 observed table
    ],
    # Palestine: no Eid table in holidays; verified announcements only (ps.toml).
    ('PS', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (ps.toml)
        None,  # 1437: not verified, no observation (ps.toml)
        None,  # 1438: not verified, no observation (ps.toml)
        None,  # 1439: not verified, no observation (ps.toml)
        None,  # 1440: not verified, no observation (ps.toml)
        None,  # 1441: not verified, no observation (ps.toml)
        None,  # 1442: not verified, no observation (ps.toml)
        date(2022, 5, 2),  # config/countries/ps.toml [observed]
        date(2023, 4, 21),  # config/countries/ps.toml [observed]
        date(2024, 4, 10),  # config/countries/ps.toml [observed]
        date(2025, 3, 30),  # config/countries/ps.toml [observed]
    ],
    ('PS', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (ps.toml)
        None,  # 1437: not verified, no observation (ps.toml)
        None,  # 1438: not verified, no observation (ps.toml)
        None,  # 1439: not verified, no observation (ps.toml)
        None,  # 1440: not verified, no observation (ps.toml)
        None,  # 1441: not verified, no observation (ps.toml)
        None,  # 1442: not verified, no observation (ps.toml)
        date(2022, 7, 9),  # config/countries/ps.toml [observed]
        None,  # 1444: not verified, no observation (ps.toml)
        date(2024, 6, 16),  # config/countries/ps.toml [observed]
        None,  # 1446: not verified, no observation (ps.toml)
    ],
    # Qatar: holidays 0.109 (timeanddate-based); 2015-2018 Adha and 2015 Fitr corrected to the Saudi-court day (qa.toml).
    ('QA', 'eid_al_fitr'): [
        date(2015, 7, 17),  # config/countries/qa.toml [observed]
        date(2016, 7, 6),  # holidays 0.109 observed table
        date(2017, 6, 25),  # holidays 0.109 observed table
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('QA', 'eid_al_adha'): [
        date(2015, 9, 24),  # config/countries/qa.toml [observed]
        date(2016, 9, 12),  # config/countries/qa.toml [observed]
        date(2017, 9, 1),  # config/countries/qa.toml [observed]
        date(2018, 8, 21),  # config/countries/qa.toml [observed]
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Saudi Arabia: holidays 0.109 observed table (Supreme Court); 2015 Adha a day after Umm al-Qura; 2016 Adha corrected (sa.toml).
    ('SA', 'eid_al_fitr'): [
        date(2015, 7, 17),  # holidays 0.109 observed table
        date(2016, 7, 6),  # holidays 0.109 observed table
        date(2017, 6, 25),  # holidays 0.109 observed table
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('SA', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 12),  # config/countries/sa.toml [observed]
        date(2017, 9, 1),  # holidays 0.109 observed table
        date(2018, 8, 21),  # holidays 0.109 observed table
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Sudan: holidays 0.109 (2020-); verified announcements only before (sd.toml).
    ('SD', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (sd.toml)
        None,  # 1437: not verified, no observation (sd.toml)
        None,  # 1438: not verified, no observation (sd.toml)
        None,  # 1439: not verified, no observation (sd.toml)
        None,  # 1440: not verified, no observation (sd.toml)
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # config/countries/sd.toml [observed]
        date(2023, 4, 21),  # config/countries/sd.toml [observed]
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('SD', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (sd.toml)
        None,  # 1437: not verified, no observation (sd.toml)
        None,  # 1438: not verified, no observation (sd.toml)
        None,  # 1439: not verified, no observation (sd.toml)
        None,  # 1440: not verified, no observation (sd.toml)
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # config/countries/sd.toml [observed]
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Syria: not in holidays; verified announcements only (sy.toml): 2019 and 2025 Fitr a day after Saudi Arabia.
    ('SY', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (sy.toml)
        None,  # 1437: not verified, no observation (sy.toml)
        None,  # 1438: not verified, no observation (sy.toml)
        None,  # 1439: not verified, no observation (sy.toml)
        date(2019, 6, 5),  # config/countries/sy.toml [observed]
        date(2020, 5, 24),  # config/countries/sy.toml [observed]
        None,  # 1442: not verified, no observation (sy.toml)
        date(2022, 5, 2),  # config/countries/sy.toml [observed]
        date(2023, 4, 21),  # config/countries/sy.toml [observed]
        date(2024, 4, 10),  # config/countries/sy.toml [observed]
        date(2025, 3, 31),  # config/countries/sy.toml [observed]
    ],
    ('SY', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (sy.toml)
        None,  # 1437: not verified, no observation (sy.toml)
        None,  # 1438: not verified, no observation (sy.toml)
        None,  # 1439: not verified, no observation (sy.toml)
        None,  # 1440: not verified, no observation (sy.toml)
        None,  # 1441: not verified, no observation (sy.toml)
        None,  # 1442: not verified, no observation (sy.toml)
        date(2022, 7, 9),  # config/countries/sy.toml [observed]
        None,  # 1444: not verified, no observation (sy.toml)
        None,  # 1445: not verified, no observation (sy.toml)
        None,  # 1446: not verified, no observation (sy.toml)
    ],
    # Tunisia: no table in holidays; verified months only (tn.toml: 1443, 1445 Adha, 1446 Fitr a day after Saudi Arabia).
    ('TN', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (tn.toml)
        None,  # 1437: not verified, no observation (tn.toml)
        None,  # 1438: not verified, no observation (tn.toml)
        None,  # 1439: not verified, no observation (tn.toml)
        None,  # 1440: not verified, no observation (tn.toml)
        None,  # 1441: not verified, no observation (tn.toml)
        None,  # 1442: not verified, no observation (tn.toml)
        date(2022, 5, 2),  # config/countries/tn.toml [observed]
        None,  # 1444: not verified, no observation (tn.toml)
        None,  # 1445: not verified, no observation (tn.toml)
        date(2025, 3, 31),  # config/countries/tn.toml [observed]
    ],
    ('TN', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (tn.toml)
        None,  # 1437: not verified, no observation (tn.toml)
        None,  # 1438: not verified, no observation (tn.toml)
        None,  # 1439: not verified, no observation (tn.toml)
        None,  # 1440: not verified, no observation (tn.toml)
        None,  # 1441: not verified, no observation (tn.toml)
        None,  # 1442: not verified, no observation (tn.toml)
        date(2022, 7, 9),  # config/countries/tn.toml [observed]
        None,  # 1444: not verified, no observation (tn.toml)
        date(2024, 6, 16),  # config/countries/tn.toml [observed]
        None,  # 1446: not verified, no observation (tn.toml)
    ],
    # Turkey: holidays 0.109 observed table (Diyanet); 2016 Fitr a day BEFORE Umm al-Qura.
    ('TR', 'eid_al_fitr'): [
        date(2015, 7, 17),  # holidays 0.109 observed table
        date(2016, 7, 5),  # holidays 0.109 observed table
        date(2017, 6, 25),  # holidays 0.109 observed table
        date(2018, 6, 15),  # holidays 0.109 observed table
        date(2019, 6, 4),  # holidays 0.109 observed table
        date(2020, 5, 24),  # holidays 0.109 observed table
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('TR', 'eid_al_adha'): [
        date(2015, 9, 24),  # holidays 0.109 observed table
        date(2016, 9, 12),  # holidays 0.109 observed table
        date(2017, 9, 1),  # holidays 0.109 observed table
        date(2018, 8, 21),  # holidays 0.109 observed table
        date(2019, 8, 11),  # holidays 0.109 observed table
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # holidays 0.109 observed table
    ],
    # Yemen: holidays 0.109 (2020-); 2016 Fitr, 2020 Fitr and 2025 Adha from announcements (ye.toml); 2015-2019 otherwise unobserved.
    ('YE', 'eid_al_fitr'): [
        None,  # 1436: not verified, no observation (ye.toml)
        date(2016, 7, 6),  # config/countries/ye.toml [observed]
        None,  # 1438: not verified, no observation (ye.toml)
        None,  # 1439: not verified, no observation (ye.toml)
        None,  # 1440: not verified, no observation (ye.toml)
        date(2020, 5, 24),  # config/countries/ye.toml [observed]
        date(2021, 5, 13),  # holidays 0.109 observed table
        date(2022, 5, 2),  # holidays 0.109 observed table
        date(2023, 4, 21),  # holidays 0.109 observed table
        date(2024, 4, 10),  # holidays 0.109 observed table
        date(2025, 3, 30),  # holidays 0.109 observed table
    ],
    ('YE', 'eid_al_adha'): [
        None,  # 1436: not verified, no observation (ye.toml)
        None,  # 1437: not verified, no observation (ye.toml)
        None,  # 1438: not verified, no observation (ye.toml)
        None,  # 1439: not verified, no observation (ye.toml)
        None,  # 1440: not verified, no observation (ye.toml)
        date(2020, 7, 31),  # holidays 0.109 observed table
        date(2021, 7, 20),  # holidays 0.109 observed table
        date(2022, 7, 9),  # holidays 0.109 observed table
        date(2023, 6, 28),  # holidays 0.109 observed table
        date(2024, 6, 16),  # holidays 0.109 observed table
        date(2025, 6, 6),  # config/countries/ye.toml [observed]
    ],
}

CASES = [(c, o, FIRST_HIJRI_YEAR + i, d) for (c, o), days in OBSERVED.items()
         for i, d in enumerate(days) if d is not None]
# Years with no verified announcement: the calendar predicts them, it does not claim them.
UNOBSERVED = [(c, o, FIRST_HIJRI_YEAR + i) for (c, o), days in OBSERVED.items()
              for i, d in enumerate(days) if d is None]


def test_every_country_is_listed() -> None:
    from app.domain import countries

    listed = {c for c, _ in OBSERVED}
    assert listed == set(countries.supported_countries()) - {"none"}
    assert all(len(days) == 11 for days in OBSERVED.values())


@pytest.mark.parametrize(("country", "occasion", "hijri_year", "expected"), CASES,
                         ids=[f"{c}-{o}-{y}" for c, o, y, _ in CASES])
def test_observed_first_day(country: str, occasion: str, hijri_year: int,
                            expected: date) -> None:
    found = occasions.occurrence(country, occasion, hijri_year, today=TODAY)
    assert found.date == expected
    assert found.tentative is False
    assert found.source is DateSource.OBSERVED
    assert found.earliest == found.latest == expected


@pytest.mark.parametrize(("country", "occasion", "hijri_year"), UNOBSERVED,
                         ids=[f"{c}-{o}-{y}" for c, o, y in UNOBSERVED])
def test_unverified_year_is_predicted_not_observed(country: str, occasion: str,
                                                   hijri_year: int) -> None:
    found = occasions.occurrence(country, occasion, hijri_year, today=TODAY)
    assert found.source is DateSource.PREDICTED
    assert found.predicted is not None and found.date == found.predicted.date


def test_observed_date_is_not_tentative_even_if_today_is_before_it() -> None:
    # A historical observed date stays observed whatever `today` the caller passes.
    found = occasions.occurrence("JO", "eid_al_fitr", 1446, today=date(2024, 1, 1))
    assert (found.date, found.tentative, found.source) == (
        date(2025, 3, 31), False, DateSource.OBSERVED)  # a day after Saudi Arabia


def test_library_date_that_is_a_moved_holiday_is_ignored() -> None:
    # holidays 0.109 puts the UAE's 2023 Islamic New Year holiday on a Friday
    # three days off 1 Muharram; that is a moved holiday, not the occasion's day.
    found = occasions.occurrence("AE", "islamic_new_year", 1445, today=TODAY)
    assert found.date == date(2023, 7, 19)


def test_published_future_date_is_a_prediction_unless_final() -> None:
    # Malaysia publishes 2027's holidays in advance: used as the expected date, still tentative.
    my = occasions.occurrence("MY", "eid_al_fitr", 1448, today=TODAY)
    assert my.tentative is True and my.source is DateSource.PREDICTED
    assert my.earliest <= my.date <= my.latest
    # Turkey's Diyanet calendar is fixed by computation: final years ahead.
    tr = occasions.occurrence("TR", "eid_al_fitr", 1452, today=TODAY)
    assert tr.tentative is False and tr.source is DateSource.PUBLISHED
