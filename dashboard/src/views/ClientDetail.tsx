/**
 * @module dashboard/views/ClientDetail
 * The detail panel of one client: identity, encryption, rooms and metadata; for an admin, join
 * or leave a room on its behalf and disconnect it (4007). Escape closes it (from anywhere in
 * this dashboard, not the host page); focus moves into it on open and back on close.
 */
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { ClientData } from "../../../shared/admin.ts";
import { EncryptionBadge, StateBadge, TransportBadge } from "../components/Badges.tsx";
import { formatDateTime } from "../format.ts";
import { useLiveSelect, useRequest, useThrottled } from "../hooks.ts";
import { useSession } from "../session.ts";

interface Props {
  id: string;
  onClose(): void;
}

type Feedback = { kind: "ok" | "error"; text: string } | undefined;

/** Closes on Escape pressed anywhere inside the dashboard root; gives focus back on unmount. */
function useEscapeAndFocus(panel: { current: HTMLElement | null }, heading: { current: HTMLElement | null }, onClose: () => void) {
  useEffect(() => {
    const opener = panel.current?.ownerDocument.activeElement as HTMLElement | null;
    heading.current?.focus();
    const root = panel.current?.closest(".sb");
    const onKey = (e: Event) => {
      if ((e as KeyboardEvent).key === "Escape") onClose();
    };
    root?.addEventListener("keydown", onKey);
    return () => {
      root?.removeEventListener("keydown", onKey);
      if (opener?.isConnected) opener.focus();
    };
  }, []);
}

function Identity({ c }: { c: ClientData }) {
  return (
    <dl class="sb-dl">
      <dt>Client id</dt>
      <dd class="sb-mono">{c.id}</dd>
      <dt>User</dt>
      <dd>{c.userId ?? "–"}</dd>
      <dt>Encryption</dt>
      <dd>
        <EncryptionBadge encrypted={c.encrypted} />
        {c.encryptedAt ? <span class="sb-muted"> since {formatDateTime(c.encryptedAt)}</span> : null}
      </dd>
      <dt>Transport</dt>
      <dd>
        <TransportBadge transport={c.transport} />
      </dd>
      <dt>State</dt>
      <dd>
        <StateBadge state={c.state} />
      </dd>
      <dt>Instance</dt>
      <dd class="sb-mono">{c.instanceId}</dd>
      <dt>Address</dt>
      <dd class="sb-mono">{c.remoteAddress || "–"}</dd>
      <dt>User agent</dt>
      <dd class="sb-wrap">{c.userAgent || "–"}</dd>
      <dt>Connected</dt>
      <dd>{formatDateTime(c.connectedAt)}</dd>
      <dt>Last activity</dt>
      <dd>{formatDateTime(c.lastActivity)}</dd>
    </dl>
  );
}

function RoomsSection({ c, canManage, act }: { c: ClientData; canManage: boolean; act(run: () => Promise<string>): void }) {
  const { api } = useSession();
  const [rooms, setRooms] = useState("");
  const join = (e: Event) => {
    e.preventDefault();
    const names = rooms.split(/[\s,]+/).filter(Boolean);
    if (names.length === 0) return;
    act(async () => {
      const { joined } = await api.join(c.id, names);
      setRooms("");
      return joined.length ? `Joined ${joined.join(", ")}` : "No room joined (names not allowed)";
    });
  };
  return (
    <section aria-label="Rooms">
      <h4>Rooms</h4>
      {c.rooms.length === 0 && <p class="sb-muted">In no room.</p>}
      <ul class="sb-chips">
        {c.rooms.map((room) => (
          <li key={room} class="sb-chip">
            <span>{room}</span>
            {canManage && (
              <button type="button" class="sb-chip-action" aria-label={`Leave ${room}`} onClick={() => act(async () => (await api.leave(c.id, room), `Left ${room}`))}>
                Leave
              </button>
            )}
          </li>
        ))}
      </ul>
      {canManage && (
        <form class="sb-inline-form" onSubmit={join}>
          <label class="sb-field sb-grow">
            <span>Join rooms on its behalf</span>
            <input name="rooms" placeholder="room, other-room" value={rooms} onInput={(e) => setRooms(e.currentTarget.value)} />
          </label>
          <button type="submit" class="sb-button">
            Join
          </button>
        </form>
      )}
    </section>
  );
}

function DisconnectButton({ act, id }: { act(run: () => Promise<string>): void; id: string }) {
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" class="sb-button sb-danger" onClick={() => setConfirming(true)}>
        Disconnect
      </button>
    );
  }
  return (
    <div class="sb-confirm" role="group" aria-label="Confirm disconnect">
      <span>Close this connection (code 4007)?</span>
      <button type="button" class="sb-button sb-danger" autoFocus onClick={() => act(async () => (await api.disconnect(id), "Disconnected (4007)"))}>
        Confirm disconnect
      </button>
      <button type="button" class="sb-button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </div>
  );
}

export function ClientDetail({ id, onClose }: Props) {
  const { api, store, canManage } = useSession();
  const panel = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const [feedback, setFeedback] = useState<Feedback>();
  const titleId = useId();
  const changes = useThrottled(useLiveSelect(store, (s) => s.changes), 1000);
  const client = useRequest(() => api.client(id), [id, changes]);
  useEscapeAndFocus(panel, heading, onClose);

  const act = (run: () => Promise<string>) => {
    run().then(
      (text) => (setFeedback({ kind: "ok", text }), client.reload()),
      (err: Error) => setFeedback({ kind: "error", text: err.message }),
    );
  };
  const gone = client.error && (client.error as { status?: number }).status === 404;
  const c = gone ? undefined : client.data;
  return (
    <div class="sb-panel" ref={panel} role="dialog" aria-modal="false" aria-labelledby={titleId} data-client-id={id}>
      <div class="sb-panel-head">
        <h3 id={titleId} tabIndex={-1} ref={heading}>
          Client details
        </h3>
        <button type="button" class="sb-button" onClick={onClose} aria-label="Close details (Escape)">
          Close
        </button>
      </div>
      {feedback && (
        <p class={feedback.kind === "error" ? "sb-alert sb-alert-error" : "sb-alert sb-alert-ok"} role="status">
          {feedback.text}
        </p>
      )}
      {gone && <p class="sb-alert">This client is no longer connected.</p>}
      {client.error && !gone && <p class="sb-alert sb-alert-error">{client.error.message}</p>}
      {c && (
        <>
          <Identity c={c} />
          <RoomsSection c={c} canManage={canManage} act={act} />
          <section aria-label="Metadata">
            <h4>Metadata</h4>
            <pre class="sb-pre">{c.metadata === undefined ? "none" : JSON.stringify(c.metadata, null, 2)}</pre>
          </section>
          {canManage && <DisconnectButton id={c.id} act={act} />}
        </>
      )}
    </div>
  );
}
