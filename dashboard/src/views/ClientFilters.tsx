/**
 * @module dashboard/views/ClientFilters
 * The Clients filter form. Text fields apply on submit (Enter), the selects at once; every
 * filter is evaluated by the server (`GET /api/clients`), never over a list in the browser.
 */
import { useState } from "preact/hooks";
import type { ClientQuery } from "../api/client.ts";
import { SearchForm } from "../components/SearchForm.tsx";

interface Props {
  value: ClientQuery;
  instances: string[];
  onApply(filter: ClientQuery): void;
}

const clean = (f: ClientQuery): ClientQuery =>
  Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => [k, typeof v === "string" ? v.trim() : v]));

export function ClientFilters({ value, instances, onApply }: Props) {
  const [draft, setDraft] = useState<ClientQuery>(value);
  const set = (key: keyof ClientQuery) => (e: Event) => setDraft((d) => ({ ...d, [key]: (e.currentTarget as HTMLInputElement).value }));
  const setNow = (key: keyof ClientQuery) => (e: Event) => {
    const next = { ...draft, [key]: (e.currentTarget as HTMLSelectElement).value };
    setDraft(next);
    onApply(clean(next));
  };
  return (
    <SearchForm label="Filter clients" onSubmit={() => onApply(clean(draft))}>
      <label class="sb-field sb-grow">
        <span>Search</span>
        <input type="search" name="q" placeholder="client id, user or address" value={draft.q ?? ""} onInput={set("q")} />
      </label>
      <label class="sb-field">
        <span>User</span>
        <input name="userId" value={draft.userId ?? ""} onInput={set("userId")} />
      </label>
      <label class="sb-field">
        <span>Room</span>
        <input name="room" value={draft.room ?? ""} onInput={set("room")} />
      </label>
      <label class="sb-field">
        <span>Instance</span>
        <select name="instance" value={draft.instance ?? ""} onChange={setNow("instance")}>
          <option value="">any</option>
          {instances.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </label>
      <label class="sb-field">
        <span>Encryption</span>
        <select name="encrypted" value={draft.encrypted ?? ""} onChange={setNow("encrypted")}>
          <option value="">any</option>
          <option value="true">encrypted</option>
          <option value="false">plaintext</option>
        </select>
      </label>
      <div class="sb-filter-actions">
        <button type="submit" class="sb-button sb-primary">
          Apply
        </button>
        <button
          type="button"
          class="sb-button"
          onClick={() => {
            setDraft({});
            onApply({});
          }}
        >
          Reset
        </button>
      </div>
    </SearchForm>
  );
}
