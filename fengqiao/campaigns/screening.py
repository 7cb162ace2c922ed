"""Screening campaigns: every change through one function (permission, transition table, lock,
history, audit, on-commit side effects), and the live roll-up by grid, community, street and
district."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from fengqiao.accounts.access import Access, access_for
from fengqiao.accounts.roles import Perm
from fengqiao.cases.errors import (
    ConflictError,
    FieldError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from fengqiao.core import audit
from fengqiao.risk.errors import NotFound
from fengqiao.territory.models import Grid, Region

from .models import (
    Campaign,
    CampaignEvent,
    CampaignGrid,
    CampaignKind,
    CampaignState,
    ScreeningRecord,
)

S = CampaignState
# name → (sources, target, capability held over the campaign's region)
CAMPAIGN_TRANSITIONS: dict[str, tuple[frozenset[str], str | None, str]] = {
    "create": (frozenset({""}), S.DRAFT, Perm.CAMPAIGN_MANAGE),
    "assign": (frozenset({S.DRAFT, S.ACTIVE}), None, Perm.CAMPAIGN_MANAGE),
    "activate": (frozenset({S.DRAFT}), S.ACTIVE, Perm.CAMPAIGN_MANAGE),
    "close": (frozenset({S.ACTIVE}), S.CLOSED, Perm.CAMPAIGN_MANAGE),
}
FIELD_TYPES = ("text", "int", "bool", "choice")
# What each step is called where an entry names it (the audit trail's "action" of a campaign).
STEP_LABELS = {
    "create": pgettext_lazy("campaign step", "Created"),
    "assign": pgettext_lazy("campaign step", "Grids assigned"),
    "activate": pgettext_lazy("campaign step", "Started"),
    "close": pgettext_lazy("campaign step", "Closed"),
}


def campaign_rule(access: Access, perm: str) -> Q:
    """Campaigns organised inside the scope, or assigned to one of its grids."""
    scope = access.scope(perm)
    q = scope.q(path="region__path", unit_regions=True)
    grids = CampaignGrid.objects.filter(scope.q(path="community_path", grid="grid_id"))
    return q | Q(pk__in=grids.values("campaign_id"))


def record_rule(access: Access, perm: str) -> Q:
    return access.scope(perm).q(path="community_path", grid="grid_id", unit_regions=True)


VIEW_PERMS = (Perm.CAMPAIGN_MANAGE, Perm.SCREENING_RECORD, Perm.STATS_VIEW)


def visible_campaigns(actor: Any) -> QuerySet[Campaign]:
    access = access_for(actor)
    qs = Campaign.objects.none()
    for p in VIEW_PERMS:
        qs = qs | access.visible(Campaign.objects.all(), p)
    return qs.distinct()


def get_campaign(actor: Any, pk: Any) -> Campaign:
    try:
        return visible_campaigns(actor).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _apply(actor: Any, c: Campaign, name: str, note: str = "", data: dict | None = None) -> None:
    sources, target, _perm = CAMPAIGN_TRANSITIONS[name]
    before = "" if c.pk is None else c.state
    if before not in sources:
        raise TransitionNotAllowed(
            "state",
            "transition",
            _("A campaign that is %(state)s cannot do this.") % {"state": c.get_state_display()},
        )
    if target is not None:
        c.state = target
    if before:
        c.version += 1
    c.save()
    CampaignEvent.objects.create(
        campaign=c,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=name,
        from_state=before,
        to_state=c.state,
        note=note,
        data=data or {},
    )
    audit.record(
        actor,
        "create" if name == "create" else "update",
        c,
        {"action": [None, name], **(data or {})},
    )


def clean_form(fields: Any) -> list[dict]:
    if fields in (None, ""):
        return []
    bad = InvalidInput(
        "form_fields",
        "invalid",
        _(
            "Each form field needs a name (letters, digits, _), a label and a type (text, int, bool, choice; a choice lists its choices)."
        ),
    )
    if not isinstance(fields, list) or len(fields) > 40:
        raise bad
    out, names = [], set()
    for f in fields:
        if not isinstance(f, dict):
            raise bad
        name, label, kind = f.get("name"), f.get("label"), f.get("type")
        choices = f.get("choices", [])
        if not (
            isinstance(name, str) and name.isidentifier() and len(name) <= 40 and name not in names
        ):
            raise bad
        if (
            not (isinstance(label, str) and 0 < len(label.strip()) <= 100)
            or kind not in FIELD_TYPES
        ):
            raise bad
        if kind == "choice" and not (
            isinstance(choices, list) and choices and all(isinstance(x, str) and x for x in choices)
        ):
            raise bad
        names.add(name)
        out.append(
            {
                "name": name,
                "label": label.strip(),
                "type": kind,
                "choices": choices if kind == "choice" else [],
                "required": bool(f.get("required")),
            }
        )
    return out


def _date(data: dict, name: str, errors: list[FieldError]) -> date | None:
    value = data.get(name)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, date):
        return value
    errors.append(FieldError(name, "invalid", _("Enter a date (YYYY-MM-DD).")))
    return None


def create_campaign(actor: Any, data: dict) -> Campaign:
    access = access_for(actor)
    if not access.has_perm(Perm.CAMPAIGN_MANAGE):
        raise NotPermitted("", "permission", _("You may not organise campaigns."))
    errors: list[FieldError] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors.append(FieldError("name", "required", _("Give a name of at most 100 characters.")))
    if data.get("kind") not in CampaignKind.values:
        errors.append(
            FieldError("kind", "invalid_choice", _("Choose disputes, safety hazards or epidemic."))
        )
    starts, ends = _date(data, "starts_on", errors), _date(data, "ends_on", errors)
    if starts and ends and ends < starts:
        errors.append(FieldError("ends_on", "order", _("The end is before the start.")))
    code = data.get("region")
    region = (
        access.regions(Perm.CAMPAIGN_MANAGE).filter(code=code).first()
        if isinstance(code, str)
        else None
    )
    if region is None:
        errors.append(
            FieldError("region", "not_found_in_scope", _("Give a region code in your area."))
        )
    try:
        form = clean_form(data.get("form_fields"))
    except InvalidInput as e:
        errors += e.errors
        form = []
    if errors:
        raise InvalidInput.many(errors)
    assert isinstance(name, str) and starts is not None and ends is not None
    c = Campaign(
        name=name.strip(),
        kind=data["kind"],
        region=region,
        starts_on=starts,
        ends_on=ends,
        form_fields=form,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        _apply(actor, c, "create")
    return c


def _lock(actor: Any, campaign: Any, name: str, expected_version: Any = None) -> Campaign:
    access = access_for(actor)
    c = get_campaign(actor, getattr(campaign, "pk", campaign))
    c = Campaign.objects.select_for_update().get(pk=c.pk)
    perm = CAMPAIGN_TRANSITIONS[name][2]
    if not access.holds(c, perm) or not access.scope(perm).covers_path(
        c.region.path, unit_regions=True
    ):
        raise NotPermitted("", "permission", _("You may not change this campaign."))
    if expected_version is not None and str(expected_version) != str(c.version):
        raise ConflictError("version", "stale", _("This was changed by someone else; reload."))
    return c


def assign_grids(actor: Any, campaign: Any, targets: Any, expected_version: Any = None) -> Campaign:
    """Assign grids ({grid code: households to screen}) inside the campaign's region."""
    if not isinstance(targets, dict) or not targets or len(targets) > 5000:
        raise InvalidInput("grids", "invalid", _("Give grid codes with the number to screen."))
    with transaction.atomic():
        c = _lock(actor, campaign, "assign", expected_version)
        grids = {
            g.code: g
            for g in Grid.objects.filter(
                code__in=[str(k) for k in targets], community__path__startswith=c.region.path
            ).select_related("community")
        }
        for code, n in targets.items():
            if code not in grids:
                raise InvalidInput(
                    "grids",
                    "not_found_in_scope",
                    _("No grid %(code)s in the campaign's region.") % {"code": str(code)[:20]},
                )
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100_000:
                raise InvalidInput("grids", "invalid", _("The number to screen is 0 to 100000."))
        for code, n in targets.items():
            g = grids[code]
            CampaignGrid.objects.update_or_create(
                campaign=c, grid=g, defaults={"target": n, "community_path": g.community.path}
            )
        _apply(actor, c, "assign", data={"grids": {k: v for k, v in targets.items()}})
    return c


