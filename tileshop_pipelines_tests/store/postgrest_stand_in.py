"""A small server speaking the part of PostgREST the `supabase` client uses, on a real Postgres.

PostgREST itself cannot be installed here (no Debian package, only client libraries on PyPI and
npm; the Supabase CLI needs Docker). This stand-in follows PostgREST's semantics for the paths
the vector store calls, so the real `supabase` client can be tested end to end:

- the JWT (HS256, `role` claim) from `Authorization: Bearer` picks the Postgres role for the
  request (`SET LOCAL ROLE`), so grants and row level security apply as on Supabase;
- each request is one transaction;
- `GET|POST|DELETE /rest/v1/<table>` with `select`, `order`, `offset`, `limit`, `on_conflict`,
  `columns` and `eq.`/`in.` filters; POST rows go through `json_populate_recordset`, as in
  PostgREST, and `Prefer: resolution=merge-duplicates` makes an upsert;
- `POST /rest/v1/rpc/<function>` with named arguments from the JSON body;
- errors come back as PostgREST's `{code, message, details, hint}` (42501 -> 401 for anon, else 403).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time

import psycopg
import uvicorn
from psycopg import sql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROLES = ("anon", "authenticated", "service_role")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(secret: str, role: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"role": role, "iss": "supabase", "exp": int(time.time()) + 3600}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message, "details": details, "hint": hint}


def _claims(request: Request, secret: str) -> dict:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise ApiError(401, "PGRST301", "No JWT")
    token = auth.split(" ", 1)[1]
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected), signature):
            raise ApiError(401, "PGRST301", "JWSError JWSInvalidSignature")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        raise ApiError(401, "PGRST301", "Invalid JWT") from None
    if claims.get("role") not in ROLES:
        raise ApiError(401, "PGRST301", f"role {claims.get('role')!r} is not allowed")
    return claims


def _split_in_list(text: str) -> list[str]:
    """PostgREST's in.(a,"b,c","d\\"e") list syntax."""
    if not (text.startswith("(") and text.endswith(")")):
        raise ApiError(400, "PGRST100", f"malformed in. list: {text}")
    items, current, quoted, escaped, was_quoted = [], [], False, False, False
    for ch in text[1:-1]:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted, was_quoted = not quoted, True
        elif ch == "," and not quoted:
            items.append("".join(current))
            current, was_quoted = [], False
        else:
            current.append(ch)
    if current or was_quoted or items:
        items.append("".join(current))
    return items


