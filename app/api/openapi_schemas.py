"""Response schemas of the OpenAPI document (the shapes app/api/serialize*.py produce)."""
from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """A reference to another schema of this document."""
    return {"$ref": f"#/components/schemas/{name}"}


def body_schema_ref(form_key: str) -> str:
    """Where the completion body of an item of that form is described (a $ref, for clients)."""
    return f"#/components/schemas/{form_key}"


def obj(required: str, /, **properties: Any) -> dict[str, Any]:
    """An object schema; ``required`` names its always-present properties, space-separated."""
    return {"type": "object", "required": required.split(), "properties": properties}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """A list of ``items``."""
    return {"type": "array", "items": items}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
OPT_STR = {"type": ["string", "null"]}
OPT_TIME = {"type": ["string", "null"], "format": "date-time"}
TIME = {"type": "string", "format": "date-time"}
#: Decimals travel as text ("18", "0.5") so no precision is lost.
DECIMAL = {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?$"}
USER = {"anyOf": [ref("UserRef"), {"type": "null"}]}
UNIT = {"anyOf": [ref("UnitRef"), {"type": "null"}]}

SCHEMAS: dict[str, Any] = {
    "Error": obj("error_code message", error_code=STR, message={**STR, "description": "中文说明"}),
    "FormError": obj("error_code message", error_code=STR, message=STR,
                     fields={"type": "object", "description": "各字段的提示,结构与提交的 JSON 相同"}),
    "Document": {"type": "object", "description": "OpenAPI 文档"},
    "UserRef": obj("id display_name", id=INT, display_name=STR),
    "UnitRef": obj("id name", id=INT, name=STR),
    "WorkItem": obj(
        "id step_id step_name form_key body_schema state role unit task_id links",
        id=INT, step_id=STR, step_name=STR, form_key=OPT_STR,
        body_schema={**OPT_STR, "description": "办理此待办的请求体结构($ref,如 #/components/schemas/decomposition)"},
        state={"enum": ["open", "completed", "cancelled"]},
        state_label=STR, role=OPT_STR, unit=UNIT, task_id={"type": ["integer", "null"]}, context={"type": "object"},
        supervision_number={**OPT_STR, "description": "督办编号"},
        source={**OPT_STR, "description": "所属计划的标题,或督办事项的来源及文号"},
        assignee_id={"type": ["integer", "null"]}, due_at=OPT_TIME, created_at=TIME, signed_at=OPT_TIME,
        completed_at=OPT_TIME, completed_by_id={"type": ["integer", "null"]},
        links=obj("self complete", self=STR, complete=STR, task=STR),
    ),
    "WorkItemList": obj("items page per_page total next", items=array(ref("WorkItem")),
                        page=INT, per_page=INT,
                        total={**INT, "description": "全部待办的条数"},
                        next={**OPT_STR, "description": "下一页的地址;已是最后一页时为 null"}),
    "FormField": obj(
        "name label type required", name=STR, label=STR, type={"type": ["string", "array"]}, required=BOOL,
        format=STR, items={"type": "object"}, description=STR, value={},
        choices=array(obj("value label", value={"type": ["string", "integer"]}, label=STR)),
        rows={**array(array(ref("FormField"))), "description": "列表字段已有的行(如报送的各项指标),须按此顺序提交"},
    ),
    "WorkItemDetail": {"allOf": [ref("WorkItem"), obj("fields", fields=array(ref("FormField")))]},
    "Completion": obj("message work_item", message=STR, work_item=ref("WorkItem")),
    "Verdict": obj("id step decision comments reviewer decided_at", id=INT, step=STR,
                   decision={"enum": ["approve", "return"]}, decision_label=STR, comments=OPT_STR, quality=OPT_STR,
                   reviewer=USER, decided_at=TIME),
    "Attachment": obj("id original_name content_type size sha256", id=INT, original_name=STR, content_type=STR,
                      size=INT, sha256=STR, uploaded_by=USER, uploaded_at=TIME,
                      download_url={**STR, "description": "页面下载地址(需登录会话)"}),
    "Contribution": obj("id unit text submitted_by submitted_at", id=INT, unit=UNIT, text=STR, submitted_by=USER,
                        submitted_at=TIME, attachments=array(ref("Attachment"))),
    "Report": obj("id number progress percent_done actuals verdicts", id=INT, number=INT, progress=STR,
                  percent_done=INT, problems={**OPT_STR, "description": "存在问题"},
                  next_steps={**OPT_STR, "description": "下步计划"},
                  coordination={**OPT_STR, "description": "需协调事项"},
                  submitted_by=USER, submitted_at=TIME,
                  actuals=array(obj("target_id actual", target_id=INT, actual=DECIMAL)),
                  attachments=array(ref("Attachment")), contributions=array(ref("Contribution")),
                  verdicts=array(ref("Verdict"))),
    "Milestone": obj("id title due_date status reports", id=INT, decomposition_id=INT, unit=UNIT, position=INT,
                     title=STR, deliverable=STR, due_date={"type": "string", "format": "date"}, owner=USER,
                     status=STR, status_label=STR, cooperating_units=array(ref("UnitRef")), target_ids=array(INT),
                     reports=array(ref("Report"))),
    "DecompositionRound": obj("id number milestones verdicts", id=INT, number=INT, note=OPT_STR,
                              milestones=array({"type": "object"}), submitted_by=USER, submitted_at=TIME,
                              verdicts=array(ref("Verdict"))),
    "Decomposition": obj("id unit status rounds", id=INT, unit=UNIT, status=STR, status_label=STR,
                         rounds=array(ref("DecompositionRound"))),
    "Task": obj(
        "id number title closed responsibilities decompositions milestones open_items",
        id=INT, plan=obj("id title year kind source", id=INT, title=STR, year=INT,
                         kind={**STR, "description": "plan 工作计划,或督办事项的来源(leader_instruction 领导批示 …)"},
                         source={**STR, "description": "所属计划的标题,或督办事项的来源及文号"}),
        section=OPT_STR, number=INT, title=STR,
        text=STR, supervision_number=OPT_STR, priority=STR, priority_label=STR, closed=BOOL,
        final_deadline={"type": ["string", "null"], "format": "date", "description": "督办事项的办结时限"},
        responsibilities=array(obj("role name", role=STR, role_label=STR, unit=UNIT,
                                   group_id={"type": ["integer", "null"]}, name=STR, written_as=STR)),
        targets=array(obj("id phrase value unit", id=INT, phrase=STR, value=DECIMAL, unit=STR, comparator=OPT_STR)),
        decompositions=array(ref("Decomposition")), milestones=array(ref("Milestone")),
        open_items=array(ref("WorkItem")),
        instances=array(obj("id process_id version status", id=INT, process_id=STR, version=INT, subject=OPT_STR,
                            status=STR)),
        audit=array(obj("at entity entity_id action", at=TIME, actor=USER, entity=STR, entity_id=STR, action=STR)),
    ),
    "ExportJob": obj("id kind plan_id as_of status progress links", id=INT, kind=STR, plan_id=INT,
                     as_of={"type": "string", "format": "date"},
                     status={"enum": ["queued", "running", "ready", "failed"]},
                     progress={**INT, "description": "完成百分比"}, error=OPT_STR, created_at=TIME, updated_at=TIME,
                     links=obj("self file", self=STR,
                               file={**OPT_STR, "description": "生成完毕后文件的地址;未完毕时为 null"})),
    "Progress": obj("tasks milestones approved overdue due on_time percent_done on_time_rate",
                    id={"type": ["integer", "null"]}, name=STR, tasks=INT, closed_tasks=INT, milestones=INT,
                    approved=INT, overdue=INT, due_soon=INT, due=INT, on_time=INT,
                    percent_done={"type": ["number", "null"], "description": "已通过审核的节点占全部节点的百分比"},
                    on_time_rate={"type": ["number", "null"], "description": "按期完成的节点占已到期节点的百分比"}),
    "Dashboard": obj("as_of plan_ids totals states sections units",
                     as_of={"type": "string", "format": "date", "description": "统计日(北京时间)"},
                     plan_ids=array(INT), totals={"anyOf": [ref("Progress"), {"type": "null"}]},
                     states=array(obj("state label count", state={"enum": ["not_started", "decomposing",
                                                                            "in_progress", "closed"]},
                                      label=STR, count=INT)),
                     sections=array(ref("Progress")), units=array(ref("Progress"))),
    "User": obj("id username display_name unit roles active", id=INT, username=STR, display_name=STR,
                email=OPT_STR, unit=UNIT, roles=array(STR), active=BOOL, last_login_at=OPT_TIME, created_at=TIME),
    "UserList": obj("users", users=array(ref("User"))),
    "Unit": obj("id name full_name code kind active aliases", id=INT, name=STR, full_name=STR, code=STR, kind=STR,
                kind_label=STR, active=BOOL, requires_head_signoff=BOOL, aliases=array(STR)),
    "UnitList": obj("units", units=array(ref("Unit"))),
    "Plan": obj("id title year kind source status links", id=INT, title=STR, year=INT,
                kind={**STR, "description": "plan 工作计划,或督办事项的来源(leader_instruction 领导批示 …)"},
                source=STR, document_number=OPT_STR, status={"enum": ["active", "archived"]}, issuing_body=OPT_STR,
                issued_on={"type": ["string", "null"], "format": "date"}, imported_at=TIME,
                links=obj("self", self=STR)),
    "PlanList": obj("plans", plans=array(ref("Plan"))),
    "PlanDetail": {"allOf": [ref("Plan"), obj("tasks", tasks=array(obj(
        "id number title links", id=INT, number=INT, title=STR, supervision_number=OPT_STR, section=OPT_STR,
        links=obj("self", self=STR))))]},
    "ImportPreview": obj(
        "draft_id year tasks warnings errors resolved unresolved links", draft_id=INT, title=OPT_STR, year=INT,
        document_number=OPT_STR, revises_plan_id={"type": ["integer", "null"]},
        tasks=array(obj("number title", number=INT, title=STR)), warnings=array(STR), errors=array(STR),
        resolved={"type": "object", "additionalProperties": STR, "description": "名称 → 单位目录中的单位或分组"},
        unresolved={**array(STR), "description": "单位目录中找不到的名称"}, links=obj("confirm", confirm=STR)),
    "Rectification": obj(
        "id task_id unit source problems requirement due_date status links", id=INT,
        task_id=INT, milestone_id={"type": ["integer", "null"]}, unit=UNIT, source=STR, source_label=STR,
        review_id={"type": ["integer", "null"]}, problems=array(STR), requirement=STR,
        due_date={"type": "string", "format": "date"},
        status={"enum": ["planning", "plan_review", "executing", "result_review", "verified"]}, status_label=STR,
        opened_at=TIME, closed_at=OPT_TIME, links=obj("self task", self=STR, task=STR)),
    "RectificationList": obj("rectifications page total", rectifications=array(ref("Rectification")), page=INT,
                             total=INT),
    "Urge": obj("id work_item_id task_id unit message sent_by sent_at", id=INT, work_item_id=INT, task_id=INT,
                unit=UNIT, message=STR, sent_by=USER, sent_at=TIME),
    "Extension": obj("id work_item_id unit requested_due_at reason status", id=INT, work_item_id=INT, unit=UNIT,
                     current_due_at=OPT_TIME, requested_due_at=TIME, reason=STR, requested_by=USER,
                     requested_at=TIME, status={"enum": ["pending", "approved", "refused"]}, status_label=STR,
                     decided_by=USER, decided_at=OPT_TIME, decision_note=OPT_STR, approved_due_at=OPT_TIME),
    "ExtensionList": obj("extensions", extensions=array(ref("Extension"))),
    "Post": obj("id task_id author body created_at", id=INT, task_id=INT, author=USER, body=STR, created_at=TIME),
    "Token": obj("id name user_id created_at scopes", id=INT, name=STR, user_id=INT, created_at=TIME,
                 last_used_at=OPT_TIME, revoked_at=OPT_TIME, scopes=array(ref("Scope"))),
    "Scope": {"enum": ["read", "act", "admin"],
              "description": "read 只读(GET);act 办理(提交与变更);admin 管理(用户与单位,仅系统管理员的令牌)"},
    "TokenList": obj("tokens", tokens=array(ref("Token"))),
    "IssuedToken": {"allOf": [ref("Token"), obj("token", token={**STR, "description": "令牌本身,只显示这一次"})]},
    "TokenRequest": obj("name", name={**STR, "maxLength": 100, "description": "令牌用途"},
                        scopes={**array(ref("Scope")), "minItems": 1,
                                "description": "权限范围;省略时为 read 与 act"}),
}
