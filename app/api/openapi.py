"""The OpenAPI 3.1 document of the API. Request bodies of the steps are read from the step forms themselves."""
from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from app.api.form_fields import form_schema
from app.api.openapi_schemas import SCHEMAS, body_schema_ref
from app.plans.forms import ItemForm
from app.services.lifecycle.work_items import MAX_PAGE_SIZE, PAGE_SIZE
from app.steps import STEPS

ERRORS = {
    "400": ("请求有误:JSON 格式、字段校验(fields 给出各字段的提示)、CSRF 校验失败,或含有无法处理的内容(如空字符)",
            "FormError"),
    "401": ("未登录:缺少或无效的会话或令牌", "Error"),
    "403": ("无权访问:不属于本人、本单位或本角色", "Error"),
    "404": ("不存在", "Error"),
    "409": ("状态已改变:事项已办理或已撤销,令牌已吊销", "Error"),
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

    Any request may be refused as malformed before its view runs, so every operation documents 400.
    """
    codes = sorted({"400", *errors.split()})
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


def _item_schema() -> dict[str, Any]:
    """The body registering a 督办事项: the fields of the page's 立项 form."""
    fields = form_schema(ItemForm(formdata=MultiDict(), meta={"csrf": False}))
    return {**fields, "title": "ItemRequest",
            "description": "督办事项立项的请求体,字段与立项页面相同;日期写作 年-月-日,单位多个用顿号分隔。"}


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
                                "错误统一返回 {error_code, message}。"},
        "paths": _paths(),
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API 令牌"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "页面登录的会话;POST/DELETE 须带请求头 X-CSRFToken"},
            },
            "schemas": {**SCHEMAS, **_step_schemas(), "ItemRequest": _item_schema()},
            "responses": {f"E{code}": _json(schema, text) for code, (text, schema) in ERRORS.items()},
        },
    }
