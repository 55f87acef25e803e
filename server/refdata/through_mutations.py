"""A reference list whose records phones write too (keys, IC cards): the office's form is
written through the same mutation as a phone's, so both obey the same rules."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.errors import ValidationFailed
from server.refdata.spec import RefList, Submission
from server.sync import office
from sync.errors import Reject


class ThroughMutations(RefList):
    """Subclasses name the id argument (``id_arg``) and give :meth:`mutation`."""

    id_arg = ""

    def mutation(self, values: Mapping[str, Any], row: Mapping[str, Any] | None,
                 site: str) -> tuple[str, dict[str, Any]] | None:
        """The mutation that saves the form (None: nothing changed)."""
        raise NotImplementedError

    async def write(self, user: CurrentUser, row: Mapping[str, Any] | None,
                    values: dict[str, Any], form: Submission) -> str:
        site = str(row["site"]) if row else str(values["site_id"])
        values[self.id_arg] = form.once or str(uuid.uuid4())
        mutation = self.mutation(values, row, site)
        if mutation is None:
            return str(row["id"]) if row else values[self.id_arg]
        try:
            await office.apply(user, [mutation])
        except Reject as r:  # the register changed since the form was checked
            raise ValidationFailed(r.reason) from r
        return str(mutation[1][self.id_arg])
