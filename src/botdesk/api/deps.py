"""FastAPI dependencies as Annotated aliases, so routes read like their signatures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from botdesk.errors import Unauthorized
from botdesk.runtime import Runtime


# Plain dependencies are async: FastAPI runs a sync one in the thread pool, a hop per request.
async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _session(runtime: Annotated[Runtime, Depends(_runtime)]) -> Iterator[Session]:
    with runtime.db.session() as session:
        yield session


async def _visitor_token(
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the conversation's visitor token as 'Authorization: Bearer …'")
    return token.strip()


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
# scope="function": the unit of work commits before the response goes out, never after.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
VisitorToken = Annotated[str, Depends(_visitor_token)]
