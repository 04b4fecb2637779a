/**
 * @module dashboard/components/DataTable
 * The one table of the dashboard: columns declared once (header, cell, classes), rows with a
 * stable key, an empty state, and optional row activation. It sits in a wrapper that scrolls
 * sideways when a wide table meets a narrow window; on a phone (≤ 700 px, views.css) the rows
 * stack into cards, each cell labelled with its column's header (`data-label`), so no column is
 * cut off. A table of two or three short columns may keep its rows (`stackOnPhone={false}`);
 * its cells then wrap instead.
 *
 * Rows keep explicit ARIA table roles because stacking changes their CSS `display`, which would
 * otherwise drop the table semantics for assistive technology.
 *
 * Activation: with `onActivate`, a click or tap anywhere in a row activates it (a large target
 * on a phone card). The keyboard path is the real button the view renders in the row (one tab
 * stop per row; Enter and Space work as on every button), calling the same handler; clicks on
 * that button or any other control in the row, and clicks that end a text selection, are left
 * to them.
 */
import type { ComponentChildren } from "preact";

export interface Column<Row> {
  /** Header text; also the cell's label when rows stack on a phone. */
  header: string;
  cell(row: Row): ComponentChildren;
  /** Classes for the header and the cells: `sb-num`, `sb-mono`, `sb-hide-sm`, `sb-col-extra`. */
  class?: string;
}

interface Props<Row> {
  columns: Column<Row>[];
  rows: readonly Row[];
  rowKey(row: Row): string;
  /** Extra attributes of a row, e.g. `data-client-id`, which tests and scripts select on. */
  rowAttributes?(row: Row): Record<string, string>;
  /** The key of the highlighted row, if any. */
  selectedKey?: string;
  onActivate?(row: Row): void;
  /** Shown instead of the table when there is no row and nothing is loading. */
  empty?: ComponentChildren;
  loading?: boolean;
  /** Whether rows become cards on a phone. @default true */
  stackOnPhone?: boolean;
  /** An extra class of the table element. */
  class?: string;
}

const CONTROLS = "a, button, input, select, textarea, label, summary";

function activatesRow(e: MouseEvent): boolean {
  const target = e.target as Element;
  if (target.closest(CONTROLS)) return false;
  return target.ownerDocument.getSelection()?.isCollapsed ?? true;
}

export function DataTable<Row>({ columns, rows, rowKey, rowAttributes, selectedKey, onActivate, empty, loading = false, stackOnPhone = true, class: extra }: Props<Row>) {
  if (rows.length === 0 && !loading && empty !== undefined) return <p class="sb-muted sb-table-empty">{empty}</p>;
  const rowClass = (key: string) => [key === selectedKey && "sb-selected", onActivate && "sb-row-action"].filter(Boolean).join(" ") || undefined;
  return (
    <div class="sb-table-wrap">
      <table class={["sb-table", stackOnPhone && "sb-table-stack", extra].filter(Boolean).join(" ")} role="table" aria-busy={loading}>
        <thead role="rowgroup">
          <tr role="row">
            {columns.map((c) => (
              <th key={c.header} scope="col" role="columnheader" class={c.class}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody role="rowgroup">
          {rows.map((row) => {
            const key = rowKey(row);
            const onClick = onActivate && ((e: MouseEvent) => activatesRow(e) && onActivate(row));
            return (
              <tr key={key} role="row" class={rowClass(key)} onClick={onClick} {...rowAttributes?.(row)}>
                {columns.map((c) => (
                  <td key={c.header} role="cell" class={c.class} data-label={c.header}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
