/**
 * @module dashboard/views/EmitForm
 * Send an event (POST /api/emit): a target (broadcast, room, user, client, or a fixed one such
 * as the room being viewed), an event name, JSON data, and client ids to exclude. "Dry run"
 * asks the server how many sockets would receive it and sends nothing. Enter submits = Send.
 */
import { useState } from "preact/hooks";
import type { ApiError, EmitBody, EmitTarget } from "../api/client.ts";
import { JsonField, parseJson } from "../components/JsonField.tsx";
import { describeTarget, plural, targetOf } from "../format.ts";
import { useSession } from "../session.ts";

type Kind = "broadcast" | "room" | "user" | "client";
const KINDS: { kind: Kind; label: string }[] = [
  { kind: "broadcast", label: "Broadcast" },
  { kind: "room", label: "Room" },
  { kind: "user", label: "User" },
  { kind: "client", label: "Client" },
];

type Outcome = { kind: "dry" | "sent"; recipients: number; target: EmitTarget } | { kind: "error"; text: string };

function OutcomeMessage({ outcome }: { outcome: Outcome }) {
  const text =
    outcome.kind === "error"
      ? outcome.text
      : outcome.kind === "dry"
        ? `Dry run: would reach ${plural(outcome.recipients, "client")} (${describeTarget(outcome.target)}). Nothing was sent.`
        : `Sent to ${plural(outcome.recipients, "client")} (${describeTarget(outcome.target)}).`;
  return (
    <p class={outcome.kind === "error" ? "sb-alert sb-alert-error" : "sb-alert sb-alert-ok"} role="status" data-outcome={outcome.kind}>
      {text}
    </p>
  );
}

interface Props {
  /** A target the form is bound to (e.g. the room on screen); otherwise the user picks one. */
  fixedTarget?: EmitTarget;
  onSent?(): void;
}

function TargetPicker({ kind, value, onKind, onValue }: { kind: Kind; value: string; onKind(k: Kind): void; onValue(v: string): void }) {
  return (
    <fieldset class="sb-fieldset">
      <legend>Target</legend>
      <div class="sb-radios">
        {KINDS.map((k) => (
          <label key={k.kind} class="sb-radio">
            <input type="radio" name="target" value={k.kind} checked={kind === k.kind} onChange={() => onKind(k.kind)} />
            {k.label}
          </label>
        ))}
      </div>
      {kind !== "broadcast" && (
        <label class="sb-field">
          <span>{kind === "room" ? "Room name" : kind === "user" ? "User id" : "Client id"}</span>
          <input name="targetValue" value={value} onInput={(e) => onValue(e.currentTarget.value)} required />
        </label>
      )}
    </fieldset>
  );
}

export function EmitForm({ fixedTarget, onSent }: Props) {
  const { api } = useSession();
  const [kind, setKind] = useState<Kind>("broadcast");
  const [value, setValue] = useState("");
  const [event, setEvent] = useState("");
  const [data, setData] = useState('{\n  "text": "hello"\n}');
  const [exclude, setExclude] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const parsed = parseJson(data);
  const target = fixedTarget ?? targetOf(kind, value.trim());
  const ready = parsed.ok && event.trim() !== "" && (fixedTarget !== undefined || kind === "broadcast" || value.trim() !== "");

  const body = (): EmitBody => {
    const ids = exclude.split(/[\s,]+/).filter(Boolean);
    return { to: target, event: event.trim(), ...(parsed.ok && !parsed.empty ? { data: parsed.value } : {}), ...(ids.length ? { exclude: ids } : {}) };
  };
  const run = async (dry: boolean) => {
    if (!ready || busy) return;
    setBusy(true);
    try {
      const result = dry ? await api.dryRun(body()) : await api.emit(body());
      setOutcome({ kind: dry ? "dry" : "sent", recipients: result.recipients, target });
      if (!dry) onSent?.();
    } catch (err) {
      const e = err as ApiError;
      setOutcome({ kind: "error", text: e.field ? `${e.field}: ${e.message}` : e.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="sb-form" aria-label="Emit an event" onSubmit={(e) => (e.preventDefault(), void run(false))}>
      {fixedTarget ? <p class="sb-muted">To {describeTarget(fixedTarget)}</p> : <TargetPicker kind={kind} value={value} onKind={setKind} onValue={setValue} />}
      <label class="sb-field">
        <span>Event name</span>
        <input name="event" value={event} placeholder="notification" onInput={(e) => setEvent(e.currentTarget.value)} required />
      </label>
      <JsonField label="Data (JSON)" value={data} onChange={setData} />
      <label class="sb-field">
        <span>Exclude client ids (optional)</span>
        <input name="exclude" value={exclude} placeholder="id, id" onInput={(e) => setExclude(e.currentTarget.value)} />
      </label>
      <div class="sb-actions">
        <button type="button" class="sb-button" disabled={!ready || busy} onClick={() => void run(true)}>
          Dry run
        </button>
        <button type="submit" class="sb-button sb-primary" disabled={!ready || busy}>
          Send
        </button>
      </div>
      {outcome && <OutcomeMessage outcome={outcome} />}
    </form>
  );
}
