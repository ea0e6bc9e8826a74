"""Calibration constants of the synthetic population.

Each figure states what it models. Targets (``*_TARGET``) are what the population should show;
the model parameters next to them were tuned by simulation so the generated data hits them.
"""

from __future__ import annotations

FIRST_COHORT_YEAR = 2016

# Persons housed per calendar year in the 16 municipalities at scale 1.0, nareizigers included.
# Follows the national taakstelling: a 2016 peak, a dip 2018-2021 and a rise 2022-2024. Utrecht
# (about 38% of the region's inhabitants) then houses ~640 people in 2016 and ~590 in 2017.
REGION_HOUSED_PER_YEAR = {
    2016: 1700,
    2017: 1600,
    2018: 1050,
    2019: 1000,
    2020: 900,
    2021: 1250,
    2022: 1900,
    2023: 2100,
    2024: 2200,
    2025: 2000,
}
REGION_HOUSED_LATER_YEARS = 2000

# Inhabitants per municipality (CBS, 1 January 2024, rounded). The taakstelling is set
# proportional to population, so this drives each municipality's share of the intake.
INWONERS = {
    "GM0312": 15_600,  # Bunnik
    "GM0310": 43_900,  # De Bilt
    "GM0736": 45_600,  # De Ronde Venen
    "GM0321": 50_900,  # Houten
    "GM0353": 34_800,  # IJsselstein
    "GM0331": 14_900,  # Lopik
    "GM0335": 14_000,  # Montfoort
    "GM0356": 65_900,  # Nieuwegein
    "GM0589": 10_500,  # Oudewater
    "GM1904": 66_300,  # Stichtse Vecht
    "GM0344": 374_000,  # Utrecht
    "GM1581": 50_600,  # Utrechtse Heuvelrug
    "GM1961": 58_600,  # Vijfheerenlanden
    "GM0352": 24_000,  # Wijk bij Duurstede
    "GM0632": 53_800,  # Woerden
    "GM0355": 66_500,  # Zeist
}
INWONERS_FALLBACK = 40_000

# Municipalities outside the region that take permit holders from regional reception locations
# (weights roughly by size and proximity; Amersfoort borders the region).
ELSEWHERE_GEMEENTEN = {
    "GM0363": 6,  # Amsterdam
    "GM0599": 5,  # Rotterdam
    "GM0518": 4,  # 's-Gravenhage
    "GM0307": 4,  # Amersfoort
    "GM0034": 2,  # Almere
    "GM0200": 2,  # Apeldoorn
    "GM0202": 2,  # Arnhem
    "GM0268": 2,  # Nijmegen
    "GM0772": 2,  # Eindhoven
    "GM0796": 2,  # 's-Hertogenbosch
    "GM0855": 2,  # Tilburg
    "GM0228": 2,  # Ede
    "GM0014": 1,  # Groningen
    "GM0193": 1,  # Zwolle
}

# Share of the U16 intake that leaves a reception location inside the region; the rest comes
# from locations elsewhere (COA places nationally).
SHARE_FROM_REGIONAL_LOCATION = 0.35
# Share of people leaving a regional location who are housed in a U16 municipality (the
# monitor's "regional leavers housed in U16" is 85-95%); the rest go elsewhere.
REGIONAL_LEAVERS_HOUSED_IN_U16 = 0.90
# Nareizigers usually pass through the national registration centre rather than a regional AZC.
NAREIZIGER_VIA_TER_APEL = 0.7
TER_APEL = "TER-APEL"

# Household types: probability, adults, has children, P(head is male).
# Singles dominate the statushouder intake; families are mostly couples with children.
HOUSEHOLD_TYPES = {
    "SINGLE": (0.55, 1, False, 0.77),
    "COUPLE": (0.08, 2, False, 0.88),
    "SINGLE_PARENT": (0.10, 1, True, 0.15),
    "COUPLE_KIDS": (0.25, 2, True, 0.90),
    "HEAD_OVERIG": (0.02, 2, False, 0.70),
}
KIDS_EXTRA_POISSON = 1.3  # children per family = 1 + Poisson(1.3), at most 6
MAX_KIDS = 6
# Households of two or more where the head comes first and the rest follow by family
# reunification (nareizigers are roughly a fifth to a quarter of all statushouders).
NAREIZIGER_HOUSEHOLD_SHARE = 0.55
NAREIZIGER_DELAY_MONTHS = (3, 18)  # permit of the family members after the head's housing

