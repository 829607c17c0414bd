"""The staff's catalogue of refusals: what staff read, in Danish, when a rule says no.

Keyed by the error class (``service.core.errors``); a refusal without a
wording of its own takes its nearest parent's. A form whose fields a rule
names (an account, a centre, an API key) has a table of its own here, by
field, for the refusals that say no more than "this value" (``InvalidInput``
and ``NotFound`` themselves). The API's wording is the English ``message``
of each class; the citizen's is ``service.web.refusals``.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.booking import centres, contracts
from service.core import errors
from service.identity import accounts, keys, two_factor
from service.stats import query

FALLBACK = "Det kunne ikke lade sig gøre."

REFUSALS: dict[type[errors.DomainError], str] = {
    errors.NotFound: FALLBACK,
    errors.InvalidInput: FALLBACK,
    errors.PersonalDataRefused: (
        "Teksten ligner et CPR-nummer, en e-mailadresse, et telefonnummer eller en IP-adresse. "
        "Diskret gemmer ingen personoplysninger."
    ),
    errors.GroupNameRefused: (
        "Navnet ligner et CPR-nummer, en e-mailadresse, et telefonnummer eller en "
        "IP-adresse. Diskret gemmer ingen personoplysninger: giv gruppen et neutralt navn."
    ),
    errors.InvalidSchedule: "Tiderne giver ikke en gyldig plan.",
    errors.NoTimes: "Mønsteret giver ingen tider.",
    errors.TimeTooLong: "En tid skal vare fra 1 minut til 8 timer.",
    errors.TimeInPast: "Tiderne skal ligge i fremtiden.",
    errors.NoSuchLocalTime: "Klokkeslættet findes ikke den dag (skift til sommertid).",
    errors.PatternIncomplete: "Vælg ugedage, en varighed og et antal uger.",
    errors.SessionsOverlap: "To af gruppens møder ville overlappe.",
    errors.SessionBegun: "Mødet er begyndt og kan ikke flyttes.",
    errors.MeetingOnHoliday: (
        "Den nye dato er en helligdag ({holiday}). Sæt flueben, hvis mødet alligevel skal "
        "flyttes dertil."
    ),
    errors.CapacityInvalid: "Der skal være mindst 1 plads.",
    errors.CapacityTooLow: "{booked} pladser er booket; der kan ikke være færre pladser.",
    errors.AttendanceTooEarly: "Fremmøde kan registreres, når mødet er begyndt.",
    errors.NotAMember: "Vælg blandt gruppens deltagere.",
    errors.Busy: "Der er travlt lige nu, og intet blev gemt. Prøv igen om et øjeblik.",
    errors.NotContracted: "Kommunen samarbejder ikke med jeres sted.",
    errors.SlotTaken: "Tiden er lige blevet taget. Vælg en anden.",
    errors.SlotHeld: "Tiden er booket og kan ikke fjernes. Bookingen skal aflyses først.",
    errors.SlotUnavailable: "Tiden kan ikke bookes.",
    errors.SlotInHistory: (
        "Tiden har været booket og er aflyst igen. Den bliver stående i forløbets historik."
    ),
    errors.Overlap: "Borgeren har en anden aftale på det tidspunkt.",
    errors.MemberHasTalk: "Et medlem af gruppen har en samtale på det tidspunkt.",
    errors.ClosingTooEarly: "Den afsluttende samtale skal ligge efter gruppens sidste møde.",
    errors.MemberClosingFirst: (
        "Et medlem har en afsluttende samtale før det nye tidspunkt. Flyt samtalen først."
    ),
    errors.ClosingNeedsGroup: "Den afsluttende samtale kommer efter en plads i en gruppe.",
    errors.AlreadyBooked: "Forløbet har allerede en booking af den slags.",
    errors.NotApproved: "Forløbet skal være godkendt efter første samtale, før det får en gruppe.",
    errors.IntakeClosed: "Gruppen optager ikke nye deltagere nu.",
    errors.JoiningClosed: "Gruppen er nået for langt til at nye kan komme med. Vælg en anden.",
    errors.GroupUnavailable: "Gruppen kan ikke vælges.",
    errors.NotCancellable: "Bookingen kan ikke længere aflyses.",
    errors.ReferenceMalformed: (
        "En reference er 8 bogstaver og tal, fx K7QM-4XPZ. Store eller små bogstaver, med "
        "eller uden bindestreg."
    ),
    errors.CourseClosed: "Forløbet er afsluttet.",
    errors.WrongStatus: "Det kan ikke gøres på dette trin af forløbet.",
    errors.IntroNotHeld: "Den første samtale har ikke fundet sted endnu.",
    errors.TalkNotBegun: "Udeblivelse kan registreres, når samtalens tid er begyndt.",
    errors.NoShowNotRecorded: (
        "Registrér først, at borgeren udeblev fra den første samtale. "
        "Har borgeren booket en ny tid, kan forløbet ikke afsluttes som udeblevet."
    ),
    accounts.LoginFailed: "Forkert brugernavn eller adgangskode.",
    accounts.WrongPassword: "Adgangskoden er forkert.",
    accounts.CurrentPasswordWrong: "Den nuværende adgangskode er forkert.",
    accounts.WeakPassword: (
        f"Vælg en adgangskode på mindst {accounts.SHORTEST_PASSWORD} tegn, "
        "som ikke indeholder dit brugernavn."
    ),
    accounts.CommonPassword: (
        "Adgangskoden er for almindelig eller for let at gætte. "
        "Vælg en længere sætning af ord, som kun du ville sætte sammen."
    ),
    two_factor.CodeRefused: (
        "Koden passer ikke eller er allerede brugt. Skriv den kode, appen viser nu (6 cifre), "
        "eller en ubrugt gendannelseskode."
    ),
    two_factor.FirstCodeRefused: (
        "Koden passer ikke. Skriv den kode, appen viser lige nu (6 cifre). Viser appen ingen "
        "kode for Diskret, så scan QR-koden eller skriv nøglen ind igen."
    ),
    query.UnknownPeriod: "Vælg måned, kvartal eller år.",
    query.UnknownView: "Vælg hvordan rækkerne deles op.",
    query.MalformedMonth: "Skriv en måned som ÅÅÅÅ-MM, fx 2026-01.",
    query.ReversedRange: "Fra-måneden ligger efter til-måneden.",
    query.RangeTooLong: "Højst ti år ad gangen.",
    query.MonthNotOver: "Kun måneder, der er slut, tælles med.",
    query.FlowTooWide: "Fra bopælskommune til stedets kommune: højst 12 kolonner ad gangen.",
    contracts.ContractOverlaps: (
        "Kommunen har allerede en kontrakt med stedet, som gælder i den periode. "
        "Afslut den først, eller vælg en senere første dag."
    ),
    contracts.StartInPast: "En kontrakt kan tidligst gælde fra i dag.",
    contracts.EndInPast: "En kontrakt kan tidligst ophøre fra i dag.",
    contracts.EndNotAfterStart: "Kontrakten kan tidligst ophøre dagen efter sin første dag.",
    contracts.AlreadyEnded: "Kontrakten ophører allerede fra {ends_on} eller tidligere.",
    contracts.CentreClosed: "Stedet er lukket fra den dag og kan ikke få nye kontrakter.",
    centres.CloseInPast: "Et sted kan tidligst lukke fra i dag.",
    centres.ClosedAlready: "Stedet er allerede lukket fra den dag eller tidligere.",
    centres.ContractStartsLater: (
        "En af stedets kontrakter begynder først på lukkedagen eller senere. "
        "Vælg en senere lukkedag."
    ),
    two_factor.AlreadyEnrolled: "Totrinslogin er allerede slået til for din konto.",
    two_factor.Required: (
        "Din rolle skal bruge totrinslogin. Du kan nulstille det, men ikke slå det fra."
    ),
}

# The plain refusals of a form's fields, by the field the rule names.
ACCOUNT_FIELDS = {
    "username": "Brugernavnet kan ikke bruges: det skal være 3-40 bogstaver, tal, punktummer "
    "eller bindestreger og må ikke være taget.",
    "centre_id": "Vælg stedet og ingen kommune: medarbejdere og stedets administratorer hører "
    "til ét sted.",
    "municipality": "Vælg kommunen og intet sted: en koordinator hører til én kommune.",
    "role": "En administrator har hverken sted eller kommune. Fjern stedet og kommunen.",
    "account": "Du kan ikke lukke din egen konto.",
    "own_account": "Du kan ikke give dig selv en ny engangskode. Skift din adgangskode i stedet.",
}
CENTRE_FIELDS = {
    "name": "Skriv stedets navn (højst 120 tegn).",
    "municipality": "Vælg kommunen.",
    "address": "Skriv adressen (højst 200 tegn).",
    "entrance": "Beskrivelsen af indgangen må højst være 2000 tegn.",
    "entrance_en": "Beskrivelsen af indgangen må højst være 2000 tegn.",
    "opening_hours": "Åbningstiderne må højst være 200 tegn.",
    "opening_hours_en": "Åbningstiderne må højst være 200 tegn.",
    "languages": "Skriv sprogene som koder på to bogstaver adskilt af mellemrum, fx: da en",
    "phone": "Skriv et dansk telefonnummer med 8 cifre, fx 33 12 34 56, eller lad feltet stå tomt.",
}
CONTRACT_FIELDS = {
    "municipality": "Vælg kommunen.",
    "centre_id": "Vælg stedet.",
    "valid_from": "Skriv den første dag.",
    "ends_on": "Skriv den første dag uden kontrakt.",
}
KEY_FIELDS = {
    "name": f"Giv nøglen et navn på 1-{keys.LONGEST_NAME} tegn.",
    "scopes": "Vælg mindst én rettighed.",
    "reach": "Bind nøglen til ét sted eller én kommune, ikke begge.",
    "centre_id": "Vælg stedet.",
    "municipality": "Vælg kommunen.",
    "scope_reach": (
        "En nøgle med centre:manage hører til ét sted, en nøgle med tokens:verify "
        "til et sted eller en kommune, og en nøgle med directory:manage til en kommune "
        "eller hele landet."
    ),
}

_PLAIN = (errors.InvalidInput, errors.NotFound)


def nearest(rule: type[errors.DomainError]) -> type[errors.DomainError] | None:
    """Return the class, the error's own or its nearest parent's, whose wording it takes."""
    return next((each for each in rule.__mro__ if each in REFUSALS), None)


def wording(error: errors.DomainError, fields: Mapping[str, str] | None = None) -> str:
    """Return what to tell staff about a refusal: its class's wording, or its field's on a form."""
    found = nearest(type(error))
    field = (fields or {}).get(str(error.data.get("field")))
    if field is not None and (found is None or found in _PLAIN):
        return field
    text = FALLBACK if found is None else REFUSALS[found]
    return text.format_map(error.data) if "{" in text else text
