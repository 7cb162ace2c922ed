"""Deterministic demo people: Chinese names, mobile numbers, office landlines."""

import random
import zlib

from fengqiao.demo import data


def chinese_names(
    count: int, rng: random.Random, exclude: set[str] = frozenset()
) -> list[tuple[str, str]]:
    """`count` distinct (surname, given name) pairs; about a third of given names are one character."""
    seen: set[str] = set(exclude)
    names: list[tuple[str, str]] = []
    while len(names) < count:
        surname = rng.choice(data.SURNAMES)
        size = 1 if rng.random() < 0.35 else 2
        given = "".join(rng.choice(data.GIVEN_CHARS) for _ in range(size))
        if len(set(given)) < len(given) or surname + given in seen:
            continue
        seen.add(surname + given)
        names.append((surname, given))
    return names


def mobile_numbers(count: int, rng: random.Random, exclude: set[str] = frozenset()) -> list[str]:
    """`count` distinct 11-digit mainland mobile numbers."""
    seen: set[str] = set(exclude)
    numbers: list[str] = []
    while len(numbers) < count:
        number = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


def office_phone(name: str) -> str:
    """A stable 七台河 landline for an office, derived from its name."""
    return f"{data.AREA_CODE}-8{zlib.crc32(name.encode()) % 10**6:06d}"
