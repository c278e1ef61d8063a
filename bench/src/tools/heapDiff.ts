// `node bench/dist/tools/heapDiff.js <before.heapsnapshot> <after.heapsnapshot> [added]`: what the heap gained between
// two V8 heap snapshots, by node type and constructor (self sizes), largest first; with `added` (e.g. the idle
// subscriptions opened in between), also per added item. For the fan-out scenario's snapshots
// (`BENCH_HEAP_SNAPSHOT_DIR`): which objects make up the memory of an idle subscription.
import fs from 'node:fs';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size of the nodes of a snapshot, keyed by type and (for objects, closures, ...) name. */
export function tally(file: string): Map<string, { count: number; bytes: number }> {
  const heap = JSON.parse(fs.readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const TYPE = fields.indexOf('type');
  const NAME = fields.indexOf('name');
  const SIZE = fields.indexOf('self_size');
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + TYPE]!]!;
    // Strings and numbers are keyed by type alone (their name is their value).
    const key = /string|number|bigint/.test(type) ? `(${type})` : `${type}: ${heap.strings[heap.nodes[i + NAME]!]}`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + SIZE]!;
    totals.set(key, entry);
  }
  return totals;
}

function main(): void {
  const [beforeFile, afterFile, addedArg] = process.argv.slice(2);
  if (!beforeFile || !afterFile) {
    console.error('usage: heapDiff <before.heapsnapshot> <after.heapsnapshot> [added items]');
    process.exit(2);
  }
  const added = addedArg ? Number(addedArg) : 0;
  const before = tally(beforeFile);
  const after = tally(afterFile);
  const rows = [...after].map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: a.count - b.count, bytes: a.bytes - b.bytes };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  const per = (n: number) => (added > 0 ? (n / added).toFixed(1).padStart(9) : '');
  console.log(`total self size gained: ${total} bytes${added > 0 ? `, ${(total / added).toFixed(0)} per item` : ''}`);
  console.log(`${'bytes'.padStart(12)} ${'count'.padStart(9)} ${added > 0 ? 'bytes/item count/item ' : ''}type: name`);
  for (const r of rows.slice(0, 60))
    console.log(
      `${String(r.bytes).padStart(12)} ${String(r.count).padStart(9)} ${per(r.bytes)} ${per(r.count)} ${r.key}`,
    );
}

if (require.main === module) main();
