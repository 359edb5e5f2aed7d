// SPDX-License-Identifier: MIT
// Time charts drawn by uPlot on a canvas: fast for thousands of points and small.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df'];

/**
 * A chart of time series in `parent`: `data` is [times in seconds, ...series], `series` their labels.
 * `band` draws the second and third series as a min/max band around the first. Resizes with its parent.
 */
export function timeChart(parent, { title, series, data, band = false, height = 220 }) {
  const width = () => Math.max(240, parent.clientWidth - 8);
  const opts = {
    title,
    width: width(),
    height,
    series: [{}, ...series.map((label, i) => ({
      label,
      stroke: band && i > 0 ? 'rgba(31,111,235,0.35)' : COLORS[i % COLORS.length],
      width: band && i > 0 ? 1 : 2,
      points: { show: false },
    }))],
    bands: band ? [{ series: [2, 3], fill: 'rgba(31,111,235,0.12)' }] : undefined,
    axes: [{}, { size: 60 }],
    cursor: { drag: { x: true, y: false } },
  };
  const plot = new uPlot(opts, data, parent);
  // what the chart shows, for screen readers (and for tests waiting on it)
  const describe = (d) => {
    const n = d[0].length;
    plot.root.setAttribute('aria-label', `${title}: ${n} points${n ? `, the last at ${new Date(d[0][n - 1] * 1000).toISOString()}` : ''}`);
  };
  plot.root.setAttribute('role', 'img');
  describe(data);
  const observer = new ResizeObserver(() => plot.setSize({ width: width(), height }));
  observer.observe(parent);
  return {
    plot,
    setData(d) {
      plot.setData(d);
      describe(d);
    },
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}