def move_campaign(actor: Any, campaign: Any, name: str, expected_version: Any = None) -> Campaign:
    if name not in ("activate", "close"):
        raise InvalidInput("action", "invalid_choice", _("Unknown action."))
    with transaction.atomic():
        c = _lock(actor, campaign, name, expected_version)
        _apply(actor, c, name)
    return c


def clean_answers(c: Campaign, answers: Any) -> dict:
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise InvalidInput("answers", "invalid", _("Answer the form's fields."))
    known = {f["name"]: f for f in c.form_fields}
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for key in answers:
        if key not in known:
            errors.append(
                FieldError(
                    "answers",
                    "unknown",
                    _("The form has no field %(name)s.") % {"name": str(key)[:40]},
                )
            )
    for name, f in known.items():
        v = answers.get(name)
        if v in (None, ""):
            if f["required"]:
                errors.append(
                    FieldError(
                        f"answers.{name}",
                        "required",
                        _("%(label)s: this field is required.") % {"label": f["label"]},
                    )
                )
            continue
        ok = (
            (f["type"] == "text" and isinstance(v, str) and len(v) <= 500)
            or (
                f["type"] == "int"
                and isinstance(v, int)
                and not isinstance(v, bool)
                and 0 <= v <= 1_000_000
            )
            or (f["type"] == "bool" and isinstance(v, bool))
            or (f["type"] == "choice" and v in f["choices"])
        )
        if not ok:
            errors.append(
                FieldError(
                    f"answers.{name}",
                    "invalid",
                    _("%(label)s: not a valid answer.") % {"label": f["label"]},
                )
            )
        out[name] = v
    if errors:
        raise InvalidInput.many(errors)
    return out


