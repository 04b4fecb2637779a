/**
 * @module dashboard/components/Login
 * The token form. An admin token may change things; a viewer token sees everything read-only.
 */
import { useState } from "preact/hooks";

interface Props {
  onLogin(token: string): void;
  /** Why the user is here (wrong token, expired session, logged out). */
  notice?: { kind: "error" | "info"; text: string };
  busy: boolean;
}

export function Login({ onLogin, notice, busy }: Props) {
  const [token, setToken] = useState("");
  const submit = (e: Event) => {
    e.preventDefault();
    if (token.trim()) onLogin(token.trim());
  };
  return (
    <main class="sb-login">
      <form class="sb-card sb-login-form" onSubmit={submit} aria-label="Log in">
        <h1>Switchboard</h1>
        <p class="sb-muted">Log in with an admin token, or a viewer token for read-only access.</p>
        {notice && (
          <p class={notice.kind === "error" ? "sb-alert sb-alert-error" : "sb-alert"} role={notice.kind === "error" ? "alert" : "status"}>
            {notice.text}
          </p>
        )}
        <label class="sb-field">
          <span>Token</span>
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            required
            autoFocus
          />
        </label>
        <button class="sb-button sb-primary" type="submit" disabled={busy}>
          {busy ? "Checking…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
