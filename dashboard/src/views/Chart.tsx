// A time chart drawn by uPlot (canvas): made for series that grow every second.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One line of a chart: its label, colour and a value (or null) per time. */
export interface Series {
  label: string;
  colour: string;
  values: (number | null)[];
}

const HEIGHT = 160;

/**
 * A chart of `series` over `times` (ms since the epoch), titled `title`, its values printed by
 * `format`. Data changes are applied with `setData`, not by drawing it anew.
 */
export function Chart(props: {
  title: string;
  times: number[];
  series: Series[];
  format: (v: number | null) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [
    props.times.map((t) => t / 1000),
    ...props.series.map((s) => s.values),
  ];
  const labels = props.series.map((s) => s.label).join("|");

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const fmt = props.format;
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.colour,
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => fmt(v),
          })),
        ],
        axes: [{}, { size: 70, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => fmt(t)) }],
      },
      data(),
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // A new chart only when its lines change; new points go through setData below.
  }, [labels]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} class="plot" />
    </figure>
  );
}