def record_screening(actor: Any, campaign: Any, data: dict) -> ScreeningRecord:
    """A grid worker records one household or place screened (once per address and grid)."""
    access = access_for(actor)
    c = get_campaign(actor, getattr(campaign, "pk", campaign))
    if c.state != S.ACTIVE:
        raise TransitionNotAllowed(
            "state", "transition", _("Only a running campaign takes records.")
        )
    errors: list[FieldError] = []
    address = data.get("address")
    code = data.get("grid")
    assigned = (
        CampaignGrid.objects.filter(campaign=c, grid__code=code).select_related("grid").first()
        if isinstance(code, str)
        else None
    )
    links = _registry_links(access, data, assigned, errors)
    if (not isinstance(address, str) or not address.strip()) and links:
        address = next(iter(links.values())).address
    if not isinstance(address, str) or not address.strip() or len(address) > 200:
        errors.append(
            FieldError("address", "required", _("Give the household's or place's address."))
        )
    finding = data.get("finding", "") or ""
    if not isinstance(finding, str) or len(finding) > 500:
        errors.append(FieldError("finding", "invalid", _("At most 500 characters.")))
        finding = ""
    if assigned is None or not access.holds(assigned.grid, Perm.SCREENING_RECORD):
        errors.append(
            FieldError(
                "grid", "not_found_in_scope", _("Choose one of your grids in this campaign.")
            )
        )
    try:
        answers = clean_answers(c, data.get("answers"))
    except InvalidInput as e:
        errors += e.errors
    if errors:
        raise InvalidInput.many(errors)
    assert assigned is not None and isinstance(address, str)
    r = ScreeningRecord(
        campaign=c,
        grid=assigned.grid,
        community_path=assigned.community_path,
        address=address.strip(),
        answers=answers,
        has_finding=bool(finding.strip()),
        finding=finding.strip(),
        screened_by=actor,
        screened_at=timezone.now(),
        **links,
    )
    try:
        with transaction.atomic():
            r.save()
            audit.record(actor, "create", r, {"address": [None, r.address]})
    except IntegrityError:
        raise InvalidInput(
            "address", "duplicate", _("This household was screened already in this campaign.")
        ) from None
    return r


