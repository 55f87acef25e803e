"""What the demo estate's repairs say and show: the jobs of each category (the resident's
words, what the technician found and did, the parts and their prices in HKD), the other
sentences the desk, the technicians and the follow-up calls write — in Traditional Chinese, as
the people of a Hong Kong estate would write them — and the images: residents' signatures,
the notice left when no one was home, before and after photos (small real PNGs)."""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from collections.abc import Callable
from typing import NamedTuple


class Job(NamedTuple):
    category: str
    ask: str  # the description the desk logs
    found: str
    work: str
    parts: tuple[tuple[str, float, float], ...] = ()  # item, quantity, unit price

    def fill(self, rng: random.Random) -> Job:
        """The job with its floor (``{floor}``) chosen."""
        return self._replace(ask=self.ask.replace("{floor}", str(rng.randint(2, 30))))


JOBS: tuple[Job, ...] = (
    Job("water", "廚房鋅盆下去水喉漏水，櫃內積水", "去水喉接駁位膠圈老化，接口鬆脫",
        "更換膠圈及去水喉，重新收緊接口並試水，已無漏水",
        (("膠圈", 2, 12), ("去水喉（1.5 吋）", 1, 85))),
    Job("water", "浴室天花滲水，懷疑樓上單位漏水", "天花有水漬，樓上浴室地台防水層疑損壞",
        "清理水漬，已通知樓上業主安排檢查防水層"),
    Job("water", "馬桶水箱不停流水", "水箱浮波及膠塞老化", "更換浮波及膠塞，調校水位",
        (("水箱浮波", 1, 95), ("膠塞", 1, 35))),
    Job("water", "冷熱水掣滴水", "水掣閥芯磨損", "更換水掣閥芯並試水",
        (("水掣閥芯", 2, 68),)),
    Job("water", "露台去水渠淤塞，落雨時積水", "去水渠有樹葉及泥沙淤塞",
        "清理去水渠並試水，排水暢順"),
    Job("water", "熱水爐無熱水", "熱水爐點火針積污", "清潔點火針並調校，熱水爐恢復正常"),
    Job("electricity", "單位總掣跳掣，全屋無電", "廚房插座受潮導致漏電",
        "更換受潮插座，測試漏電掣正常", (("13A 插座", 1, 58),)),
    Job("electricity", "廚房插蘇無電", "插座接線鬆脫", "重新接線並測試，插座已有電"),
    Job("electricity", "浴室抽氣扇不轉", "抽氣扇摩打燒壞", "更換抽氣扇",
        (("抽氣扇（6 吋）", 1, 260),)),
    Job("electricity", "客廳燈不亮，換燈膽後仍然不亮", "燈掣損壞", "更換燈掣並測試",
        (("燈掣", 1, 45),)),
    Job("electricity", "電錶箱附近有燒焦味", "電線接駁位過熱",
        "重新接駁並加絕緣套，已提醒住戶避免同時使用多部大電器", (("接線端子", 4, 8),)),
    Job("doors_locks", "大門門鎖壞，鎖匙扭唔到", "門鎖鎖芯損壞",
        "更換鎖芯，新鎖匙三條已交住戶", (("鎖芯", 1, 380),)),
    Job("doors_locks", "睡房門鉸鬆脫，門關不上", "門鉸螺絲孔磨損",
        "加固螺絲孔並重新安裝門鉸", (("門鉸", 2, 38),)),
    Job("doors_locks", "鐵閘生鏽，開關困難", "鐵閘滑軌生鏽", "清理滑軌並加潤滑油"),
    Job("doors_locks", "信箱鎖損壞", "信箱鎖彈弓斷裂", "更換信箱鎖", (("信箱鎖", 1, 65),)),
    Job("doors_locks", "窗鉸鬆脫，窗戶關不緊", "窗鉸螺絲鬆脫，窗鉸變形", "更換窗鉸並調校",
        (("窗鉸（不銹鋼）", 2, 120),)),
    Job("other", "冷氣機滴水至樓下", "冷氣機去水喉淤塞", "清理去水喉，加裝去水托盤",
        (("去水托盤", 1, 150),)),
    Job("other", "浴室瓷磚鬆脫", "瓷磚底部水泥鬆脫", "重新鋪貼瓷磚",
        (("瓷磚膠漿", 1, 90),)),
    Job("other", "窗外石屎剝落", "外牆石屎有裂紋", "已圍封下方位置，轉介工程部安排搭棚修補"),
    Job("lift", "升降機停在 {floor} 樓不動", "升降機門鎖感應器故障",
        "已通知升降機公司到場更換感應器，升降機恢復正常"),
    Job("lift", "升降機門關閉時有異聲", "門滑輪磨損", "升降機公司已更換門滑輪"),
    Job("lift", "升降機按鈕失靈（{floor} 樓）", "按鈕接觸不良", "更換按鈕並測試"),
    Job("lift", "升降機內照明不亮", "光管損壞", "更換光管"),
    Job("common_area", "光管閃爍", "光管及火牛老化", "更換光管及火牛"),
    Job("common_area", "自動門感應失靈", "感應器積塵", "清潔感應器並調校，自動門運作正常"),
    Job("common_area", "燈不亮", "燈膽燒壞", "更換燈膽"),
    Job("common_area", "門鉸損壞，門關不上", "門鉸斷裂", "更換門鉸"),
    Job("common_area", "水龍頭漏水", "水龍頭閥芯磨損", "更換閥芯並試水"),
    Job("common_area", "防煙門閉門器漏油", "閉門器老化", "更換閉門器，防煙門可自動關上"),
)

