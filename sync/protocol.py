"""Wire messages of sync protocol v1 (msgspec Structs). docs/protocol.md is the contract."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class Message(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    """Base for every request body: unknown fields are an error, not silently ignored."""


# --- devices -------------------------------------------------------------------------------

class DeviceRegistration(Message):
    username: str
    password: str
    client_id: str  # UUID, kept in the phone's IndexedDB
    name: str = ""


class Actor(msgspec.Struct):
    id: str
    username: str
    display_name: str
    role: str


class DeviceRegistered(msgspec.Struct):
    token: str
    device_id: str
    user: Actor
    spaces: list[str]


# --- push ----------------------------------------------------------------------------------

class Mutation(Message):
    id: int  # 1, 2, 3 … per client
    name: str  # e.g. "key.lend"
    args: dict[str, Any]
    hlc: str  # the device's hybrid logical clock at the time of the action (sync.hlc)


class PushRequest(Message):
    client_id: str
    schema_version: int
    mutations: list[Mutation]


class PushResponse(msgspec.Struct):
    last_mutation_id: int
    applied: int  # mutations applied by this request (not counting retries)
    rejected: int  # mutations that became rejections in this request
    conflicts: int  # conflicts this request raised


# --- pull ----------------------------------------------------------------------------------

class PullRequest(Message):
    client_id: str
    schema_version: int
    cookie: str | None = None


class PatchOp(msgspec.Struct, omit_defaults=True):
    op: Literal["put", "del"]
    type: str  # record type: site, building, unit, resident, key, key_loan, conflict, space
    id: str
    data: dict[str, Any] | None = None


class RejectionOut(msgspec.Struct):
    mutation_id: int
    name: str
    code: str
    reason: str
    field: str = ""  # the argument at fault, when one is


class PullResponse(msgspec.Struct):
    cookie: str
    last_mutation_id: int
    patch: list[PatchOp]
    rejections: list[RejectionOut]
    more: bool
    total: int = 0  # records this round will send in all (progress bar on first sync)
    sent: int = 0  # records sent so far this round, this page included


# --- errors --------------------------------------------------------------------------------

class ErrorBody(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    expected_mutation_id: int | None = None
    detail: Any = None