def _registry_links(
    access: Access, data: dict, assigned: CampaignGrid | None, errors: list[FieldError]
) -> dict[str, Any]:
    """The registry household and/or place a record points to: visible to the recorder and
    in the record's grid."""
    from fengqiao.registry.models import Household, Place

    out: dict[str, Any] = {}
    for name, model in (("household", Household), ("place", Place)):
        raw = data.get(name)
        if raw in (None, ""):
            continue
        pk = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if pk is None and isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
            pk = int(raw)
        obj = (
            access.visible(model.objects.all(), Perm.REGISTRY_VIEW)
            .filter(pk=pk, anonymised_at__isnull=True)
            .first()
            if pk
            else None
        )
        if obj is None or (assigned is not None and obj.grid_id != assigned.grid_id):
            errors.append(
                FieldError(name, "not_found_in_scope", _("Choose one of the grid's registry rows."))
            )
            continue
        out[name] = obj
    return out


def not_screened(actor: Any, campaign: Campaign) -> QuerySet:
    """The registry's households in the campaign's grids (as far as the actor sees them) that
    no record of the campaign points to yet: who has not been screened."""
    from fengqiao.registry.models import Household

    access = access_for(actor)
    grids = _scoped(access, campaign, CampaignGrid.objects.filter(campaign=campaign)).values(
        "grid_id"
    )
    done = ScreeningRecord.objects.filter(campaign=campaign, household__isnull=False).values(
        "household_id"
    )
    return (
        Household.objects.filter(grid_id__in=grids, anonymised_at__isnull=True, ended_on=None)
        .exclude(pk__in=done)
        .select_related("grid")
        .order_by("grid__code", "id")
    )


def _scoped(access: Access, campaign: Campaign, qs: QuerySet) -> QuerySet:
    """Rows (assigned grids or records) of `campaign` within the actor's scope: everything to
    whoever manages the campaign, else the recorder's or viewer's scope."""
    if access.holds(campaign, Perm.CAMPAIGN_MANAGE):
        return qs
    scope = access.scope(
        Perm.SCREENING_RECORD if access.has_perm(Perm.SCREENING_RECORD) else Perm.STATS_VIEW
    )
    return qs.filter(scope.q(path="community_path", grid="grid_id", unit_regions=True))


