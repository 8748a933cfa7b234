"""Accept a WebSocket only when its token query parameter is right."""

import os
import secrets

from fastapi import FastAPI, HTTPException, WebSocket

# Demo default; set DEMO_TOKEN to choose your own secret.
TOKEN = os.environ.get("DEMO_TOKEN", "let-me-in")
if not TOKEN:  # else ?token= (empty) would pass
    raise SystemExit("DEMO_TOKEN is set but empty: set a token, or unset it")

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket, token: str) -> None:
    if not secrets.compare_digest(token.encode(), TOKEN.encode()):
        raise HTTPException(status_code=401, detail="Invalid token")
    await websocket.accept()
    await websocket.send_text("Hello, authenticated client!")
    await websocket.close()
