"""The OpenAPI 3.1 document of the API. Request bodies of the steps are read from the step forms themselves."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.api.follow_up_routes import DECISIONS
from app.api.form_fields import form_schema
from app.api.openapi_schemas import SCHEMAS, body_schema_ref
from app.deadlines.forms import ExtensionDecisionForm, ExtensionRequestForm
from app.exports import DOCX, XLSX
from app.plans.forms import ImportForm, ItemForm
from app.rectification.forms import RectificationFromReviewForm, UrgeForm
from app.services.lifecycle.work_items import MAX_PAGE_SIZE, PAGE_SIZE
from app.steps import STEPS
from app.tasks.forms import CommentForm, InstructionForm

ERRORS = {
    "400": ("请求有误:JSON 格式、字段校验(fields 给出各字段的提示)、CSRF 校验失败,或含有无法处理的内容(如空字符)",
            "FormError"),
    "401": ("未登录:缺少或无效的会话或令牌", "Error"),
    "403": ("无权访问:不属于本人、本单位或本角色,或令牌没有所需的权限范围", "Error"),
    "404": ("不存在", "Error"),
    "409": ("状态已改变:事项已办理或已撤销,令牌已吊销", "Error"),
    "429": ("请求过于频繁:该令牌的调用次数已达上限(见 Retry-After)", "Error"),
}


#: A row id: id columns are INTEGER, 32 bits on PostgreSQL; anything else names no row (404).
ID = {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2**31 - 1}


#: Paging of a list: past the last page answers the last page, below 1 the first; per_page is capped.
PAGING = [
    {"name": "page", "in": "query", "required": False, "description": "页码,从 1 开始",
     "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "default": 1}},
    {"name": "per_page", "in": "query", "required": False, "description": f"每页条数,最多 {MAX_PAGE_SIZE}",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE}},
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _operation(operation_id: str, summary: str, ok: tuple[str, str, str], errors: str,
               body: str | None = None, parameter: str | None = None) -> dict[str, Any]:
    """One operation: ``ok`` is (status, schema, description); ``errors`` lists the error statuses.

    Any request may be refused as malformed before its view runs, so every operation documents 400;
    any token request may be past its rate limit, so every operation documents 429.
    """
    codes = sorted({"400", "429", *errors.split()})
    operation: dict[str, Any] = {
        "operationId": operation_id, "summary": summary,
        "responses": {ok[0]: _json(ok[1], ok[2]), **{code: {"$ref": f"#/components/responses/E{code}"}
                                                     for code in codes}},
    }
    if parameter:
        operation["parameters"] = [{"name": parameter, "in": "path", "required": True, "schema": ID}]
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


#: Which plans and items a figure or document covers, and as of which day (as the dashboards' URLs say it).
SCOPE = [
    {"name": "plan", "in": "query", "required": False, "description": "工作计划或督办事项的编号;省略时为全部",
     "schema": ID},
    {"name": "source", "in": "query", "required": False,
     "description": "督办事项的来源(如 leader_instruction 领导批示),与 plan 二选一", "schema": {"type": "string"}},
    {"name": "as_of", "in": "query", "required": False, "description": "统计日,年-月-日;省略时为今天(北京时间)",
     "schema": {"type": "string", "format": "date"}},
]


def _file_operation() -> dict[str, Any]:
    """GET /api/exports/{kind}: the file itself, or a job for a large plan."""
    kinds = {"ledger": "督查台账(.xlsx)", "bulletin": "督查通报(.docx)", "assessment": "考核评分(.xlsx)"}
    operation = _operation("api.export", "导出文件(督审处、领导、管理员):" + "、".join(kinds.values())
                           + ";任务较多的计划在后台生成,返回 202 及导出任务", ("202", "ExportJob", "后台生成中"),
                           "401 403 404")
    kind = {"name": "kind", "in": "path", "required": True, "schema": {"enum": list(kinds)},
            "description": ";".join(f"{key} {label}" for key, label in kinds.items())}
    return {**_file_download(operation), "parameters": [kind, *SCOPE]}


def _file_download(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation answering 200 with a document file instead of JSON."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    operation["responses"]["200"] = {"description": "文件", "content": {XLSX: binary, DOCX: binary}}
    return operation


def _paths() -> dict[str, Any]:
    return {
        "/api/openapi.json": {"get": {**_operation("api.openapi", "本文档", ("200", "Document", "OpenAPI 文档"), ""),
                                      "security": []}},
        "/api/work-items": {"get": {**_operation(
            "api.list_work_items", "我的待办(与待办页面同一规则,分页)", ("200", "WorkItemList", "待办列表"), "401"),
            "parameters": PAGING}},
        "/api/work-items/{item_id}": {"get": _operation(
            "api.work_item", "一个待办及其表单字段", ("200", "WorkItemDetail", "待办与字段"), "401 403 404",
            parameter="item_id")},
        "/api/work-items/{item_id}/complete": {"post": _operation(
            "api.complete_work_item", "办理待办:以该环节表单的字段提交(与页面同一表单校验、同一服务;不含附件)",
            ("200", "Completion", "已办理"), "400 401 403 404 409", body="CompletionRequest", parameter="item_id")},
        "/api/items": {"post": _operation(
            "api.create_item", "督办事项立项(仅督审处):领导批示、会议议定、上级交办、人大建议、政协提案等,"
            "单位名称按单位目录及别名识别;立项后即编号并由牵头单位分解", ("201", "Task", "已立项的督办事项"),
            "400 401 403 409", body="ItemRequest")},
        "/api/tasks/{task_id}": {"get": _operation(
            "api.task", "任务及其全部办理记录", ("200", "Task", "任务详情"), "401 403 404", parameter="task_id")},
        "/api/tokens": {
            "get": _operation("api.list_tokens", "我的 API 令牌", ("200", "TokenList", "令牌列表"), "401"),
            "post": _operation("api.issue_token", "签发 API 令牌(仅限登录会话;令牌只在此返回一次)",
                               ("201", "IssuedToken", "新令牌"), "400 401 403", body="TokenRequest"),
        },
        "/api/dashboard": {"get": {**_operation(
            "api.dashboard",
            "督查看板的数字(督审处、领导、管理员):总数、任务状态、各部分和各单位的进度,注明统计日 as_of",
            ("200", "Dashboard", "看板数字"), "401 403 404"), "parameters": SCOPE}},
        "/api/exports/{kind}": {"get": _file_operation()},
        "/api/exports/jobs/{job_id}": {"get": _operation(
            "api.export_job", "后台导出任务的进度(仅本人的)", ("200", "ExportJob", "导出任务"), "401 403 404",
            parameter="job_id")},
        "/api/exports/jobs/{job_id}/file": {"get": _file_download(_operation(
            "api.export_job_file", "后台导出任务生成的文件(生成完毕后)", ("200", "Document", "文件"), "401 403 404",
            parameter="job_id"))},
        "/api/work-items/{item_id}/urge": {"post": _operation(
            "api.urge", "催办(仅督审处):责任单位收到站内通知和邮件;同一内容短时间内不能重复,每天次数有限",
            ("201", "Urge", "已催办"), "401 403 404 409", body="UrgeRequest", parameter="item_id")},
        "/api/work-items/{item_id}/extension": {"post": _operation(
            "api.request_extension", "申请延期(本单位未办结的事项;同一事项同时只能有一个待审批的申请)",
            ("201", "Extension", "已提交"), "401 403 404 409", body="ExtensionRequestBody", parameter="item_id")},
        "/api/extensions": {"get": _operation(
            "api.pending_extensions", "待审批的延期申请(仅督审处)", ("200", "ExtensionList", "延期申请"), "401 403")},
        "/api/extensions/{request_id}/decide": {"post": _operation(
            "api.decide_extension", "审批延期申请(仅督审处):批准(可改日期)或不予批准(须填写审批意见)",
            ("200", "Extension", "已审批"), "401 403 404 409", body="ExtensionDecision", parameter="request_id")},
        "/api/tasks/{task_id}/comments": {"post": _operation(
            "api.comment", "在任务下留言(能查看该任务的用户)", ("201", "Post", "已发表"), "401 403 404",
            body="CommentRequest", parameter="task_id")},
        "/api/tasks/{task_id}/instructions": {"post": _operation(
            "api.instruct", "领导批示(仅局领导);责任单位在待办中确认", ("201", "Post", "已批示"), "401 403 404",
            body="InstructionRequest", parameter="task_id")},
        "/api/plans": {"get": _operation(
            "api.plans", "全部工作计划和督办事项(督审处、领导、管理员),新的在前,已归档的在后",
            ("200", "PlanList", "计划"), "401 403")},
        "/api/plans/{plan_id}": {"get": _operation(
            "api.plan", "一个工作计划或督办事项及其任务", ("200", "PlanDetail", "计划及任务"), "401 403 404",
            parameter="plan_id")},
        "/api/plans/import": {"post": _operation(
            "api.start_import",
            "导入工作要点(仅督审处):粘贴正文,返回解析预览(任务、已识别与无法识别的单位名称),尚未保存为计划",
            ("201", "ImportPreview", "导入预览"), "401 403 409", body="ImportRequest")},
        "/api/plans/import/{draft_id}/confirm": {"post": _operation(
            "api.confirm_import",
            "确认导入(仅督审处):所有名称均已识别时保存为计划;无法识别的名称和修订版须在页面上处理",
            ("201", "Plan", "已导入的计划"), "401 403 404 409", parameter="draft_id")},
        "/api/rectifications": {"get": {**_operation(
            "api.rectifications", "整改台账(仅督审处):status 为某一状态或 open(未完成的),分页",
            ("200", "RectificationList", "整改"), "401 403"), "parameters": [
                {"name": "status", "in": "query", "required": False, "description": "整改状态,或 open",
                 "schema": {"type": "string"}}, PAGING[0]]}},
        "/api/rectifications/{rectification_id}": {"get": _operation(
            "api.rectification", "一项整改(督审处与整改单位)", ("200", "Rectification", "整改"), "401 403 404",
            parameter="rectification_id")},
        "/api/reviews/{review_id}/rectification": {"post": _operation(
            "api.open_from_review", "从退回的报告审核发起整改(仅督审处);整改方案与结果及其审核在待办中办理",
            ("201", "Rectification", "已发起"), "401 403 404 409", body="RectificationRequest",
            parameter="review_id")},
        "/api/users": {"get": _operation(
            "api.users", "全部用户及其单位、角色、状态(仅系统管理员;令牌须有 admin 权限范围)",
            ("200", "UserList", "用户"), "401 403")},
        "/api/units": {"get": _operation(
            "api.units", "单位目录及别名(仅系统管理员;令牌须有 admin 权限范围)", ("200", "UnitList", "单位"),
            "401 403")},
        "/api/tokens/{token_id}": {"delete": _operation(
            "api.revoke_token", "吊销令牌(本人的,或管理员吊销任何人的)", ("200", "Token", "已吊销"),
            "401 403 404 409", parameter="token_id")},
    }


def _step_schemas() -> dict[str, Any]:
    """Per form key, from the page's form class: its fields (Step_<key>) and its completion body (<key>)."""
    schemas: dict[str, Any] = {}
    for key, step in STEPS.items():
        fields = form_schema(step.form(formdata=MultiDict(), meta={"csrf": False}))
        schemas[f"Step_{key}"] = {**fields, "title": key, "description": f"form_key = {key}"}
        schemas[key] = _completion_body(key, fields)
    mapping = {key: body_schema_ref(key) for key in STEPS}
    schemas["CompletionRequest"] = {
        "description": "办理一个待办的请求体:form 写该待办的 form_key(GET /api/work-items/{item_id} 的 body_schema"
                       "指向对应的结构),其余为该环节表单的字段。",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "form", "mapping": mapping},
    }
    return schemas


