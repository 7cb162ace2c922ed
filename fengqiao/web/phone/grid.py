"""我的网格's data: my grids' outlines, their open cases, and the basic data of the registry
(households with their members, places) in one JSON document the service worker caches, so
that the page opens and a household's members show without signal.

Personal fields are masked here whatever the reader: the document is kept on the phone, where an
unmasked read could not be logged. The unmasked phone of a key person the worker visits is on the
key person's page (its read logged), linked from the member.
"""

from collections import defaultdict
from typing import Any

from django.urls import reverse
from django.utils import timezone

from fengqiao.accounts.access import Access
from fengqiao.registry import services
from fengqiao.registry.models import Household, KeyPerson, Place, Resident
from fengqiao.registry.visits import state_of

# A grid holds a few hundred households; the caps keep the cached document bounded.
MAX_HOUSEHOLDS = 1500
MAX_RESIDENTS = 5000
MAX_PLACES = 500


def _member(
    access: Access, r: Resident, key_persons: list[KeyPerson], today: Any
) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "relation": r.relation_to_head,
        "sex": r.get_sex_display(),
        "born": r.birth_date.year if r.birth_date else None,
        "kind": r.get_kind_display(),
        "left_behind": r.get_left_behind_display() if r.left_behind else "",
        "id_number": services.disclosed(access, r, "id_number", allowed=False),
        "phone": services.disclosed(access, r, "phone", allowed=False),
        "url": reverse("registry:resident", args=[r.pk]),
        "key": [
            {
                "kind": kp.kind.name,
                "due": kp.next_visit_due.isoformat() if kp.next_visit_due else None,
                "state": state_of(kp.next_visit_due, today),
                "url": reverse("registry:key_person", args=[kp.pk]),
                "visit": reverse("phone:visit", args=[kp.pk]),
            }
            for kp in key_persons
        ],
    }


def registry_data(access: Access, grid_ids: list[int]) -> dict[str, Any]:
    """The households (each with its members) and places of `grid_ids`, as `access` may see."""
    today = timezone.localdate()
    households = list(
        services.visible(access, Household)
        .filter(grid_id__in=grid_ids, anonymised_at__isnull=True, ended_on__isnull=True)
        .order_by("address", "id")[:MAX_HOUSEHOLDS]
    )
    residents = list(
        services.visible(access, Resident)
        .filter(
            household_id__in=[h.pk for h in households],
            anonymised_at__isnull=True,
            ended_on__isnull=True,
        )
        .order_by("household_id", "id")[:MAX_RESIDENTS]
    )
    keyed: dict[int, list[KeyPerson]] = defaultdict(list)
    for kp in (
        services.visible(access, KeyPerson)
        .filter(resident_id__in=[r.pk for r in residents], active=True)
        .select_related("kind")
        .order_by("next_visit_due", "id")
    ):
        keyed[kp.resident_id].append(kp)
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in residents:
        members[r.household_id or 0].append(_member(access, r, keyed[r.pk], today))
    report = reverse("phone:report")
    places = list(
        services.visible(access, Place)
        .filter(grid_id__in=grid_ids, anonymised_at__isnull=True, ended_on__isnull=True)
        .select_related("kind")
        .order_by("-key_place", "name", "id")[:MAX_PLACES]
    )
    return {
        "households": [
            {
                "id": h.pk,
                "number": h.number,
                "address": h.address,
                "head": h.head_name,
                "kind": h.get_kind_display(),
                "members": members[h.pk],
                "report": report,
            }
            for h in households
        ],
        "places": [
            {
                "id": p.pk,
                "name": p.name,
                "kind": p.kind.name,
                "address": p.address,
                "principal": p.principal,
                "key_place": p.key_place,
                "lon": p.lon,
                "lat": p.lat,
            }
            for p in places
        ],
    }
