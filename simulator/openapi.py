"""The OpenAPI 3.1 document, generated from the operation tables and contracts/.

Schemas are bundled into `components/schemas` (named after their contract path) with every
`$ref` rewritten to a local pointer, so tools such as schemathesis never fetch anything.
"""

from __future__ import annotations

import copy
import re
import urllib.parse
from typing import Any

from paylab.simulator import __version__
from paylab.simulator.contracts import BASE_URI, Contracts, contract_id
from paylab.simulator.gateways.spec import Gateway, Operation

_PARAM = re.compile(r"{([^}]+)}")


def component_name(uri: str) -> str:
    """`.../contracts/stripe/payment_intent.schema.json` -> `stripe.payment_intent`."""
    return uri.removeprefix(BASE_URI).removesuffix(".schema.json").replace("/", ".")


class _Bundler:
    def __init__(self, contracts: Contracts) -> None:
        self.contracts = contracts
        self.components: dict[str, Any] = {}

    def ref(self, short: str) -> dict[str, str]:
        """A `$ref` object for a contract (with optional fragment), bundling what it needs."""
        return {"$ref": self._pointer(contract_id(short))}

    def _pointer(self, absolute: str) -> str:
        uri, _, fragment = absolute.partition("#")
        self._include(uri)
        return f"#/components/schemas/{component_name(uri)}{fragment}"

    def _include(self, uri: str) -> None:
        name = component_name(uri)
        if name in self.components:
            return
        self.components[name] = {}  # placeholder breaks reference cycles
        schema = copy.deepcopy(self.contracts.schemas[uri])
        schema.pop("$id", None)
        schema.pop("$schema", None)
        self.components[name] = self._rewrite(schema, uri)

    def _rewrite(self, node: Any, base: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    out[key] = self._pointer(urllib.parse.urljoin(base, value))
                else:
                    out[key] = self._rewrite(value, base)
            return out
        if isinstance(node, list):
            return [self._rewrite(v, base) for v in node]
        return node


def _query_parameters(bundler: _Bundler, op: Operation) -> list[dict[str, Any]]:
    if not op.query:
        return []
    resolved = bundler.contracts.registry.resolver().lookup(contract_id(op.query)).contents
    params = []
    required = set(resolved.get("required", ()))
    for name, schema in resolved.get("properties", {}).items():
        sub = bundler._rewrite(schema, contract_id(op.query).partition("#")[0])
        target = _resolve_type(bundler, schema, contract_id(op.query))
        if target == "array":  # bracket notation, as Stripe clients send arrays
            params.append({"name": f"{name}[]", "in": "query", "schema": sub,
                           "style": "form", "explode": True})
        elif target == "object":
            params.append({"name": name, "in": "query", "schema": sub,
                           "style": "deepObject", "explode": True})
        else:
            params.append({"name": name, "in": "query", "schema": sub})
        if name in required:  # a search's `query`, control filters that must be given
            params[-1]["required"] = True
    return params


def _resolve_type(bundler: _Bundler, schema: dict[str, Any], base: str) -> str | None:
    if "$ref" in schema:
        resolved = bundler.contracts.registry.resolver(base.partition("#")[0]).lookup(
            schema["$ref"])
        return resolved.contents.get("type") if isinstance(resolved.contents, dict) else None
    kind = schema.get("type")
    return kind if isinstance(kind, str) else None


def _operation(bundler: _Bundler, gateway: str, op: Operation, error_ref: str | None,
               secured: bool, security: list[dict[str, list[str]]] | None = None,
               guard_statuses: frozenset[int] = frozenset({421})) -> dict[str, Any]:
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                "maxLength": 255}}
        for p in _PARAM.findall(op.path)
    ] + _query_parameters(bundler, op)
    success: dict[str, Any] = {"description": "Created" if op.success == 201 else "OK"}
    if op.response:
        success["content"] = {"application/json": {"schema": bundler.ref(op.response)}}
        success["content"].update({media: {"schema": {"type": "string"}}
                                   for media in op.alternates})
    responses: dict[str, Any] = {str(op.success): success}
    statuses = set(op.errors) | ({401} if secured else set())
    if op.method == "POST":
        statuses |= {413}
    if op.request or op.query or op.request_body:
        statuses |= {400}
    statuses |= {503} if secured else set()
    statuses |= guard_statuses  # the guard's refusals: a foreign Host, no control token...
    for status in sorted(statuses):
        error: dict[str, Any] = {"description": f"{gateway} error"}
        if error_ref:
            error["content"] = {"application/json": {"schema": bundler.ref(error_ref)}}
        responses[str(status)] = error
    out: dict[str, Any] = {
        "operationId": f"{gateway}.{op.operation_id}",
        "summary": op.summary,
        "tags": [gateway],
        "parameters": parameters,
        "responses": responses,
    }
    body = op.request or op.request_body
    if body:
        out["requestBody"] = {
            "required": False,
            "content": {op.content_type: {"schema": bundler.ref(body)}},
        }
    if secured:
        out["security"] = [{gateway: []}]
    if security is not None:
        out["security"] = security
    return out


