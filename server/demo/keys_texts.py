"""What the demo estate's key loans say: why a key goes out and to whom, for how long, the
contractors' and agents' firms, what is noted when it comes back — in Traditional Chinese,
as a Hong Kong estate's desk would write them — and the words of the key set pieces."""

from __future__ import annotations

from typing import NamedTuple


class Purpose(NamedTuple):
    text: str
    kind: str  # borrower_kind
    categories: tuple[str, ...]  # the keys lent for it
    hours: tuple[float, float]  # due after (lent for at most)
    weight: int


PURPOSES = (
    Purpose("冷氣機維修", "contractor", ("owner_deposited", "vacant_unit"), (2, 4), 14),
    Purpose("水喉維修", "contractor", ("owner_deposited", "vacant_unit"), (1.5, 3), 12),
    Purpose("單位裝修工程", "contractor", ("vacant_unit",), (6, 9), 8),
    Purpose("單位清潔", "contractor", ("vacant_unit", "show_flat"), (2, 3), 8),
    Purpose("地產代理帶客睇樓", "agent", ("vacant_unit", "show_flat"), (1, 2), 16),
    Purpose("業主親友取匙入屋", "resident", ("owner_deposited",), (2, 6), 8),
    Purpose("機房例行巡查", "staff", ("equipment_room",), (0.75, 1.5), 12),
    Purpose("公共地方維修", "contractor", ("public_area",), (2, 4), 10),
    Purpose("消防設備年檢", "contractor", ("master", "equipment_room"), (2, 4), 4),
    Purpose("電錶房抄錶", "contractor", ("equipment_room",), (1, 2), 4),
)
FIRMS = {
    "contractor": ("新輝冷氣工程", "永利水電工程", "德昌裝修", "潔寶清潔服務", "聯興消防工程",
                   "中華電力", "利達升降機", "明記水喉"),
    "agent": ("中原地產", "美聯物業", "利嘉閣地產", "世紀21"),
}
TITLES = ("師傅", "先生", "小姐")
APPROVERS = ("管理處主任 李美玲", "保安主管 何志強")
DEPOSITS = ("按金 $500", "按金 $200", "身份證副本")
CONSENT = "業主{name}電話同意（{time}）"
LATE_NOTES = ("遲了交還，已提醒下次準時。", "承辦商翌日早上才交還。",
              "住戶家人忘記交還，致電後送回。")
RETURN_NOTES = ("", "", "", "鎖匙完好。", "已點算鎖匙數目。")

# the set pieces
DOUBLE_AGENT = "梁小姐（中原地產）"
DOUBLE_CONTRACTOR = "黃師傅（永利水電工程）"
DUPLICATE_BORROWER = "陳師傅（德昌裝修）"
DUPLICATE_VOID = "重複登記：交更前後兩部手機各記了同一次借出，保留日更記錄。"
DOUBLE_RETURN_NOTE = "同一次交還在前台及主管手機各記一次，以先收到的一次為準。"
RETIRED_NOTE = "門鎖已更換，舊匙作廢，已交回業主。"
RETIRED_REJECTION_NOTE = "已通知前台：舊匙已作廢，承辦商改由業主親自開門。"
