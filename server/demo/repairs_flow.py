"""The everyday flow of the demo estate's repairs: each request from its report to its
follow-up call — assigned (urgent and emergency jobs within the hour, most others within a
day, some days later), visited (no one home now and then: a notice and another appointment;
parts needed: a follow-up request; cannot complete, with the reason), followed up when the
sample picks it, and visited again when the resident rated the work C. Some are closed by the
office, a few wait for the resident to confirm a time (overdue), the latest are still new,
assigned or under way. The steps themselves are :class:`server.demo.repairs_history.History`'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from server.demo.repairs_history import (
    CANNOT_COMPLETE,
    CLOSED_BY_OFFICE,
    COMPLAINT,
    FOLLOW_UP,
    NO_ONE_HOME,
    STUCK,
    History,
    Row,
    SiteRepairs,
    weighted,
)
from server.demo.repairs_texts import (
    CANNOT,
    CATEGORY_WEIGHTS,
    FOLLOW_REASONS,
    JOBS,
    URGENCY_WEIGHTS,
    Job,
)
from sync.domains.repairs.records import OPEN_STATES


class Flow(History):
    def pick(self, sr: SiteRepairs, appointment: datetime | None, usual: str | None = None
             ) -> str:
        """A technician for a job: ``usual`` when given, else one of the team, the first
        more often (the set piece's technician gets no other appointment today)."""
        team = [t for t in sr.team if not (t == sr.keep_free and self.is_today(appointment))]
        if usual is not None and usual in team:
            return usual
        return self.rng.choice([*team, sr.team[0]] if sr.team[0] in team else team)

    def within(self, start: datetime, end: datetime) -> datetime | None:
        """A half-hour appointment (09:30–17:30 local) after ``start`` and by ``end``."""
        day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        slots = []
        while day <= last:
            slots += [t for n in range(17) if start < (t := self.local(day, 9, 30)
                                                       + timedelta(minutes=30 * n)) <= end]
            day += timedelta(days=1)
        return self.rng.choice(slots) if slots else None

    def moment(self, days: float) -> datetime:
        """A report within the last ``days`` days, mostly in the daytime (local)."""
        rng = self.rng
        at = self.now - timedelta(days=rng.uniform(0, days))
        if rng.random() < 0.9:
            at = self.local(at.astimezone(self.zone).date(), rng.randint(8, 21),
                            rng.randint(0, 59))
        return at if at <= self.now else at - timedelta(days=1)

    def natural(self, sr: SiteRepairs, at: datetime) -> None:
        """One request of the site's everyday flow, from report to follow-up."""
        rng = self.rng
        category = weighted(rng, CATEGORY_WEIGHTS)
        job = rng.choice([j for j in JOBS if j.category == category])
        urgency = weighted(rng, URGENCY_WEIGHTS[category])
        public = category in ("lift", "common_area")
        unit = None if public else rng.choice(sr.units)
        area = (rng.choice(sr.lifts) if category == "lift" else rng.choice(sr.areas)) \
            if public else ""
        source = rng.choice(("desk", "patrol", "technician", "desk")) if public else \
            weighted(rng, (("desk", 88), ("office", 7), ("technician", 5)))
        by = {"desk": rng.choice(sr.desks), "office": sr.office,
              "patrol": rng.choice(sr.guards or sr.desks), "technician": rng.choice(sr.team)
              }[source]
        if source == "patrol" and sr.on_duty is not None:  # the guard on duty, if heard of
            by, source = (guard, source) if (guard := sr.on_duty(at)) else (
                rng.choice(sr.desks), "desk")
        leak = unit is not None and category == "water" and rng.random() < 0.15
        photos = [self._blob("stain", by)] if leak else []
        req = self.report(sr, at, job.fill(rng), urgency, by, source, unit, area,
                          complaint=unit is not None and rng.random() < COMPLAINT, photos=photos)
        self.run(sr, req, job)

    def run(self, sr: SiteRepairs, req: Row, job: Job, days: int = 0) -> None:
        rng, now = self.rng, self.now
        at, urgency = req["reported_at"], req["urgency"]
        roll = rng.random()
        if roll < CLOSED_BY_OFFICE:
            closed = at + timedelta(hours=rng.uniform(1, 20))
            if closed <= now:
                self.office_close(sr, req, closed)
            return
        if req["source"] == "technician" and req["parent"] is None and rng.random() < 0.7:
            self.visits_of(sr, req, job, at + timedelta(minutes=rng.uniform(3, 20)), None)
            return
        hours = {"emergency": (0.03, 0.13), "urgent": (0.1, 0.5)}.get(urgency, (0.3, 4.0))
        assigned = at + timedelta(hours=rng.uniform(*hours))
        if urgency == "normal" and not 8 <= assigned.astimezone(self.zone).hour < 21:
            assigned = self.slot(assigned, 0) - timedelta(minutes=30)
        if assigned > now:
            return  # still new
        if urgency == "emergency":
            appointment = None
            arrive = assigned + timedelta(minutes=rng.uniform(8, 20) if rng.random() < 0.9
                                          else rng.uniform(35, 75))
        elif urgency == "urgent":
            appointment = assigned + timedelta(minutes=30 * weighted(rng, ((1, 4), (2, 4),
                                                                            (3, 2))))
            arrive = appointment + timedelta(minutes=rng.uniform(-5, 15))
        else:
            later = days or weighted(rng, ((0, 82), (2, 12), (3, 4), (5, 2)))
            appointment = (self.within(assigned + timedelta(hours=1),
                                       at + timedelta(hours=23)) if not later else None
                           ) or self.slot(assigned, later or 1)
            arrive = appointment + timedelta(minutes=rng.uniform(-10, 25))
        tech = self.pick(sr, appointment, req["assignee"])
        self.assign(sr, req, tech, assigned, appointment)
        if roll < CLOSED_BY_OFFICE + STUCK:
            return  # waiting for the resident to confirm a time: overdue, still open
        self.visits_of(sr, req, job, arrive, appointment)

    def visits_of(self, sr: SiteRepairs, req: Row, job: Job, arrive: datetime,
                  appointment: datetime | None, revisit: bool = False) -> None:
        """Visits until the work ends (no one home: another appointment)."""
        rng, now = self.rng, self.now
        tech = req["assignee"] or req["reported_by"]
        for attempt in range(3):
            if arrive > now:
                return
            first = not attempt and not revisit
            basis = "emergency" if req["urgency"] == "emergency" and first else \
                "appointment" if appointment else "request"
            visit = self.start(sr, req, tech, arrive, basis)
            minutes = rng.uniform(20, 100) * (1.6 if req["category"] == "lift" else 1)
            left = arrive + timedelta(minutes=minutes)
            if left > now:
                return  # at work now
            roll = rng.random()
            if req["unit"] is not None and attempt < 2 and roll < NO_ONE_HOME and not revisit:
                self.close(sr, req, visit, left, "no_one_home", job)
                appointment = self.slot(left, rng.choice((1, 1, 2)))
                if tech == sr.keep_free and self.is_today(appointment):
                    appointment += timedelta(days=1)
                self.assign(sr, req, tech, left + timedelta(hours=rng.uniform(1, 5)),
                            appointment)
                arrive = appointment + timedelta(minutes=rng.uniform(-10, 20))
                continue
            if not revisit and req["parent"] is None and roll < NO_ONE_HOME + FOLLOW_UP:
                self.close(sr, req, visit, left, "follow_up", job,
                           reason=rng.choice(FOLLOW_REASONS))
                child = next(r for r in reversed(self.requests)
                             if r["id"] == visit["follow_request"])
                self.run(sr, child, job, days=rng.choice((1, 1, 2, 3)))
                self.after(sr, req, job)
                return
            if roll < NO_ONE_HOME + FOLLOW_UP + CANNOT_COMPLETE:
                self.close(sr, req, visit, left, "cannot_complete", job,
                           reason=CANNOT[req["category"]])
                return
            self.close(sr, req, visit, left, "done", job)
            if not revisit:
                self.after(sr, req, job)
            return

    def after(self, sr: SiteRepairs, req: Row, job: Job) -> None:
        """The follow-up call, and another visit when the resident rated it C."""
        fu = next((f for f in reversed(self.follow_ups) if f["request"] == req["id"]), None)
        if fu is None or fu["done_at"] is not None or self.call(sr, req, fu) != "C":
            return
        called: datetime = fu.get("done_at") or self.now
        if req["state"] not in OPEN_STATES:
            return
        tech = req["assignee"]
        appointment = self.slot(called, self.rng.choice((1, 2)))
        if tech == sr.keep_free and self.is_today(appointment):
            appointment += timedelta(days=1)
        self.assign(sr, req, tech, called + timedelta(minutes=20), appointment)
        self.visits_of(sr, req, job, appointment + timedelta(minutes=self.rng.uniform(-5, 15)),
                       appointment, revisit=True)

