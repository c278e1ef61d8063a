// `node bench/dist/tools/abQuery.js [--rounds=8] [--run-ms=2500] [--concurrency=16] <variant>...`: scenario 1's
// history query against several gateways started side by side on the same stack, in alternating order, round after
// round; prints each one's gateway CPU ms per request (median and spread) and its ratio to the first. A variant is a
// gateway kind (`chatgraph`, `apollo`, `floor`, ...) or `name=kind:KEY=value,KEY=value` for one of ours with settings
// of its own, e.g. `nolane=chatgraph:DIRECT_EXECUTION=false`. For deciding whether a change to the query path pays:
// more rounds than the suite runs, on one scenario, so that a 5 % difference stands out of the machine's noise.
// `--profile=<file.cpuprofile>` then profiles the first variant (ours) under the same load for 10 s,
// a sample every 100 µs.
import path from 'node:path';
import { BenchStack, type GatewayKind, type RunningGateway } from '../BenchStack';
import { ipcRequest } from '../ipcRequest';
import { HttpLoad } from '../LoadWorker';
import { processSample } from '../processSample';
import { seed } from '../seed';
import { median, round } from '../stats';
import { HISTORY_QUERY } from '../scenarios/federatedQueryDocument';

interface Variant {
  name: string;
  kind: GatewayKind;
  env: Record<string, string>;
}

/** `kind`, `name=kind` or either followed by `:KEY=value,KEY=value`. */
function parseVariant(arg: string): Variant {
  const match = /^(?:([\w-]+)=)?([\w-]+)(?::(.*))?$/s.exec(arg);
  if (!match) throw new Error(`not a variant: ${arg} (kind, name=kind, or either with :KEY=value,...)`);
  const [, name, kind, settings] = match;
  const env = Object.fromEntries(
    (settings ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split(/=(.*)/s, 2) as [string, string]),
  );
  return { name: name ?? kind!, kind: kind as GatewayKind, env };
}

async function main(): Promise<void> {
  const options = { rounds: 8, runMs: 2500, concurrency: 16, profile: '' };
  const variants: Variant[] = [];
  for (const arg of process.argv.slice(2)) {
    const [key, value] = arg.split(/=(.*)/s, 2);
    if (key === '--rounds') options.rounds = Number(value);
    else if (key === '--run-ms') options.runMs = Number(value);
    else if (key === '--concurrency') options.concurrency = Number(value);
    else if (key === '--profile') options.profile = path.resolve(value!);
    else variants.push(parseVariant(arg));
  }
  if (variants.length === 0) throw new Error('name at least one variant (a gateway kind, or name=kind:KEY=value,...)');
  const stack = await BenchStack.start();
  const gateways: Array<{
    variant: Variant;
    gateway: RunningGateway;
    perRequest: number[];
    systemPerRequest: number[];
  }> = [];
  try {
    const data = await seed(stack, { chats: 20, membersPerChat: 10, historyMessages: 60 });
    for (const variant of variants) {
      const gateway = await stack.startGateway(variant.kind, `ab-${variant.name}`, { env: variant.env });
      gateways.push({ variant, gateway, perRequest: [], systemPerRequest: [] });
    }
    const viewer = data.historyChat.members[0]!;
    const load = await HttpLoad.start(stack);
    try {
      const run = (g: RunningGateway, durationMs: number) =>
        load.run({
          url: g.url,
          headers: { authorization: `Bearer ${viewer.token}` },
          body: JSON.stringify({ query: HISTORY_QUERY, variables: { chatId: data.historyChat.id } }),
          mode: 'closed',
          concurrency: options.concurrency,
          durationMs,
        });
      for (const { gateway } of gateways) await run(gateway, options.runMs); // warm-up
      for (let r = 0; r < options.rounds; r++) {
        const order = gateways.map((_, i) => gateways[(i + r) % gateways.length]!);
        for (const g of order) {
          const before = processSample(g.gateway.process);
          const result = await run(g.gateway, options.runMs);
          const after = processSample(g.gateway.process);
          if (result.errors) throw new Error(`${g.variant.name}: ${result.errors} errors: ${result.firstError}`);
          g.perRequest.push(((after.cpuSeconds - before.cpuSeconds) * 1000) / Math.max(1, result.completed));
          g.systemPerRequest.push(
            ((after.systemSeconds - before.systemSeconds) * 1000) / Math.max(1, result.completed),
          );
        }
        process.stdout.write(
          `round ${r + 1}: ${gateways.map((g) => `${g.variant.name} ${round(g.perRequest.at(-1)!, 3)}`).join(', ')}\n`,
        );
      }
      if (options.profile) {
        const { process: proc } = gateways[0]!.gateway;
        await ipcRequest(proc, { type: 'profile-start', intervalUs: 100 });
        const result = await run(gateways[0]!.gateway, 10_000);
        await ipcRequest(proc, { type: 'profile-stop', file: options.profile });
        process.stdout.write(
          `profile of ${gateways[0]!.variant.name} at ${round(result.requestsPerSecond, 0)} req/s: ${options.profile}\n`,
        );
      }
    } finally {
      await load.close();
    }
    // Paired by round (the machine's speed drifts between rounds more than within one): the median of the ratios.
    const first = gateways[0]!;
    for (const g of gateways) {
      const sorted = [...g.perRequest].sort((a, b) => a - b);
      const ratios = g.perRequest.map((v, i) => v / first.perRequest[i]!);
      process.stdout.write(
        `${g.variant.name.padEnd(16)} median ${round(median(g.perRequest), 3)} ms/req ` +
          `(${round(sorted[0]!, 3)}–${round(sorted.at(-1)!, 3)}), ${round(median(ratios), 3)}× ${first.variant.name} ` +
          `(rounds ${round(Math.min(...ratios), 2)}–${round(Math.max(...ratios), 2)}); of it in the kernel ` +
          `${round(median(g.systemPerRequest), 3)} ms\n`,
      );
    }
  } finally {
    await stack.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
