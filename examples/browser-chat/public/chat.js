// The chat page's only script: the Switchboard SDK bundle does connect, authenticate (with a
// token function, so tokens are refreshed), heartbeats, reconnects and re-joins the lobby.
import { createClient } from "/switchboard-client.js";

const ROOM = "chat-lobby";
const $ = (selector) => document.querySelector(selector);
let client;
let me;

function show(text, className = "") {
  const li = document.createElement("li");
  li.textContent = text;
  li.className = className;
  $("#log").append(li);
  li.scrollIntoView({ block: "end" });
}

function showStatus() {
  const rtt = client.rtt === undefined ? "" : ` · rtt ${Math.round(client.rtt)} ms`;
  const lock = client.encrypted ? " · end-to-end encrypted" : "";
  $("#status").textContent = `${client.state}${lock}${rtt}`;
}

async function token() {
  const res = await fetch(`/token?name=${encodeURIComponent(me)}`);
  if (!res.ok) throw new Error((await res.json()).error);
  return (await res.json()).token;
}

$("#join").addEventListener("submit", async (e) => {
  e.preventDefault();
  me = new FormData(e.target).get("name").trim();
  $("#join").hidden = true;
  const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  client = createClient({ url: wsUrl, token, heartbeatMs: 5000 });
  client.on("state", showStatus);
  client.on("close", ({ code, reason, willReconnect }) => show(`disconnected (${code} ${reason})${willReconnect ? ", reconnecting…" : ""}`));
  client.on("chat:message", (m) => show(`${m.from}: ${m.text}`, m.from === me ? "me" : ""));
  setInterval(showStatus, 1000);
  await client.join(ROOM);
  show(`joined ${ROOM} as ${me}`);
  $("#send").hidden = false;
  $("#send [name=text]").focus();
});

$("#send").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $("#send [name=text]");
  const text = input.value;
  input.value = "";
  try {
    await client.request("chat:send", { text });
  } catch (err) {
    show(`not sent: ${err.message}`);
  }
});
