"""uvicorn's own tests, run on the prototype of uvicorn #3085."""
