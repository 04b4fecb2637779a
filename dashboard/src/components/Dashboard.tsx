/**
 * @module dashboard/components/Dashboard
 * The root of one mounted dashboard: the theme, and the login gate. A token is checked against
 * the REST API before it is kept (401 → invalid or expired, 403 → a role that cannot read), and
 * a session that loses its token (a 401 later, or 4003 on the admin channel) returns here with a
 * message saying so.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiClient, ApiError } from "../api/client.ts";
import { useTheme } from "../theme.ts";
import { Login } from "./Login.tsx";
import { Shell } from "./Shell.tsx";

export interface ResolvedOptions {
  apiBase: string;
  wsUrl: string;
  token?: string;
  storage: Storage | null;
  storageKey: string;
}

type Notice = { kind: "error" | "info"; text: string };

/** Why a token cannot be used, or undefined when it can. */
async function checkToken(apiBase: string, token: string): Promise<string | undefined> {
  try {
    await new ApiClient(apiBase, token).stats();
    return undefined;
  } catch (err) {
    const e = err as ApiError;
    if (e.status === 401) return "That token is invalid or has expired.";
    if (e.status === 403) return "That token's role cannot use the dashboard (an emitter token?). Use an admin or viewer token.";
    if (e.status === 0) return `The server cannot be reached (${apiBase}).`;
    return `The server refused the login: ${e.message}`;
  }
}

function readStored(o: ResolvedOptions): string | undefined {
  try {
    return o.storage?.getItem(`${o.storageKey}:token`) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeStored(o: ResolvedOptions, token: string | undefined): void {
  try {
    if (token) o.storage?.setItem(`${o.storageKey}:token`, token);
    else o.storage?.removeItem(`${o.storageKey}:token`);
  } catch {
    // storage may be disabled (private mode, sandboxed frame): the login then lasts as long as the mount
  }
}

export function Dashboard({ options }: { options: ResolvedOptions }) {
  const [token, setToken] = useState<string | undefined>(() => (options.token ? undefined : readStored(options)));
  const [notice, setNotice] = useState<Notice | undefined>();
  const [busy, setBusy] = useState(Boolean(options.token));
  const theme = useTheme(options.storage, options.storageKey);

  const login = async (candidate: string) => {
    setBusy(true);
    const problem = await checkToken(options.apiBase, candidate);
    setBusy(false);
    if (problem) {
      setNotice({ kind: "error", text: problem });
      return;
    }
    writeStored(options, candidate);
    setNotice(undefined);
    setToken(candidate);
  };

  const logout = (reason?: string) => {
    writeStored(options, undefined);
    setToken(undefined);
    setNotice(reason ? { kind: "error", text: reason } : { kind: "info", text: "You are logged out." });
  };

  useEffect(() => {
    if (options.token) void login(options.token);
  }, []);

  return (
    <div class="sb" data-theme={theme.effective}>
      {token ? (
        <Shell key={token} token={token} apiBase={options.apiBase} wsUrl={options.wsUrl} theme={theme} onLogout={logout} />
      ) : (
        <Login onLogin={login} notice={notice} busy={busy} />
      )}
    </div>
  );
}
