/**
 * @module shared/client/listeners
 * Handler registry behind `on`/`off`/`once`/`onAny`. A throwing handler is reported (through
 * `reportError`, console by default) and never stops the other handlers or the client.
 */
import type { EventNames } from "./connection.ts";
import type { AnyHandler, ServerFrame } from "./types.ts";

type Fn = (data: unknown, frame: ServerFrame) => void;

export class Listeners implements EventNames {
  private readonly byEvent = new Map<string, Set<Fn>>();
  private readonly any = new Set<AnyHandler>();
  private readonly watchers = new Set<(name: string) => void>();

  constructor(private readonly reportError: (err: unknown, event: string) => void) {}

  add(event: string, fn: Fn): () => void {
    let set = this.byEvent.get(event);
    if (!set) {
      this.byEvent.set(event, (set = new Set()));
      for (const watcher of [...this.watchers]) watcher(event);
    }
    set.add(fn);
    return () => this.remove(event, fn);
  }

  remove(event: string, fn?: Fn): void {
    if (!fn) {
      this.byEvent.delete(event);
      return;
    }
    const set = this.byEvent.get(event);
    set?.delete(fn);
    if (set?.size === 0) this.byEvent.delete(event);
  }

  names(): Iterable<string> {
    return [...this.byEvent.keys()];
  }

  watch(fn: (name: string) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  addAny(fn: AnyHandler): () => void {
    this.any.add(fn);
    return () => this.any.delete(fn);
  }

  removeAny(fn: AnyHandler): void {
    this.any.delete(fn);
  }

  /** Calls the handlers of `event` (snapshot: handlers added meanwhile wait for the next one). */
  emit(event: string, data: unknown, frame: ServerFrame): void {
    const set = this.byEvent.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(data, frame);
      } catch (err) {
        this.reportError(err, event);
      }
    }
  }

  emitAny(frame: ServerFrame): void {
    for (const fn of [...this.any]) {
      try {
        fn(frame.event, frame.data, frame);
      } catch (err) {
        this.reportError(err, frame.event);
      }
    }
  }
}