# the set pieces: the technician's jobs today (the first an emergency), jobs done with a key
# the owner deposited or of a vacant unit, and the repairs of patrol anomalies (by the note)
TODAY = (
    Job("water", "浴室天花大量滲水，水滴落電燈位置，住戶已關總掣", "樓上單位浴缸去水喉爆裂",
        "關閉樓上單位來水掣，更換爆裂去水喉", (("去水喉（1.5 吋）", 1, 85),)),
    JOBS[11], JOBS[7], JOBS[2],
)
KEYED = {
    "vacant_unit": Job("water", "空置單位漏水至樓下單位天花，需用寄存鎖匙入屋檢查",
                       "廚房來水喉接駁位滲漏", "關閉來水總掣，更換接駁位膠圈並試水，已無漏水",
                       (("膠圈", 2, 12),)),
    "owner_deposited": Job("electricity", "業主身處外地，委託管理處用寄存鎖匙入屋檢查跳掣",
                           "雪櫃插座受潮漏電", "更換插座，恢復供電，已拍照報告業主",
                           (("13A 插座", 1, 58),)),
}
CONSENT = {"vacant_unit": "業主書面授權（已存檔）", "owner_deposited": "業主電郵同意入屋（已存檔）"}
APPROVER = "李美玲（物業主任）"
PATROL: dict[str, tuple[str, str, str, str]] = {
    # the guard's note: category, urgency, what was found, what was done
    "喉轆水壓只有 1.2 bar，已通知維修": (
        "water", "urgent", "消防喉轆供水閥未完全打開，水泵壓力偏低",
        "調校供水閥，通知消防承辦商檢查水泵，水壓回復 3.5 bar"),
    "喉轆閥門滴水，地面濕滑": ("water", "normal", "喉轆閥門填料老化",
                            "更換閥門填料，清理地面積水"),
    "滅火筒已過期（2025 年 10 月），需更換": ("other", "normal", "滅火筒已過有效期",
                                          "已更換新滅火筒"),
    "控制屏顯示第 3 區故障訊號": ("electricity", "urgent", "第 3 區煙感器接線鬆脫",
                                "重新接線，控制屏回復正常，已通知消防承辦商覆檢"),
    "防煙門閉門器損壞，門未能自動關上": ("doors_locks", "urgent", "閉門器漏油損壞",
                                      "更換閉門器，防煙門可自動關上"),
    "天台門未有關妥": ("doors_locks", "normal", "天台門門鎖彈弓鬆脫",
                      "調校門鎖，天台門可以關妥"),
    "水缸喉管接駁位漏水": ("water", "urgent", "水缸出水喉接駁位膠圈老化",
                          "更換膠圈並收緊接駁位"),
    "機房室溫過高，抽氣扇未有運作": ("electricity", "urgent", "抽氣扇摩打燒壞",
                                    "更換抽氣扇摩打，室溫回落"),
    "B2 層有三支光管不亮": ("common_area", "normal", "光管及火牛老化",
                           "更換三支光管及一個火牛"),
    "2 號升降機停用，已通知升降機公司": ("lift", "urgent", "升降機門鎖感應器故障",
                                      "升降機公司到場更換感應器，升降機恢復正常"),
}

CATEGORY_WEIGHTS = (("water", 30), ("electricity", 22), ("doors_locks", 18),
                    ("common_area", 15), ("lift", 7), ("other", 8))
