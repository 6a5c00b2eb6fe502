"""The API's reference page, ``/developers/api``: the app's own OpenAPI document rendered on
the server, so every endpoint any module registers appears on it as it is documented.

The words around the document are the site's (translated); the document's own summaries
and descriptions stay as written, in English."""

from dataclasses import dataclass, field
from itertools import groupby

import limits
from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from diaspora.api import PREFIX, SECURITY_SCHEME
from diaspora.api.auth import SAFE_METHODS
from diaspora.api.problems import PROBLEM_JSON

bp = Blueprint("reference", __name__)

API_EXTENSION = "diaspora.api"
METHODS = ("get", "post", "put", "patch", "delete")
LIMITS = (
    ("minimum", _l("at least %(value)s")),
    ("maximum", _l("at most %(value)s")),
    ("minLength", _l("at least %(value)s characters")),
    ("maxLength", _l("at most %(value)s characters")),
    ("minItems", _l("at least %(value)s values")),
    ("maxItems", _l("at most %(value)s values")),
    ("pattern", _l("matches %(value)s")),
    ("default", _l("default %(value)s")),
)


# The groups of operations (the document's tags), named in the reader's language.
GROUPS = {
    "api_public": _l("Public data"),
    "api_manage": _l("With a key: projects, applications and moderation"),
}


def _per(amount: int, unit: str) -> str | None:
    """``amount`` requests per ``unit`` in words, or None for a unit not named here."""
    if unit == "second":
        return ngettext("%(num)d request a second", "%(num)d requests a second", amount)
    if unit == "minute":
        return ngettext("%(num)d request a minute", "%(num)d requests a minute", amount)
    if unit == "hour":
        return ngettext("%(num)d request an hour", "%(num)d requests an hour", amount)
    if unit == "day":
        return ngettext("%(num)d request a day", "%(num)d requests a day", amount)
    return None


def limit_in_words(text: str) -> Markup:
    """A rate limit as configured (``"600 per minute"``, ``"10/second;1000/day"``) in the
    reader's words, each limit of several joined; one that cannot be said so (``"10 per 2
    hours"``) is shown as written, as code."""
    try:
        items = limits.parse_many(text)
    except ValueError:
        items = []
    said = []
    for item in items:
        words = _per(item.amount, item.GRANULARITY.name) if item.multiples == 1 else None
        if words is None:
            return Markup('<code dir="ltr">%s</code>') % text
        said.append(words)
    if not said:
        return Markup('<code dir="ltr">%s</code>') % text
    return Markup("; ").join(said)


@dataclass
class Field:
    """One line of a schema: its dotted path (``items[].id``), type and constraints."""

    name: str
    type: str
    required: bool
    description: str = ""
    limits: list[str] = field(default_factory=list)
    nullable: bool = False


@dataclass
class Response:
    status: str
    description: str
    content_type: str = ""
    fields: list[Field] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    is_problem: bool = False


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    needs_key: bool
    scope: str
    parameters: list[Field]
    body: list[Field]
    body_type: str
    responses: list[Response]
    tag: str

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}".replace("/", "-").replace("{", "").replace("}", "")


