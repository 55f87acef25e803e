"""What the demo estate's front-desk logs say: visitors' names and why they came (with how
long such a visit lasts), the goods that leave on a pass and the vans that carry them, what
the guard at the gate writes when the goods do not match, and the notes a shift hands over —
in Traditional Chinese, as a Hong Kong estate's desk would write them."""

from __future__ import annotations

from typing import NamedTuple

SHIFT_HOURS = (8, 20)  # the desk's shift changes (local)
HISTORY_DAYS = 56

# the desk's night shift at each site (no password: an administrator may give one)
NIGHT_DESKS = (("hyg-desk-night", "林淑芬", 0), ("jht-desk-night", "楊雅婷", 1))
# per site: the day desk, who covers their day off (or ""), the night desk; the gate's guards
# by day and by night (patrol demo's accounts)
DESKS = (("desk", "office", "hyg-desk-night"), ("jht-desk", "", "jht-desk-night"))
GUARDS = (("guard", "hyg-night"), ("jht-guard1", "jht-guard2"))
BADGES = ("V", "JV")  # per site: visitor badge prefix

SURNAMES = "陳李黃張梁林劉吳何郭王鄭楊周謝羅麥馮曾蔡鍾區溫余"
GIVEN = ("偉文", "嘉儀", "志強", "秀英", "家明", "美琪", "俊賢", "思敏", "國強", "麗華",
         "子朗", "凱琳", "振華", "慧玲", "耀祖", "穎欣", "德明", "翠芬", "永康", "靜儀")
COURIERS = ("順豐速運", "嘉里物流", "京東物流", "DHL", "百佳網購", "HKTVmall")
TITLES = ("先生", "小姐")


class Purpose(NamedTuple):
    text: str
    weight: int
    minutes: tuple[int, int]  # how long such a visit lasts
    by_phone: float  # share confirmed by a phone call rather than a resident at the desk
    courier: bool = False  # the name is "陳先生（順豐速運）"


PURPOSES = (
    Purpose("探訪親友", 38, (45, 240), 0.15),
    Purpose("送貨", 18, (5, 20), 0.6, courier=True),
    Purpose("裝修估價", 6, (20, 60), 0.4),
    Purpose("維修", 8, (30, 150), 0.35),
    Purpose("家務助理", 6, (120, 300), 0.1),
    Purpose("補習", 6, (90, 120), 0.1),
    Purpose("地產代理睇樓", 5, (20, 45), 0.7),
    Purpose("冷氣清洗", 4, (45, 120), 0.4),
    Purpose("送外賣", 6, (3, 10), 0.8, courier=True),
    Purpose("安裝寬頻", 3, (40, 90), 0.5),
)
FOOD = ("Foodpanda", "Deliveroo", "Keeta")
ID_TYPES = (("hkid", 84), ("mainland", 7), ("passport", 4), ("other", 5))
HKID_CHECK = "0123456789A"  # the last character of an HKID

# visitors per day (weekday, weekend) per site, and the share of them signed in per hour
VISITORS = (((6, 12), (9, 15)), ((3, 7), (5, 9)))
HOURS = ((8, 2), (9, 3), (10, 5), (11, 5), (12, 4), (13, 4), (14, 6), (15, 6), (16, 6),
         (17, 6), (18, 7), (19, 7), (20, 5), (21, 3))
LATE_VISIT = ("探訪親友", 80)  # the visitor who stayed past the cut-off: came minutes before

# goods leaving on a pass: items (each "what count unit") and the pieces in all
GOODS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("雪櫃 1部", "洗衣機 1部"), 2),
    (("梳化 1張", "茶几 1張", "電視櫃 1個"), 3),
    (("紙箱 8個",), 8),
    (("雙人床褥 1張", "床架 1套"), 2),
    (("舊冷氣機 2部",), 2),
    (("書櫃 1個", "書 6箱"), 7),
    (("嬰兒床 1張", "BB車 1部"), 2),
    (("電腦 1部", "顯示屏 2個"), 3),
    (("衣物 5袋", "行李箱 3個"), 8),
    (("魚缸 1個",), 1),
    (("裝修廢料 15袋",), 15),
    (("餐枱 1張", "餐椅 4張"), 5),
    (("搬屋雜物 20箱", "衣櫃 1個"), 21),
    (("單車 2部",), 2),
)
PASSES_PER_WEEK = ((3, 5), (2, 3))  # per site
# the bases of the passes in turn: half with the owner present, the rest on paper or by phone
PASS_BASES = ("owner_present", "written", "owner_present", "phone", "owner_present", "written",
              "owner_present", "phone", "owner_present", "written")
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
HAND_CARRIED = 0.2  # goods taken out by hand or trolley: no plate
# the one pass refused at the gate, and the pass issued again for the same goods
MISMATCH_GOODS = (("雪櫃 1部", "梳化 1張"), 2)
MISMATCH_NOTE = ("放行條只列雪櫃 1部及梳化 1張，車上另有洗衣機 1部未有列明，不予放行；"
                 "已請搬運工人返回管理處補發放行條。")
REISSUED_GOODS = (("雪櫃 1部", "梳化 1張", "洗衣機 1部"), 3)

# handover notes ({block}: a building's name, {unit}: a unit's number)
NOTES = (
    "{block} 1 號升降機保養中，預計明早完成，已貼告示。",
    "{unit} 業主明早 10 時到管理處取回寄存鎖匙。",
    "停車場車閘讀卡器間歇失靈，已通知承辦商跟進。",
    "今晚 11 時食水缸清洗，已貼通告，請留意住戶查詢。",
    "{block} 12 樓走廊有雜物阻塞走火通道，已通知住戶清理，請跟進。",
    "平台花園側門門鼓漏油，已報維修。",
    "{unit} 住戶投訴樓上滴水，已記錄，明早請通知維修組。",
    "明早 9 時有搬屋車（{unit}），放行條已預備。",
    "消防系統年檢明天上午 10 時進行，需陪同承辦商。",
    "大堂訪客證數目已點算，全部齊備。",
    "{block} 大堂正門閉門器較緊，已報維修，暫時留意長者出入。",
    "颱風信號已除下，天台去水口已檢查，沒有淤塞。",
)
NOTES_SHARE = 0.35
