"""Accept a WebSocket only when its token query parameter is right."""

import os
import secrets

from fastapi import FastAPI, HTTPException, WebSocket

if os.environ.get("DEMO_TOKEN") == "":  # it would accept ?token=
    raise SystemExit("DEMO_TOKEN is set but empty: set a token, or unset it")

# --8<-- [start:app]
TOKEN = os.environ.get("DEMO_TOKEN", "let-me-in")  # or set DEMO_TOKEN
app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket, token: str) -> None:
    if not secrets.compare_digest(token.encode(), TOKEN.encode()):
        raise HTTPException(
            status_code=401,
            detail="Invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await websocket.accept()
    await websocket.send_text("Hello, authenticated client!")
    await websocket.close()
# --8<-- [end:app]