def _lock_finding(actor: Any, record: Any) -> ScreeningRecord:
    access = access_for(actor)
    qs = ScreeningRecord.objects.none()
    for p in (Perm.SCREENING_RECORD, Perm.CAMPAIGN_MANAGE):
        qs = qs | access.visible(ScreeningRecord.objects.all(), p)
    try:
        r = qs.distinct().get(pk=getattr(record, "pk", record))
    except (ScreeningRecord.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    r = (
        ScreeningRecord.objects.select_for_update()
        .select_related("grid", "grid__community", "campaign")
        .get(pk=r.pk)
    )
    if not r.has_finding:
        raise TransitionNotAllowed("finding", "no_finding", _("This record has no finding."))
    if r.case_id or r.warning_id:
        raise TransitionNotAllowed(
            "finding", "done", _("This finding was already turned into a case or a warning.")
        )
    return r


def finding_to_case(actor: Any, record: Any, category: Any) -> ScreeningRecord:
    """Register the finding as a case (channel 主动排查) through the cases' intake, in one step."""
    from fengqiao.cases import actions as cases

    with transaction.atomic():
        r = _lock_finding(actor, record)
        from fengqiao.cases.models import Category

        cat = Category.objects.filter(code=category).first() if isinstance(category, str) else None
        kind = (cat.kind if cat is not None else "") or (
            "dispute" if r.campaign.kind == CampaignKind.DISPUTES else "hazard"
        )
        data = {
            "kind": kind,
            "category": category,
            "title": r.finding[:200],
            "address": r.address,
            "description": f"{r.campaign.name}: {r.finding}",
        }
        if r.grid.center_lon is not None and r.grid.center_lat is not None:
            # The grid's representative point: the case lands in the same grid.
            data["lon"], data["lat"] = r.grid.center_lon, r.grid.center_lat
        result = cases.intake(actor, data, "screening")
        r.case = result.case
        r.save(update_fields=["case"])
        audit.record(actor, "update", r, {"case": [None, result.case.pk]})
    return r


def finding_to_warning(actor: Any, record: Any, level: Any) -> ScreeningRecord:
    from fengqiao.risk.actions import raise_manual

    with transaction.atomic():
        r = _lock_finding(actor, record)
        w = raise_manual(
            actor,
            {
                "level": level,
                "title": r.finding[:200],
                "grid": r.grid,
                "note": f"{r.campaign.name}: {r.address}",
                "evidence": {"screening_record": r.pk},
            },
        )
        r.warning = w
        r.save(update_fields=["warning"])
        audit.record(actor, "update", r, {"warning": [None, w.pk]})
    return r


# -- roll-up ---------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    name: str
    target: int
    screened: int
    findings: int
    # Registry households of the grid that no record points to yet (grid rows only).
    not_screened: int = 0

    @property
    def done(self) -> bool:
        return self.screened >= self.target

    @property
    def percent(self) -> float:
        return round(100.0 * self.screened / self.target, 1) if self.target else 100.0


def rollup(actor: Any, campaign: Campaign) -> dict[str, list[Row]]:
    """Progress and findings by grid, community, street and district, within the actor's
    scope: two aggregate queries (indexed by campaign and grid) and the names."""
    access = access_for(actor)
    assigned = CampaignGrid.objects.filter(campaign=campaign)
    records = ScreeningRecord.objects.filter(campaign=campaign)
    if not access.holds(campaign, Perm.CAMPAIGN_MANAGE):
        scope = access.scope(
            Perm.SCREENING_RECORD if access.has_perm(Perm.SCREENING_RECORD) else Perm.STATS_VIEW
        )
        assigned = assigned.filter(
            scope.q(path="community_path", grid="grid_id", unit_regions=True)
        )
        records = records.filter(scope.q(path="community_path", grid="grid_id", unit_regions=True))
    done = {
        g: (n, f)
        for g, n, f in records.values("grid_id")
        .annotate(n=Count("id"), f=Count("id", filter=Q(has_finding=True)))
        .values_list("grid_id", "n", "f")
    }
    grids = list(assigned.select_related("grid").order_by("grid__code"))
    by_grid = [Row(a.grid.code, a.grid.name, a.target, *done.get(a.grid_id, (0, 0))) for a in grids]
    waiting = {
        g: n
        for g, n in not_screened(actor, campaign)
        .order_by()
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    }
    for a, row in zip(grids, by_grid, strict=True):
        row.not_screened = waiting.get(a.grid_id, 0)
    paths = {a.grid_id: a.community_path for a in grids}
    ids = {int(i) for p in paths.values() for i in p.strip("/").split("/")}
    regions = {r.pk: r for r in Region.objects.filter(pk__in=ids)}
    levels: dict[str, dict[int, Row]] = {"community": {}, "street": {}, "district": {}}
    for a, row in zip(grids, by_grid, strict=True):
        chain = [int(i) for i in paths[a.grid_id].strip("/").split("/")]
        for level, rid in zip(("district", "street", "community"), chain[-3:], strict=False):
            reg = regions.get(rid)
            if reg is None:
                continue
            agg = levels[level].setdefault(rid, Row(reg.code, reg.name, 0, 0, 0))
            agg.target += row.target
            agg.screened += row.screened
            agg.findings += row.findings
    return {
        "grid": by_grid,
        "community": sorted(levels["community"].values(), key=lambda r: r.key),
        "street": sorted(levels["street"].values(), key=lambda r: r.key),
        "district": sorted(levels["district"].values(), key=lambda r: r.key),
    }


def unfinished(actor: Any, campaign: Campaign) -> list[dict]:
    """Grids not finished yet, with their grid workers' names."""
    from fengqiao.org.models import GridWorker

    rows = [r for r in rollup(actor, campaign)["grid"] if not r.done or r.not_screened]
    workers: dict[str, list[str]] = {}
    for gw in (
        GridWorker.objects.filter(grids__code__in=[r.key for r in rows])
        .select_related("user")
        .prefetch_related("grids")
    ):
        for g in gw.grids.all():
            workers.setdefault(g.code, []).append(gw.user.get_full_name() or gw.user.username)
    return [
        {
            "grid": r.key,
            "name": r.name,
            "target": r.target,
            "screened": r.screened,
            "not_screened": r.not_screened,
            "workers": sorted(workers.get(r.key, [])),
        }
        for r in rows
    ]