class Document:
    """Reads an OpenAPI 3 document (a dict) into operations the template lists."""

    def __init__(self, spec: dict):
        self.spec = spec

    def resolve(self, node: dict) -> dict:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            *_, kind, name = node["$ref"].split("/")
            node = self.spec.get("components", {}).get(kind, {}).get(name, {})
            seen += 1
        return node or {}

    def type_of(self, schema: dict) -> str:
        schema = self.resolve(schema)
        kind = schema.get("type", "")
        if kind == "array":
            return f"array of {self.type_of(schema.get('items', {}))}"
        if kind == "object" and "additionalProperties" in schema and not schema.get("properties"):
            inner = schema["additionalProperties"]
            return f"object of {self.type_of(inner)}" if inner else "object"
        if schema.get("format"):
            return f"{kind or 'any'} ({schema['format']})"
        return kind or "any"

    @staticmethod
    def limits_of(schema: dict) -> list[Markup]:
        """The limits of a value in words; its values (a pattern, the allowed values) as
        code, read left to right in any language."""
        found = []
        for key, text in LIMITS:
            if key in schema:
                value = schema[key]
                if key == "pattern":
                    value = Markup('<code dir="ltr">%s</code>') % value
                found.append(Markup.escape(str(text)) % {"value": value})
        if "enum" in schema:
            values = ", ".join(str(v) for v in schema["enum"])
            shown = Markup('<bdi dir="ltr">%s</bdi>') % values
            found.append(Markup.escape(_("one of: %(values)s")) % {"values": shown})
        return found

    def fields(self, schema: dict, prefix: str = "", depth: int = 0) -> list[Field]:
        """Every property of ``schema``, nested ones under their dotted path."""
        schema = self.resolve(schema)
        if depth > 6:
            return []
        if schema.get("type") == "array":
            return self.fields(schema.get("items", {}), f"{prefix}[]", depth + 1)
        inner = schema.get("additionalProperties")
        if not schema.get("properties") and isinstance(inner, dict) and inner:
            return self.fields(inner, f"{prefix}{{key}}", depth + 1)
        rows = []
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            target = self.resolve(prop)
            rows.append(
                Field(
                    path,
                    self.type_of(prop),
                    name in required,
                    prop.get("description") or target.get("description", ""),
                    self.limits_of(target if "$ref" in prop else prop),
                    bool(prop.get("nullable") or target.get("nullable")),
                )
            )
            rows.extend(self.fields(prop, path, depth + 1))
        return rows

    def parameter(self, param: dict) -> Field:
        param = self.resolve(param)
        schema = self.resolve(param.get("schema", {}))
        limits = self.limits_of(schema)
        if schema.get("type") == "array":
            limits += self.limits_of(self.resolve(schema.get("items", {})))
        return Field(
            param.get("name", ""),
            f"{param.get('in', '')}: {self.type_of(schema)}",
            bool(param.get("required")),
            param.get("description") or schema.get("description", ""),
            limits,
        )

    def response(self, status: str, answer: dict) -> Response:
        answer = self.resolve(answer)
        content = answer.get("content", {})
        content_type = next(iter(content), "")
        schema = content.get(content_type, {}).get("schema", {}) if content_type else {}
        return Response(
            status,
            answer.get("description", ""),
            content_type,
            self.fields(schema),
            [
                (name, self.resolve(header).get("description", ""))
                for name, header in answer.get("headers", {}).items()
            ],
            is_problem=content_type == PROBLEM_JSON,
        )

    def operations(self) -> list[Operation]:
        found = []
        default_security = self.spec.get("security", [])
        for path, item in self.spec.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                security = operation.get("security", default_security)
                needs_key = any(SECURITY_SCHEME in rule for rule in security)
                body = self.resolve(operation.get("requestBody", {}))
                body_type = next(iter(body.get("content", {})), "")
                body_schema = body.get("content", {}).get(body_type, {}).get("schema", {})
                found.append(
                    Operation(
                        method.upper(),
                        path,
                        operation.get("summary", ""),
                        operation.get("description", ""),
                        needs_key,
                        "read" if method.upper() in SAFE_METHODS else "write",
                        [self.parameter(p) for p in [*shared, *operation.get("parameters", [])]],
                        self.fields(body_schema),
                        body_type,
                        [
                            self.response(status, answer)
                            for status, answer in sorted(operation.get("responses", {}).items())
                        ],
                        (operation.get("tags") or [""])[0],
                    )
                )
        return found

    def problem_fields(self) -> list[Field]:
        return self.fields({"$ref": "#/components/schemas/Problem"})


def the_api():
    """The app's flask-smorest Api (``init_app`` keeps it on the app)."""
    return current_app.extensions[API_EXTENSION]


@dataclass
class Group:
    """The operations of one tag of the document, as the page's contents list them."""

    tag: str
    title: str
    description: str
    operations: list[Operation]

    @property
    def anchor(self) -> str:
        return f"group-{self.tag or 'other'}"


def groups_of(spec: dict, operations: list[Operation]) -> list[Group]:
    """The operations by tag, in the order the document lists its tags."""
    described = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    order = {name: index for index, name in enumerate(described)}
    ordered = sorted(operations, key=lambda op: order.get(op.tag, len(order)))
    return [
        Group(tag, str(GROUPS.get(tag, tag)), described.get(tag, ""), list(members))
        for tag, members in groupby(ordered, key=lambda op: op.tag)
    ]


@bp.route("/developers/api")
def api_reference():
    """The reference of the JSON API, from the document the API itself serves."""
    spec = the_api().spec.to_dict()
    document = Document(spec)
    return render_template(
        "developers/api.html",
        info=spec.get("info", {}),
        groups=groups_of(spec, document.operations()),
        problem_fields=document.problem_fields(),
        prefix=PREFIX,
        key_limit=limit_in_words(current_app.config["API_RATE_LIMIT_KEY"]),
        anonymous_limit=limit_in_words(current_app.config["API_RATE_LIMIT_ANONYMOUS"]),
    )