# Nationality mix (ISO 3166-1 alpha-3; XXA stateless, XXX unknown), early (2016) and late
# (2024) cohorts; years in between are interpolated. Syrians and Eritreans dominated 2016,
# Turkish and Yemeni permit holders grew later.
NATIONALITEIT_EARLY = {
    "SYR": 0.51, "ERI": 0.22, "AFG": 0.04, "IRN": 0.04, "IRQ": 0.04, "SOM": 0.02, "ETH": 0.02,
    "YEM": 0.02, "TUR": 0.01, "SDN": 0.01, "UKR": 0.00, "XXA": 0.05, "XXX": 0.02,
}  # fmt: skip
NATIONALITEIT_LATE = {
    "SYR": 0.35, "ERI": 0.10, "AFG": 0.08, "IRN": 0.03, "IRQ": 0.03, "SOM": 0.03, "ETH": 0.02,
    "YEM": 0.08, "TUR": 0.15, "SDN": 0.03, "UKR": 0.01, "XXA": 0.07, "XXX": 0.02,
}  # fmt: skip

# COA process lags in days: permit -> link to a municipality -> housing.
LAG_VERGUNNING_KOPPELING = (1.5, 30.0)  # gamma shape, scale
LAG_KOPPELING_HUISVESTING = (30, 2.0, 45.0)  # minimum, gamma shape, scale (~4 months)
# Share registered in the BRP (and so given a BSN) only at housing; the others register while
# still in the reception location. Drives the few percent of linked people without a BSN.
BSN_AT_HOUSING = 0.55

# Share of U16 households moving to another U16 municipality, 2-5 years after housing.
MOVE_SHARE = 0.06
MOVE_AFTER_MONTHS = (24, 60)

# Taakstelling: realisation (housed / task) per municipality and half-year ~ N(0.95, 0.12),
# clipped to 0.70-1.20 as in the COA monitor.
REALISATIE_MEAN = 0.95
REALISATIE_SD = 0.12
REALISATIE_RANGE = (0.70, 1.20)

# Work (a dienstverband covering the date), adults 18-64 at housing. Targets from the
# Verwey-Jonker/CBS cohort studies: ~11% work 2.5 years after housing, ~43% after 6 years.
WORK_30M_TARGET = 0.11
WORK_72M_TARGET = 0.43
# First job: Weibull(shape, scale in months) for the P_EVER share; jobs can end and be followed
# by a new one. Tuned by simulation to the two targets above.
FIRST_JOB_WEIBULL = (2.0, 76.0)
P_EVER_WORK = 0.90
MAX_JOBS = 4
P_PERMANENT_JOB = (0.35, 0.45, 0.55, 0.65)  # per successive job: open-ended until far ahead
JOB_MEAN_MONTHS = 14.0
JOB_GAP_MEAN_MONTHS = 6.0
P_NEXT_JOB = 0.8
P_FULLTIME = 0.45  # full-time (>= 32 h) jobs end bijstand
SOORT_P = {"LOONDIENST": 0.55, "UITZEND": 0.35, "ZELFSTANDIG": 0.10}

# Bijstand (Participatiewet) in the first year after housing: 85-94% of adults.
BIJSTAND_12M_TARGET = 0.88
P_BIJSTAND = 0.95
BIJSTAND_OTHER_EXIT_MEAN_MONTHS = 240.0  # exits for other reasons (partner income, study)
P_BIJSTAND_AFTER_JOB_LOSS = 0.6
P_OTHER_REGELING = 0.03  # IOAW/ANW/OVERIG spells

# Trajecten (activering/opleiding) reach a minority.
P_TRAJECT = 0.30
P_SECOND_TRAJECT = 0.35
INSTRUMENT_P = {
    "WERKERVARINGSPLEK": 0.20,
    "TAAKSTAGE": 0.10,
    "WERKSTAGE": 0.15,
    "MEELOOPSTAGE": 0.10,
    "VRIJWILLIGERSWERK": 0.20,
    "OPLEIDING": 0.25,
}

# Brede intake: ~60% of adults get an intake with a NOA assessment within 3 months of housing.
NOA_3M_TARGET = 0.60
P_INTAKE = 0.93
INTAKE_TIMING_P = (0.18, 0.64, 0.18)  # before housing, 0-3 months after, later
P_NOA = 0.79

# Inburgering: ~58% of plichtigen reach VOLDAAN within 4 years of housing.
VOLDAAN_48M_TARGET = 0.58
WI2021_FROM_YEAR = 2022
P_NIET_PLICHTIG = 0.06  # besides everyone 65+
P_VRIJSTELLING = 0.02
P_ONTHEFFING = 0.07
P_PASS_EVER = 0.71
PASS_MONTHS = (6.0, 22.0, 0.5)  # minimum, lognormal median, sigma (months after start)
TERMIJN_YEARS = 3
P_EXAM_FAIL = 0.3  # each sitting fails with this chance, then a re-sit follows
P_EXAM_ABSENT = 0.05

# Language schools: most plichtigen follow a course in their first 2-3 years.
P_ENROL_PLICHTIG = 0.85
P_ENROL_ONDERWIJS = 0.5  # those in the education route often study elsewhere
P_ENROL_NIET_PLICHTIG = 0.10
P_VOORINBURGERING = 0.15
P_SWITCH_SCHOOL = 0.20
P_AFGEROND = 0.68
