// A bar chart drawn by uPlot (served from its npm package). uPlot draws on a
// canvas, which a screen reader cannot read: the figure carries its numbers as
// its accessible name, and the metrics view shows them in tables too.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

const BAR = '#3b6ea5';

/** `labels` name the bars; `values` are their heights; `format` writes a value for people. */
export function BarChart({ title, labels, values, format, max }) {
  const box = useRef(null);
  const key = JSON.stringify([labels, values, max]);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const xs = labels.map((_, i) => i);
    const top = max ?? Math.max(1, ...values);
    const chart = new uPlot(
      {
        width: Math.max(240, Math.min(el.clientWidth || 480, 560)),
        height: 220,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: [-0.5, labels.length - 0.5] },
          y: { range: [0, top] },
        },
        axes: [
          {
            splits: () => xs,
            values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
            grid: { show: false },
          },
          { values: (_u, splits) => splits.map(format), size: 60 },
        ],
        series: [
          {},
          {
            label: title,
            fill: BAR,
            stroke: BAR,
            points: { show: false },
            paths: uPlot.paths.bars({ size: [0.6, 80] }),
          },
        ],
      },
      [xs, values],
      el,
    );
    return () => chart.destroy();
  }, [key]);
  const described = labels.map((label, i) => `${label}: ${format(values[i])}`).join(', ');
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div class="chart-canvas" ref=${box} role="img" aria-label=${`${title}. ${described}`}></div>
  </figure>`;
}
