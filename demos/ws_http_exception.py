"""Raise HTTPException in a WebSocket route: the client gets a real 401."""

from fastapi import FastAPI, HTTPException, WebSocket

# --8<-- [start:app]
app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    raise HTTPException(status_code=401)
# --8<-- [end:app]