def _form_body(form_type: type[FlaskForm], title: str, description: str) -> dict[str, Any]:
    """The body a page's form takes, read from the form class itself."""
    fields = form_schema(form_type(formdata=MultiDict(), meta={"csrf": False}))
    return {**fields, "title": title, "description": description}


def _import_body() -> dict[str, Any]:
    """The import page's form less what the API does not take: the file (paste instead) and the revision choice."""
    body = _form_body(ImportForm, "ImportRequest", "导入工作要点的请求体:pasted 为正文(必填),year 为计划年度(可选)")
    body["properties"].pop("revises", None)
    body["required"] = ["pasted"]
    return body


def _form_schemas() -> dict[str, Any]:
    """Request bodies of the actions beside the steps, one per page form."""
    decision = _form_body(ExtensionDecisionForm, "ExtensionDecision",
                          "审批延期申请的请求体,字段与审批页面相同;decision 对应页面的两个按钮;"
                          "省略 granted_due 时按申请的日期批准。")
    decision["properties"]["decision"] = {"enum": list(DECISIONS), "description": "approve 批准;refuse 不予批准"}
    decision["required"] = ["decision"]  # omitted, granted_due is the day asked for, as the page fills it in
    return {
        "ItemRequest": _form_body(ItemForm, "ItemRequest", "督办事项立项的请求体,字段与立项页面相同;"
                                  "日期写作 年-月-日,单位多个用顿号分隔。"),
        "UrgeRequest": _form_body(UrgeForm, "UrgeRequest", "催办的请求体"),
        "ImportRequest": _import_body(),
        "RectificationRequest": _form_body(RectificationFromReviewForm, "RectificationRequest",
                                           "发起整改的请求体:problems 每行一个问题;日期写作 年-月-日"),
        "ExtensionRequestBody": _form_body(ExtensionRequestForm, "ExtensionRequestBody",
                                           "申请延期的请求体;日期写作 年-月-日"),
        "ExtensionDecision": decision,
        "CommentRequest": _form_body(CommentForm, "CommentRequest", "留言的请求体"),
        "InstructionRequest": _form_body(InstructionForm, "InstructionRequest", "领导批示的请求体"),
    }


