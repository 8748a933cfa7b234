"""Reject a WebSocket handshake with a full HTTP response."""

from fastapi import FastAPI, WebSocket
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    response = PlainTextResponse(
        "Unauthorized",
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
    await websocket.send_denial_response(response)
