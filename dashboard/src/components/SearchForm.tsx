/**
 * @module dashboard/components/SearchForm
 * The shell of a filter form (`role="search"`, laid out by `.sb-filters`): submitting it, with
 * Enter in a field or its submit button, calls `onSubmit` instead of reloading the page. The
 * filtering itself is the server's (SPEC §7), never done over a list in the browser.
 */
import type { ComponentChildren } from "preact";

export function SearchForm({ label, onSubmit, children }: { label: string; onSubmit(): void; children: ComponentChildren }) {
  return (
    <form
      class="sb-filters"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}
