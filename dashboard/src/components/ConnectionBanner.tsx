/**
 * @module dashboard/components/ConnectionBanner
 * Says so while the live admin channel is down (server restarting, network lost): the data on
 * screen may be stale until it is back. Hidden while live.
 */
import type { LiveStatus } from "../live/channel.ts";

interface Props {
  status: LiveStatus;
  attempt: number;
  retryInMs?: number;
}

export function ConnectionBanner({ status, attempt, retryInMs }: Props) {
  if (status === "live" || status === "rejected") return null;
  const text =
    status === "connecting"
      ? "Connecting to the live admin channel…"
      : `Connection to the server lost. Reconnecting${attempt > 1 ? ` (attempt ${attempt}` + (retryInMs ? `, next in ${Math.ceil(retryInMs / 1000)}s)` : ")") : ""}… The data shown may be out of date.`;
  return (
    <div class={`sb-banner sb-banner-${status}`} role="status" aria-live="polite">
      {text}
    </div>
  );
}
