// The `switchboard` entry as Node.js sees it: the server needs Bun. Loading it on Node fails
// with this one clear message instead of an unknown-extension error on the TypeScript sources.
throw new Error(
  "Switchboard's server needs the Bun runtime (npm install bun, then run with bun). " +
    "The emitter (switchboard/emitter) and the client SDK (switchboard/client) also run on Node.js.",
);
