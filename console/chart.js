// The function page's two charts (uPlot, loaded as a global by the page): throughput (calls and errors
// per second) and latency (p50 and p99). Colours come from the page's CSS variables, so they follow the
// light or dark scheme; the width follows the container.

const HEIGHT = 180;

function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function axes(unit) {
  const text = color('--muted');
  const grid = { stroke: color('--grid'), width: 1 };
  return [
    { stroke: text, grid, ticks: grid },
    { stroke: text, grid, ticks: grid, label: unit, size: 56 },
  ];
}

function make(container, title, unit, series) {
  const uPlot = window.uPlot;
  const width = Math.max(260, container.clientWidth);
  return new uPlot(
    {
      title,
      width,
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: axes(unit),
      series: [{}, ...series],
      legend: { live: false },
    },
    [[], ...series.map(() => [])],
    container,
  );
}

export function charts(throughputBox, latencyBox) {
  const throughput = make(throughputBox, 'Throughput', 'calls/s', [
    { label: 'calls/s', stroke: color('--accent'), width: 2, fill: color('--accent-fill') },
    { label: 'errors/s', stroke: color('--bad'), width: 2 },
  ]);
  const latency = make(latencyBox, 'Latency', 'ms', [
    // Seconds without calls have no latency: the line joins the seconds that have one, each marked by a point.
    { label: 'p50', stroke: color('--accent'), width: 2, spanGaps: true, points: { show: true, size: 4 } },
    { label: 'p99', stroke: color('--warn'), width: 2, spanGaps: true, points: { show: true, size: 4 } },
  ]);
  const resize = () => {
    for (const [chart, box] of [
      [throughput, throughputBox],
      [latency, latencyBox],
    ]) {
      chart.setSize({ width: Math.max(260, box.clientWidth), height: HEIGHT });
    }
  };
  window.addEventListener('resize', resize);
  return {
    /** Points of /series: one per second. */
    update(points) {
      const t = points.map((point) => point.t);
      throughput.setData([t, points.map((point) => point.calls), points.map((point) => point.errors)]);
      latency.setData([t, points.map((point) => point.p50Ms), points.map((point) => point.p99Ms)]);
    },
    destroy() {
      window.removeEventListener('resize', resize);
      throughput.destroy();
      latency.destroy();
    },
  };
}
