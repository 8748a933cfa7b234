"""Raise HTTPException in a WebSocket route: the client gets a real 401."""

from fastapi import FastAPI, HTTPException, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    raise HTTPException(status_code=401)
