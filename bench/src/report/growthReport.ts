import type { GrowthOperation, GrowthResult } from '../scenarios/growth';
import { ms, num, x } from './format';

const LABELS: Record<GrowthOperation, string> = {
  unreadCount: 'unreadCount (nothing read)',
  myChats: 'myChats page of 10 (unread, newest message)',
  historyPage: 'history page (last 50)',
  send: 'sendMessage',
};

const COLORS: Record<GrowthOperation, string> = {
  unreadCount: '#d62728',
  historyPage: '#1f77b4',
  send: '#2ca02c',
  myChats: '#9467bd',
};

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Where the growth chart of a run goes: next to its latency chart. */
export function growthSvgFile(svgFile: string): string {
  return svgFile.replace(/\.svg$/, '-growth.svg');
}

/** The growth section of docs/benchmarks.md: one table per axis (history size, chats per user). */
export function growthMarkdown(g: GrowthResult, svgFile: string): string[] {
  const out: string[] = [];
  out.push('### 5. Growth (cost against history size and chats per user)');
  out.push('');
  out.push(
    `Seeded in ${g.seedSeconds} s, in bulk, row for row as the service writes (checked through the gateway before measuring). ` +
      `Through one gateway, sequential requests, one of each operation and size in turn (in a new random order each ` +
      `time): ${g.options.rounds} rounds of ` +
      `${g.options.requests} measured requests per operation and size (after as many unmeasured ones); p50 / p99.`,
  );
  out.push('');
  const axis = (ops: GrowthOperation[], unit: string) => {
    const sizes = [...new Set(ops.flatMap((op) => g.operations[op].map((p) => p.size)))].sort((a, b) => a - b);
    out.push(`| operation | ${sizes.map((s) => `${num(s)} ${unit}`).join(' | ')} | largest ÷ smallest (p50) |`);
    out.push(`|---|${sizes.map(() => '---').join('|')}|---|`);
    for (const op of ops) {
      const cells = sizes.map((s) => {
        const p = g.operations[op].find((q) => q.size === s);
        return p ? `${ms(p.latency.p50)} / ${ms(p.latency.p99)}` : '–';
      });
      out.push(`| ${LABELS[op]} | ${cells.join(' | ')} | ${x(g.ratios[op])} |`);
    }
    out.push('');
  };
  axis(['unreadCount', 'historyPage', 'send'], 'messages');
  out.push(
    `For comparison, counting the unread messages instead (the statement \`unreadCount\` ran before the counters, on ` +
      `the chat's shard, no gateway): ${g.countingReference.map((r) => `${num(r.size)} messages ${ms(r.p50)}`).join(', ')}.`,
  );
  out.push('');
  axis(['myChats'], 'chats');
  out.push(`![Growth](${svgFile})`);
  out.push('');
  return out;
}