def _completion_body(key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The body completing an item of form ``key``: ``form`` names the form, the rest are its fields."""
    form = {"type": "string", "const": key,
            "description": "该待办的 form_key;与待办不符时返回 400 form_mismatch(省略时按待办的表单处理,仅为兼容)"}
    return {"type": "object", "title": key, "description": f"办理 form_key = {key} 的待办",
            "properties": {"form": form, **fields["properties"]},
            "required": ["form", *fields.get("required", [])]}


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "督办 Duban API", "version": "1.0",
                 "description": "与页面同一套权限规则。认证:会话 Cookie(不安全方法须带请求头 X-CSRFToken),"
                                "或 Authorization: Bearer <令牌>"
                                "(令牌用 `duban token create` 或 POST /api/tokens 签发)。"
                                "令牌的权限范围:read 可调用 GET,act 可提交与变更,admin 可管理用户与单位;"
                                "每个令牌有调用频率上限,超出时返回 429 及 Retry-After。"
                                "错误统一返回 {error_code, message}。"},
        "paths": _paths(),
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API 令牌"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "页面登录的会话;POST/DELETE 须带请求头 X-CSRFToken"},
            },
            "schemas": {**SCHEMAS, **_step_schemas(), **_form_schemas()},
            "responses": {f"E{code}": _json(schema, text) for code, (text, schema) in ERRORS.items()},
        },
    }
