/**
 * @module dashboard/components/Pager
 * Cursor pagination (SPEC §7): the server returns `nextCursor`; going back pops the cursors the
 * user came through, so no page is ever computed in the browser.
 */
import { useState } from "preact/hooks";
import { formatCount } from "../format.ts";

export interface PagerState {
  cursor?: string;
  index: number;
  next(cursor: string): void;
  previous(): void;
  reset(): void;
}

export function usePager(): PagerState {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: stack[stack.length - 1],
    index: stack.length - 1,
    next: (cursor) => setStack((s) => [...s, cursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

interface Props {
  pager: PagerState;
  /** The index of the page on screen (which lags `pager.index` while the next page loads). */
  index: number;
  pageSize: number;
  shown: number;
  total: number;
  nextCursor: string | null;
  noun: string;
}

export function Pager({ pager, index, pageSize, shown, total, nextCursor, noun }: Props) {
  const first = index * pageSize + (shown > 0 ? 1 : 0);
  const last = index * pageSize + shown;
  // While the requested page loads, the buttons would act on the page still on screen.
  const settled = index === pager.index;
  return (
    <div class="sb-pager">
      <span class="sb-muted" aria-live="polite">
        {shown === 0 ? `No ${noun}` : `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)} ${noun}`}
      </span>
      <button type="button" class="sb-button" onClick={pager.previous} disabled={!settled || pager.index === 0}>
        Previous
      </button>
      <button type="button" class="sb-button" onClick={() => nextCursor && pager.next(nextCursor)} disabled={!settled || !nextCursor}>
        Next
      </button>
    </div>
  );
}
