"""Reject a WebSocket handshake with a full HTTP response."""

from fastapi import FastAPI, WebSocket
from fastapi.responses import PlainTextResponse

# --8<-- [start:app]
app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    response = PlainTextResponse(
        "Unauthorized",
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
    await websocket.send_denial_response(response)
# --8<-- [end:app]
