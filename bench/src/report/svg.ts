import { CHART_PERCENTILES } from '../stats';

/** One line of a chart: values at CHART_PERCENTILES. */
export interface Series {
  label: string;
  values: number[];
}

/** One panel of the chart. */
export interface Panel {
  title: string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 480;
const H = 300;
const M = { left: 56, right: 12, top: 28, bottom: 44 };

// Percentiles on a "nines" axis (p50, p90, p99, p99.9, max evenly apart), where tails are visible.
const nines = (p: number) => (p >= 100 ? 4 : Math.min(4, -Math.log10(1 - p / 100)));
const X_TICKS: Array<[number, string]> = [
  [0, 'p0'],
  [nines(50), 'p50'],
  [1, 'p90'],
  [2, 'p99'],
  [3, 'p99.9'],
  [4, 'max'],
];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(p: Panel, ox: number, oy: number): string {
  const values = p.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const lo = values.length ? Math.max(0.1, Math.min(...values)) : 0.1;
  const hi = values.length ? Math.max(...values) : 1;
  const yMin = 10 ** Math.floor(Math.log10(lo));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(hi, yMin * 10)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (p: number) => ox + M.left + (nines(p) / 4) * pw;
  const y = (v: number) =>
    oy + M.top + ph - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const out: string[] = [];
  out.push(
    `<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-size="13" font-weight="bold">${escape(p.title)}</text>`,
  );
  out.push(`<rect x="${ox + M.left}" y="${oy + M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let d = yMin; d <= yMax * 1.0001; d *= 10) {
    const yy = y(d);
    out.push(`<line x1="${ox + M.left}" x2="${ox + M.left + pw}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    out.push(
      `<text x="${ox + M.left - 4}" y="${yy + 4}" text-anchor="end" font-size="10">${d >= 1 ? d : d.toFixed(1)} ms</text>`,
    );
  }
  for (const [pos, label] of X_TICKS) {
    const xx = ox + M.left + (pos / 4) * pw;
    out.push(`<line x1="${xx}" x2="${xx}" y1="${oy + M.top}" y2="${oy + M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${xx}" y="${oy + M.top + ph + 14}" text-anchor="middle" font-size="10">${label}</text>`);
  }
  out.push(
    `<text x="${ox + M.left + pw / 2}" y="${oy + H - 6}" text-anchor="middle" font-size="10">percentile (log of 1/(1-p)); latency on a log scale</text>`,
  );
  // Lines first, then the legend on a white box, so a curve high in the panel cannot hide the labels.
  const legendWidth = 14 + 6 * Math.max(0, ...p.series.map((s) => s.label.length));
  const legend: string[] = [
    `<rect x="${ox + M.left + 4}" y="${oy + M.top + 4}" width="${legendWidth + 12}" height="${p.series.length * 14 + 6}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`,
  ];
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = CHART_PERCENTILES.map((pc, k) => [pc, s.values[k]!] as const).filter(([, v]) => Number.isFinite(v));
    if (points.length) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([pc, v]) => `${x(pc).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    legend.push(`<rect x="${ox + M.left + 8}" y="${oy + M.top + 8 + i * 14}" width="10" height="3" fill="${color}"/>`);
    legend.push(
      `<text x="${ox + M.left + 22}" y="${oy + M.top + 12 + i * 14}" font-size="10">${escape(s.label)}</text>`,
    );
  });
  return [...out, ...legend].join('\n');
}

/** Renders panels in a two-column grid as a standalone SVG document. */
export function renderSvg(title: string, panels: Panel[]): string {
  const cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * W;
  const height = rows * H + 30;
  const body = panels.map((p, i) => panel(p, (i % cols) * W, 30 + Math.floor(i / cols) * H)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