URGENCY_WEIGHTS = {
    "water": (("emergency", 10), ("urgent", 30), ("normal", 60)),
    "electricity": (("emergency", 12), ("urgent", 30), ("normal", 58)),
    "doors_locks": (("emergency", 4), ("urgent", 20), ("normal", 76)),
    "lift": (("emergency", 15), ("urgent", 55), ("normal", 30)),
    "common_area": (("emergency", 3), ("urgent", 17), ("normal", 80)),
    "other": (("emergency", 3), ("urgent", 17), ("normal", 80)),
}
# a public place of a block: "<block> <place>"
BLOCK_PLACES = ("大堂", "地下走廊", "後樓梯", "{n} 樓走廊", "{n} 樓垃圾房", "天台梯間")
SITE_PLACES = ("停車場 B1 層", "停車場 B2 層", "會所", "平台花園", "垃圾房", "管理處")
LABOUR = "人工"
COMPLAINT_NOTE = "。住戶投訴上次報修後問題仍未解決"
FOLLOW_REASONS = ("需訂購零件，另約時間更換", "需等物料乾透後再處理",
                  "需另約水喉師傅兩人一同處理")
PARTIAL = {"follow_up": "已作臨時處理，待另約時間完成",
           "cannot_complete": "已檢查並向住戶解釋原因"}
CANNOT = {
    "water": "漏水源頭在樓上單位，需樓上業主配合，已發信通知",
    "electricity": "需由註冊電業承辦商處理，已建議住戶自行聘請",
    "doors_locks": "需訂購特別型號鎖芯，住戶決定自行更換",
    "lift": "需由升降機公司更換主要零件，已轉介",
    "common_area": "需工程部安排承辦商處理，已轉介",
    "other": "需搭棚處理，已轉介工程部",
}
REFUSALS = ("住戶對維修結果不滿意，拒絕簽名", "住戶趕時間外出，未有簽名",
            "住戶表示要待業主確認才簽署")
NO_SIGN_AREA = "公共地方維修，無住戶簽收"
NO_SIGN_KEY = "單位無人在場（以寄存鎖匙入屋），已致電業主報告"
CLOSE_REASONS = ("住戶已自行找師傅處理", "重複報修，已合併處理", "住戶來電取消報修")
UNREACHED_NOTE = "未能聯絡住戶，已留言"
CALL_NOTES = {
    "A": ("住戶表示滿意", "住戶滿意師傅準時及清潔", "住戶多謝師傅幫忙"),
    "B": ("住戶表示大致滿意，希望下次早點到", "住戶表示滿意，但等候時間較長"),
    "C": ("住戶表示問題未解決，已安排再上門", "住戶表示仍然漏水，要求再檢查"),
}


def _png(width: int, height: int, draw: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """A real PNG (8-bit RGB) of ``draw(x, y)``."""
    raw = b"".join(b"\x00" + bytes(c for x in range(width) for c in draw(x, y))
                   for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def images() -> dict[str, tuple[str, bytes]]:
    """Signatures (scribbles), the notice left at the door, before and after photos."""
    out: dict[str, bytes] = {}
    for k in (2, 4, 9):
        def scribble(x: int, y: int, k: int = k) -> tuple[int, int, int]:
            wave = 22 + 12 * ((x * k) % 29 - 14) / 14 * ((x // 25) % 2 * 2 - 1)
            ink = abs(y - wave) < 1.6 and 8 < x < 172
            return (25, 35, 120) if ink else (255, 255, 255)
        out[f"sign{k}"] = _png(180, 48, scribble)
    out["notice"] = _png(90, 120, lambda x, y: (200, 30, 30) if 10 < y < 26 and 12 < x < 78
                         else (40, 40, 40) if y > 36 and y % 9 < 2 and 12 < x < 78
                         else (250, 248, 240))
    out["stain"] = _png(120, 90, lambda x, y: (150, 120, 70) if ((x - 60) / 35) ** 2 + (
        (y - 40) / 20) ** 2 < 1 else (232, 230, 222))
    out["fixed"] = _png(120, 90, lambda x, y: (200, 200, 205) if 40 < y < 52
                        else (232, 230, 222))
    out["socket"] = _png(120, 90, lambda x, y: (30, 30, 30) if ((x - 60) ** 2 + (y - 45) ** 2)
                         % 400 < 40 and 30 < x < 90 else (70, 60, 50) if 20 < x < 100 and 15 < y
                         < 75 else (236, 234, 228))
    return {name: (hashlib.sha256(data).hexdigest(), data) for name, data in out.items()}
