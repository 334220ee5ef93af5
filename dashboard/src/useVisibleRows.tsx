// Draws only the rows of a long table that are in view (and a few either side): with 200 modules
// and an event every millisecond, laying out and painting every row each frame is what made the
// page stutter (BENCHMARKS.md section 15), not the script.

import { useEffect, useRef, useState } from "preact/hooks";

/** Rows drawn beyond each edge of the view, so that a fast scroll shows no gap. */
const OVERSCAN = 10;
/** A row's height before one was measured (px); the stylesheet gives every row the same. */
const DEFAULT_ROW_PX = 31;

/** The slice of rows to draw, and the room the others take above and below it (px). */
export interface VisibleRows {
  /** The scrolling element: the table's wrapper. */
  ref: { current: HTMLDivElement | null };
  start: number;
  end: number;
  before: number;
  after: number;
}

/** Which of `count` rows to draw in the scrolling wrapper `ref` points at. */
export function useVisibleRows(count: number): VisibleRows {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800, row: DEFAULT_ROW_PX });

  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    let frame = 0;
    const measure = (): void => {
      frame = 0;
      const drawn = el.querySelector<HTMLElement>("tbody tr[data-row]");
      const row = drawn?.getBoundingClientRect().height || DEFAULT_ROW_PX;
      setView((v) =>
        v.top === el.scrollTop && v.height === el.clientHeight && v.row === row
          ? v
          : { top: el.scrollTop, height: el.clientHeight, row },
      );
    };
    const soon = (): void => {
      if (frame === 0) frame = requestAnimationFrame(measure);
    };
    measure();
    el.addEventListener("scroll", soon, { passive: true });
    const resize = new ResizeObserver(soon);
    resize.observe(el);
    return () => {
      el.removeEventListener("scroll", soon);
      resize.disconnect();
      cancelAnimationFrame(frame);
    };
  }, []);

  const start = Math.max(0, Math.floor(view.top / view.row) - OVERSCAN);
  const end = Math.min(count, Math.ceil((view.top + view.height) / view.row) + OVERSCAN);
  return { ref, start, end, before: start * view.row, after: Math.max(0, count - end) * view.row };
}

/** The row standing for the undrawn ones above or below the drawn slice; none when `px` is 0. */
export function Spacer(props: { px: number; columns: number }) {
  if (props.px <= 0) return null;
  return (
    <tr class="spacer" aria-hidden="true">
      <td colSpan={props.columns} style={{ height: `${props.px}px` }} />
    </tr>
  );
}
