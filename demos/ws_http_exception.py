"""Raise HTTPException in a WebSocket route: the client gets a real 401.

A 401 names the scheme to authenticate with (RFC 9110, section 15.5.2).
"""

from fastapi import FastAPI, HTTPException, WebSocket

# --8<-- [start:app]
app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    raise HTTPException(
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
# --8<-- [end:app]