def _link_creates(paths: dict[str, dict[str, Any]], gateway: Gateway) -> None:
    """OpenAPI links from each create to the operations on what it created, so stateful
    fuzzing (schemathesis) chains real objects: POST /v1/x -> GET|POST /v1/x/{id}/..."""
    for create in gateway.operations:
        if create.method != "POST" or _PARAM.search(create.path):
            continue
        links = {}
        for op in gateway.operations:
            params = _PARAM.findall(op.path)
            if len(params) == 1 and op.path.startswith(create.path + "/{"):
                links[op.operation_id] = {
                    "operationId": f"{gateway.name}.{op.operation_id}",
                    "parameters": {f"path.{params[0]}": "$response.body#/id"},
                }
        if links:
            responses = paths[gateway.prefix + create.path]["post"]["responses"]
            responses[str(create.success)]["links"] = links


#: The control token (only when the simulator runs with --control-token).
CONTROL_SCHEMES: dict[str, Any] = {
    "controlToken": {"type": "http", "scheme": "bearer", "description":
                     "The simulator's --control-token, needed by every /_sim operation when "
                     "it is set (health then answers only its status). The dashboard's "
                     "login at /_sim/login sets a session cookie instead."},
    "controlTokenHeader": {"type": "apiKey", "in": "header", "name": "X-Paylab-Control-Token",
                           "description": "The same token in its own header."},
}
#: Reads a tenant's own API key may make, with tenant= set to that tenant.
_TENANT_READS = frozenset({"Journal", "Ledger", "Webhooks"})


def _control_security(op: Operation, tenant_schemes: list[dict[str, list[str]]],
                      ) -> list[dict[str, list[str]]]:
    # `{}` first: without --control-token (loopback) no credential is needed
    if op.operation_id == "Health":
        return [{}]
    found: list[dict[str, list[str]]] = [{}, {"controlToken": []}, {"controlTokenHeader": []}]
    return found + (tenant_schemes if op.operation_id in _TENANT_READS else [])


def _control_statuses(op: Operation) -> frozenset[int]:
    if op.operation_id == "Health":
        return frozenset({421})
    statuses = {401, 403, 421}  # no or wrong token; cross-site or a tenant's key; foreign Host
    if op.method != "GET" and (op.request or op.request_body):
        statuses.add(415)  # a browser sending JSON as text/plain or a form
    return frozenset(statuses)


def build_openapi(
    contracts: Contracts, gateways: list[Gateway], control: tuple[Operation, ...]
) -> dict[str, Any]:
    """The whole document: every gateway's operations and the control API."""
    bundler = _Bundler(contracts)
    paths: dict[str, dict[str, Any]] = {}
    schemes: dict[str, Any] = {}
    for gateway in gateways:
        if gateway.security_scheme:
            schemes[gateway.name] = gateway.security_scheme
        for op in gateway.operations:
            paths.setdefault(gateway.prefix + op.path, {})[op.method.lower()] = _operation(
                bundler, gateway.name, op, gateway.error_contract, bool(gateway.security_scheme))
        _link_creates(paths, gateway)
    schemes.update(CONTROL_SCHEMES)
    tenant_schemes = [{g.name: []} for g in gateways if g.security_scheme]
    for op in control:
        paths.setdefault("/_sim" + op.path, {})[op.method.lower()] = _operation(
            bundler, "control", op, "common/error", secured=False,
            security=_control_security(op, tenant_schemes),
            guard_statuses=_control_statuses(op))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "paylab simulator",
            "version": __version__,
            "description": "Stateful payment gateway simulator and its control API. Generated "
                           "from the operation tables and the JSON Schemas in contracts/.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": bundler.components, "securitySchemes": schemes},
    }
