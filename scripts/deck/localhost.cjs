// Preloaded into marp-cli by `make serve` (NODE_OPTIONS=--require ...).
// marp-cli's server has no host option and listens on every interface:
// the deck on PORT, its watch notifier on 37717. On a venue network that
// shows the whole repository to the room. This makes every listen() that
// names no host listen on HOST, 127.0.0.1 unless set: `HOST=0.0.0.0 make
// serve` opens it on purpose. It also lets SIGTERM stop the server, and
// stops it when its parent (scripts/deck/build.py) is gone, even SIGKILLed.
"use strict";
const net = require("node:net");

const host = process.env.HOST || "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.host === undefined && first.path === undefined) {
      args[0] = { ...first, host };
    }
  } else if (typeof first === "number" || /^\d+$/.test(String(first))) {
    if (typeof args[1] !== "string") {
      args.splice(1, args[1] === undefined ? 1 : 0, host);
    }
  }
  return listen.apply(this, args);
};

process.on("SIGTERM", () => process.exit(0));
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
