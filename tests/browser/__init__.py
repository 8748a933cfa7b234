"""The demos as Chromium sees them: what page JavaScript, the console and
DevTools get from a refused WebSocket, a trailers demo and a stream left
midway."""
