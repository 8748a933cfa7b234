"""Send a tick every INTERVAL seconds until the client goes away."""

import asyncio
import itertools

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

# --8<-- [start:app]
INTERVAL = 10.0  # seconds between ticks

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        for tick in itertools.count(1):
            await websocket.send_text(f"tick {tick}")
            print(f"Sent tick {tick}")
            await asyncio.sleep(INTERVAL)
    except WebSocketDisconnect as exc:
        print(f"Client disconnected (code {exc.code})")
# --8<-- [end:app]