/** p50 (solid) and p99 (dashed) against size, both axes logarithmic: one panel per axis. */
export function growthSvg(g: GrowthResult, title: string): string {
  const W = 480;
  const H = 300;
  const M = { left: 56, right: 28, top: 28, bottom: 44 };
  const panels: Array<{ title: string; ops: GrowthOperation[]; unit: string }> = [
    { title: 'by messages in the chat', ops: ['unreadCount', 'historyPage', 'send'], unit: 'messages' },
    { title: 'by chats of the viewer', ops: ['myChats'], unit: 'chats' },
  ];
  const body = panels.map((panel, index) => {
    const ox = index * W;
    const oy = 30;
    const points = panel.ops.flatMap((op) => g.operations[op]);
    const sizes = points.map((p) => p.size);
    const values = points.flatMap((p) => [p.latency.p50, p.latency.p99]).filter((v) => v > 0);
    // (the first panel also shows what counting would cost, for comparison)
    const reference = index === 0 ? g.countingReference : [];
    values.push(...reference.map((r) => r.p50).filter((v) => v > 0));
    // Decades around the data (the small epsilon keeps an exact power of ten, like 1,000,000, on its own decade).
    const decade = (v: number, up: boolean) =>
      10 ** (up ? Math.ceil(Math.log10(v) - 1e-9) : Math.floor(Math.log10(v) + 1e-9));
    const [xMin, xMax] = [decade(Math.min(...sizes), false), decade(Math.max(...sizes), true)];
    const [yMin, yMax] = [decade(Math.min(...values), false), decade(Math.max(...values), true)];
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const scale = (v: number, lo: number, hi: number) =>
      (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
    const px = (v: number) => ox + M.left + scale(v, xMin, Math.max(xMax, xMin * 10)) * pw;
    const py = (v: number) => oy + M.top + ph - scale(v, yMin, Math.max(yMax, yMin * 10)) * ph;
    const out: string[] = [
      `<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-size="13" font-weight="bold">${escape(panel.title)}</text>`,
      `<rect x="${ox + M.left}" y="${oy + M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    ];
    for (let d = yMin; d <= Math.max(yMax, yMin * 10) * 1.0001; d *= 10)
      out.push(
        `<line x1="${ox + M.left}" x2="${ox + M.left + pw}" y1="${py(d)}" y2="${py(d)}" stroke="#eee"/>`,
        `<text x="${ox + M.left - 4}" y="${py(d) + 4}" text-anchor="end" font-size="10">${d >= 1 ? d : d.toFixed(1)} ms</text>`,
      );
    for (let d = xMin; d <= Math.max(xMax, xMin * 10) * 1.0001; d *= 10)
      out.push(
        `<line x1="${px(d)}" x2="${px(d)}" y1="${oy + M.top}" y2="${oy + M.top + ph}" stroke="#eee"/>`,
        `<text x="${px(d)}" y="${oy + M.top + ph + 14}" text-anchor="middle" font-size="10">${num(d)}</text>`,
      );
    out.push(
      `<text x="${ox + M.left + pw / 2}" y="${oy + H - 6}" text-anchor="middle" font-size="10">${panel.unit} (log); latency through the gateway (log), p50 solid, p99 dashed</text>`,
    );
    const legend: string[] = [];
    const entries = panel.ops.length + (reference.length ? 1 : 0);
    legend.push(
      `<rect x="${ox + M.left + 4}" y="${oy + M.top + 4}" width="250" height="${entries * 14 + 6}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`,
    );
    if (reference.length) {
      out.push(
        `<polyline fill="none" stroke="#7f7f7f" stroke-width="2" stroke-dasharray="1 3" points="${reference.map((r) => `${px(r.size).toFixed(1)},${py(r.p50).toFixed(1)}`).join(' ')}"/>`,
      );
      legend.push(
        `<rect x="${ox + M.left + 8}" y="${oy + M.top + 8 + panel.ops.length * 14}" width="10" height="3" fill="#7f7f7f"/>`,
        `<text x="${ox + M.left + 22}" y="${oy + M.top + 12 + panel.ops.length * 14}" font-size="10">counting instead (SQL on the shard, p50)</text>`,
      );
    }
    panel.ops.forEach((op, i) => {
      const series = [...g.operations[op]].sort((a, b) => a.size - b.size);
      for (const [key, dash] of [
        ['p50', ''],
        ['p99', ' stroke-dasharray="4 3"'],
      ] as const)
        out.push(
          `<polyline fill="none" stroke="${COLORS[op]}" stroke-width="2"${dash} points="${series.map((p) => `${px(p.size).toFixed(1)},${py(p.latency[key]).toFixed(1)}`).join(' ')}"/>`,
        );
      legend.push(
        `<rect x="${ox + M.left + 8}" y="${oy + M.top + 8 + i * 14}" width="10" height="3" fill="${COLORS[op]}"/>`,
        `<text x="${ox + M.left + 22}" y="${oy + M.top + 12 + i * 14}" font-size="10">${escape(LABELS[op])}</text>`,
      );
    });
    return [...out, ...legend].join('\n');
  });
  const width = 2 * W;
  const height = H + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
