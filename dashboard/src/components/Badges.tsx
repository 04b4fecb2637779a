/**
 * @module dashboard/components/Badges
 * The encryption badge (icon and word, never colour alone), the client state badge and the
 * transport badge (WebSocket or receive-only SSE stream).
 */

function LockIcon({ open }: { open: boolean }) {
  return (
    <svg class="sb-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor" />
      <path d={open ? "M5 7V5a3 3 0 0 1 5.8-1" : "M5 7V5a3 3 0 0 1 6 0v2"} fill="none" stroke="currentColor" stroke-width="1.6" />
    </svg>
  );
}

export function EncryptionBadge({ encrypted }: { encrypted: boolean }) {
  return (
    <span class={encrypted ? "sb-badge sb-badge-ok" : "sb-badge sb-badge-warn"} data-encrypted={String(encrypted)}>
      <LockIcon open={!encrypted} />
      {encrypted ? "Encrypted" : "Plaintext"}
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  const kind = state === "authenticated" ? "sb-badge-neutral" : state === "disconnected" ? "sb-badge-bad" : "sb-badge-warn";
  return <span class={`sb-badge ${kind}`}>{state}</span>;
}

/** `ws` or `sse` (a receive-only Server-Sent Events stream); older servers report none: WebSocket. */
export function TransportBadge({ transport }: { transport?: "ws" | "sse" }) {
  const sse = transport === "sse";
  return (
    <span class="sb-badge sb-badge-neutral" data-transport={sse ? "sse" : "ws"} title={sse ? "Server-Sent Events (receive-only)" : "WebSocket"}>
      {sse ? "SSE" : "WS"}
    </span>
  );
}
