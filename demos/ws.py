"""Close a WebSocket before accepting it: the client only sees HTTP 403."""

from fastapi import FastAPI, WebSocket

# --8<-- [start:app]
app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.close()
# --8<-- [end:app]