class StandIn:
    def __init__(self, database_url: str, jwt_secret: str):
        self.database_url = database_url
        self.jwt_secret = jwt_secret
        self.requests: list[tuple[str, str]] = []  # (method, path) seen, for the tests
        self.app = Starlette(
            routes=[
                Route("/rest/v1/rpc/{function}", self.rpc, methods=["POST"]),
                Route("/rest/v1/{table}", self.table, methods=["GET", "POST", "DELETE"]),
            ]
        )
        self._server: uvicorn.Server | None = None

    # --- HTTP ---------------------------------------------------------------------------------
    async def table(self, request: Request) -> Response:
        return await self._handle(request, self._table_sql)

    async def rpc(self, request: Request) -> Response:
        return await self._handle(request, self._rpc_sql)

    async def _handle(self, request: Request, build) -> Response:
        self.requests.append((request.method, request.url.path))
        try:
            claims = _claims(request, self.jwt_secret)
            body = await request.body()
            payload = json.loads(body) if body else None
            with psycopg.connect(self.database_url) as conn, conn.transaction():
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(claims["role"])))
                conn.execute("SELECT set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
                status, result = build(conn, request, payload)
        except ApiError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        except psycopg.Error as exc:
            diag = exc.diag
            status = (401 if claims["role"] == "anon" else 403) if diag.sqlstate == "42501" else 400
            return JSONResponse(
                {
                    "code": diag.sqlstate,
                    "message": diag.message_primary,
                    "details": diag.message_detail,
                    "hint": diag.message_hint,
                },
                status_code=status,
            )
        if result is None:
            return Response(status_code=status)
        return JSONResponse(result, status_code=status)

    # --- SQL ----------------------------------------------------------------------------------
    @staticmethod
    def _columns(conn: psycopg.Connection, table: str) -> dict[str, str]:
        rows = conn.execute(
            "SELECT column_name, is_generated FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s",
            (table,),
        ).fetchall()
        if not rows:
            raise ApiError(404, "PGRST205", f"Could not find the table 'public.{table}' in the schema cache")
        return dict(rows)

    def _filters(self, request: Request, columns: dict[str, str]) -> tuple[sql.Composable, list]:
        clauses, params = [], []
        reserved = {"select", "order", "offset", "limit", "on_conflict", "columns"}
        for name, value in request.query_params.multi_items():
            if name in reserved:
                continue
            if name not in columns:
                raise ApiError(400, "42703", f"column {name} does not exist")
            op, _, operand = value.partition(".")
            if op == "eq":
                clauses.append(sql.SQL("{} = %s").format(sql.Identifier(name)))
                params.append(operand)
            elif op == "in":
                clauses.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(name)))
                params.append(_split_in_list(operand))
            else:
                raise ApiError(400, "PGRST100", f"operator {op!r} is not supported by this stand-in")
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("")
        return where, params

    def _table_sql(self, conn: psycopg.Connection, request: Request, payload):
        table = request.path_params["table"]
        columns = self._columns(conn, table)
        ident = sql.Identifier("public", table)
        prefer = request.headers.get("prefer", "")
        if request.method == "GET":
            wanted = [c for c in request.query_params.get("select", "*").split(",") if c]
            if wanted != ["*"] and not set(wanted) <= set(columns):
                raise ApiError(400, "42703", f"unknown columns in select={wanted}")
            select = sql.SQL("*") if wanted == ["*"] else sql.SQL(", ").join(map(sql.Identifier, wanted))
            where, params = self._filters(request, columns)
            query = sql.SQL("SELECT coalesce(json_agg(r), '[]') FROM (SELECT {} FROM {}{}").format(select, ident, where)
            if "order" in request.query_params:
                column, _, direction = request.query_params["order"].partition(".")
                if column not in columns:
                    raise ApiError(400, "42703", f"column {column} does not exist")
                query += sql.SQL(" ORDER BY {} {}").format(
                    sql.Identifier(column), sql.SQL("DESC" if direction == "desc" else "ASC")
                )
            query += sql.SQL(" LIMIT %s OFFSET %s) r")
            params += [int(request.query_params.get("limit", 1000)), int(request.query_params.get("offset", 0))]
            return 200, conn.execute(query, params).fetchone()[0]
        if request.method == "POST":
            rows = payload if isinstance(payload, list) else [payload]
            names = (
                request.query_params.get("columns", "").replace('"', "").split(",")
                if "columns" in request.query_params
                else list(rows[0])
            )
            if not set(names) <= set(columns) or any(columns[n] == "ALWAYS" for n in names):
                raise ApiError(400, "PGRST204", f"columns {names} are not all writable columns of {table}")
            cols = sql.SQL(", ").join(map(sql.Identifier, names))
            query = sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM json_populate_recordset(NULL::{t}, %s)").format(
                t=ident, c=cols
            )
            if "resolution=merge-duplicates" in prefer:
                conflict = request.query_params.get("on_conflict", "id").split(",")
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in names if n not in conflict
                )
                query += sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, conflict)), updates
                )
            conn.execute(query, (json.dumps(rows),))
            return 201, None
        where, params = self._filters(request, columns)
        if where.as_string(conn) == "":
            raise ApiError(400, "21000", "DELETE requires a WHERE clause")
        conn.execute(sql.SQL("DELETE FROM {}{}").format(ident, where), params)
        return 204, None

    def _rpc_sql(self, conn: psycopg.Connection, request: Request, payload):
        function = request.path_params["function"]
        found = conn.execute(
            "SELECT p.proargnames, p.proargmodes, p.proretset, p.prorettype::regtype::text,"
            " array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t)"
            " FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname = %s",
            (function,),
        ).fetchall()
        if len(found) != 1:
            raise ApiError(404, "PGRST202", f"Could not find the function public.{function} in the schema cache")
        names, modes, returns_set, return_type, in_types = found[0]
        in_names = [n for n, m in zip(names or [], modes or ["i"] * len(names or []), strict=True) if m in ("i", "b")]
        args = payload or {}
        unknown = set(args) - set(in_names)
        if unknown:
            raise ApiError(404, "PGRST202", f"public.{function} has no parameters {sorted(unknown)}")
        # Every argument goes in as text and is cast to the parameter's type, as PostgREST does.
        named = [
            sql.SQL("{} => %s::{}").format(sql.Identifier(n), sql.SQL(t))
            for n, t in zip(in_names, in_types, strict=False)
            if n in args
        ]  # unnamed arguments: no names
        values = [a if isinstance(a, str) else json.dumps(a) for a in (args[n] for n in in_names if n in args)]
        call = sql.SQL("{}({})").format(sql.Identifier("public", function), sql.SQL(", ").join(named))
        if returns_set or return_type == "record":
            query = sql.SQL("SELECT coalesce(json_agg(r), '[]') FROM {} r").format(call)
        else:
            query = sql.SQL("SELECT to_json({})").format(call)
        return 200, conn.execute(query, values).fetchone()[0]

    # --- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> StandIn:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
