"""Tell a supervision target ("抽检食品23万批次") from a policy condition ("最高不超过15万元的贷款").

A plan sets goals for its responsible units; a policy document also states entitlements, limits and
eligibility with numbers in them. Only goals become report fields and score lines, so each quantity is read
against the words of its clause and sentence, and the words that decided it are kept as its reasons.
"""

from __future__ import annotations

import re

from .model import CERTAIN, CONDITION, TARGET, UNCERTAIN, Reason

# Words of a policy that grants, lends or limits: a number near them is what someone is entitled to.
_ENTITLEMENT = re.compile(r"返还|退还|补贴|补助|奖补|奖励|贴息|贷款|资助|减免|免征|减征|抵扣|可申请|可享受|可给予")
# "给予" grants what its own clause names ("给予50万元"); elsewhere in a sentence it is often support in general.
_GRANT = re.compile(r"给予")
_LIMIT = re.compile(r"最高不超过|最高可|最多可|最高|上限")
_ELIGIBILITY = re.compile(r"符合[^，,。；;]{0,12}?条件|申请条件|条件的")
_PRIORITY = re.compile(r"优先支持|优先安排|优先给予|优先推荐")
# "超过100人的企业": the number says which subjects a rule applies to.
_THRESHOLD_AFTER = re.compile(
    r"^[^，,。；;、（）()\d]{0,6}?的(?:企业|单位|人员|个人|地区|项目|家庭|职工|主体|群体|城市|县)")
# A goal for the responsible units: what they must do, reach or keep within.
_GOAL_VERB = re.compile(
    r"达到|达(?=\d)|完成|新增|新制定|制定|修订|认定|抽检|抽查|检查|建成|建设|培育|覆盖|拓展|发布|实现|突破|"
    r"提高到|提高至|提升到|提升至|降低到|降至|压缩到|压缩至|控制在|开展|组织|办理|处置|培训|引进|创建|打造")
_GOAL_BOUND = re.compile(r"不低于|不少于|至少|以上|以内|之内|以下")
_GOAL_PERIOD = re.compile(r"全年|(?<!上)年度|力争|确保|目标|计划|今年|本年")
_SENTENCE_END = "。；;！？!?\n"


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around [start, end): between the nearest full stops, semicolons or line breaks."""
    left = max(text.rfind(ch, 0, start) for ch in _SENTENCE_END) + 1
    rights = [pos for pos in (text.find(ch, end) for ch in _SENTENCE_END) if pos != -1]
    return text[left:min([*rights, len(text)])]


def _condition_cues(clause: str, quantity: str = "", after: str = "") -> list[Reason]:
    """Reasons to read a quantity as a condition: from its own clause when ``quantity`` (and the words right
    after it) are given, else from the rest of its sentence."""
    reasons = []
    if match := _LIMIT.search(clause):
        reasons.append(Reason("condition-limit", f"“{match.group(0)}”是额度上限，不是工作目标"))
    if match := _ENTITLEMENT.search(clause) or (_GRANT.search(clause) if quantity else None):
        reasons.append(Reason("condition-entitlement", f"“{match.group(0)}”是政策给予的待遇，数量是享受的额度或条件"))
    if match := _ELIGIBILITY.search(clause):
        reasons.append(Reason("condition-eligibility", f"“{match.group(0)}”限定适用对象"))
    if match := _PRIORITY.search(clause):
        reasons.append(Reason("condition-priority", f"“{match.group(0)}”是扶持对象的名额，不是工作目标"))
    if match := _THRESHOLD_AFTER.match(after):
        reasons.append(Reason("condition-threshold", f"“{quantity}{match.group(0)}”中的数量限定适用对象"))
    return reasons


def _goal_cues(clause: str, comparator: str | None) -> list[Reason]:
    """Reasons to read the quantity as a goal for the responsible units."""
    reasons = []
    if match := _GOAL_VERB.search(clause):
        reasons.append(Reason("goal-verb", f"“{match.group(0)}”提出要完成的工作量"))
    if comparator is not None and (match := _GOAL_BOUND.search(clause)):
        reasons.append(Reason("goal-bound", f"“{match.group(0)}”给出要达到的界限"))
    if match := _GOAL_PERIOD.search(clause):
        reasons.append(Reason("goal-period", f"“{match.group(0)}”表示年度任务"))
    return reasons


def classify(text: str, number_at: tuple[int, int], clause: tuple[int, int],
             comparator: str | None) -> tuple[str, str, list[Reason]]:
    """(kind, confidence, reasons) of the quantity at ``number_at`` whose clause is ``clause``."""
    phrase = text[clause[0]:clause[1]]
    conditions = _condition_cues(phrase, text[number_at[0]:number_at[1]], text[number_at[1]:clause[1]])
    goals = _goal_cues(phrase, comparator)
    if conditions:
        # A goal verb inside a grant's clause ("新招用人数达到25%…的，可申请贷款") states eligibility.
        return CONDITION, CERTAIN, conditions
    sentence = _sentence(text, number_at[0], number_at[1])
    around = _condition_cues(sentence)
    if around:
        note = Reason("condition-sentence", "同一句中有政策待遇或适用条件的用语，数量属于政策条件")
        return CONDITION, UNCERTAIN if goals else CERTAIN, [note, *around, *goals]
    if goals:
        return TARGET, CERTAIN, goals
    return TARGET, UNCERTAIN, [Reason("no-cue", "句中没有目标或条件的用语，暂作量化指标，请核对")]
