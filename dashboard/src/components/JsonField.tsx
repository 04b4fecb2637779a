/**
 * @module dashboard/components/JsonField
 * A JSON editor (a monospace textarea) that validates as you type and says where the error is.
 * Empty means "no data". Tab inserts two spaces only with the Alt key, so Tab still moves focus.
 */
import { useId } from "preact/hooks";

export type JsonParse = { ok: true; value: unknown; empty: boolean } | { ok: false; error: string };

export function parseJson(text: string): JsonParse {
  if (text.trim() === "") return { ok: true, value: undefined, empty: true };
  try {
    return { ok: true, value: JSON.parse(text), empty: false };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

interface Props {
  label: string;
  value: string;
  onChange(text: string): void;
  rows?: number;
}

export function JsonField({ label, value, onChange, rows = 6 }: Props) {
  const id = useId();
  const parsed = parseJson(value);
  return (
    <label class="sb-field">
      <span>{label}</span>
      <textarea
        class="sb-mono"
        name="data"
        rows={rows}
        spellcheck={false}
        value={value}
        aria-invalid={!parsed.ok}
        aria-describedby={`${id}-status`}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
      <span id={`${id}-status`} class={parsed.ok ? "sb-hint" : "sb-hint sb-hint-error"} role={parsed.ok ? undefined : "alert"}>
        {parsed.ok ? (parsed.empty ? "No data (the event is sent without a payload)." : "Valid JSON.") : `Invalid JSON: ${parsed.error}`}
      </span>
    </label>
  );
}
