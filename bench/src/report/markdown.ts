import type { BenchResult } from '../runBench';
import type { RateResult } from '../scenarios/liveLatency';
import { cpuBudget } from './cpuBudget';
import type { ProfileSummary } from './cpuProfile';
import { round } from '../stats';

import { kb, ms, num, x } from './format';
import { growthMarkdown, growthSvgFile } from './growthReport';
import { targetLines } from './targetLines';

function table(head: string[], rows: Array<Array<string | number>>): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The generated section of docs/benchmarks.md: tables of one run. */
export function renderMarkdown(result: BenchResult, resultFile: string, svgFile: string): string {
  const out: string[] = [];
  const m = result.machine;
  out.push(
    `Run of ${result.startedAt} (${result.mode}, ${result.durationSeconds} s): \`${result.command}\` → [\`${resultFile}\`](${resultFile}).`,
  );
  out.push('');
  out.push(
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}; ${m.node}; ${m.postgres}; ${m.redis}. Pinning: ${m.pinning}.`,
  );
  out.push('');
  out.push(
    `Versions: ${Object.entries(result.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  );
  out.push('');
  out.push('### Targets');
  out.push('');
  out.push(table(['target', 'this run', 'verdict'], targetLines(result)));
  out.push('');
  const q = result.scenarios.federatedQuery;
  if (q) {
    out.push(`### 1. Federated query (history page: 50 messages, authors, presence)`);
    out.push('');
    out.push(
      `Fixed concurrency ${q.concurrency} for ${q.runMs / 1000} s per run, then a fixed rate of ${q.fixedRate} req/s (half the slowest warm-up); ${q.rounds} interleaved rounds, medians. ` +
        `Query plan fetches: ${Object.entries(q.queryPlanFetches)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}.`,
    );
    out.push('');
    out.push(
      table(
        [
          'gateway',
          'req/s',
          'p50',
          'p99',
          `p50 @ ${q.fixedRate}/s`,
          `p99 @ ${q.fixedRate}/s`,
          'gateway CPU',
          'gateway CPU ms/req',
          'subgraphs CPU ms/req',
          'errors',
        ],
        q.gateways.map((g) => [
          g.kind,
          num(g.requestsPerSecond),
          ms(g.p50),
          ms(g.p99),
          ms(g.fixedRateP50),
          ms(g.fixedRateP99),
          `${g.gatewayCpuPercent}%`,
          num(g.gatewayCpuMsPerRequest, 2),
          num(g.subgraphsCpuMsPerRequest, 2),
          g.errors + g.fixedRateErrors,
        ]),
      ),
    );
    out.push('');
    const ratios = Object.entries(q.ratios);
    if (ratios.length) {
      out.push(
        table(
          [
            'chatgraph vs',
            'throughput (higher better)',
            'p99 (lower better)',
            `p99 @ ${q.fixedRate}/s`,
            'gateway CPU per request (peer ÷ ours)',
          ],
          ratios.map(([k, r]) => [k, x(r.throughput), x(r.p99), x(r.fixedRateP99), x(r.cpuPerRequest)]),
        ),
      );
      out.push('');
    }
    if (q.gateways.some((g) => g.kind === 'chatgraph-unshared'))
      out.push(
        '- chatgraph-unshared: ours with `SUBGRAPH_FETCH_SHARING=false`, every fetch a subgraph request of its own. This load (one viewer, the same query 16 at a time) is the best case for sharing identical fetches in flight, which ours (by default) and Hive Gateway do; Apollo Gateway and the floor do not. With many viewers, or different queries, the numbers move towards this row.',
      );
    if (q.gateways.some((g) => g.kind === 'hive-cached'))
      out.push(
        '- hive-cached: Hive Gateway with its response cache (whole responses per viewer, same TTL as our entity cache); one viewer and one chat, so nearly every request is a hit that runs no subgraph request, and presence is served up to a TTL old. Ours caches only user profiles; chats and presence are asked for every request, by one subgraph request for identical fetches in flight at the same time.',
      );
    if (q.gateways.some((g) => g.kind === 'floor'))
      out.push(
        "- floor: not a gateway: the history query's plan (the planner's fetch operations) run by hand over undici keep-alive pools like ours, with the same token check, signed identity header and a Map of user profiles, and no GraphQL work (parsing, validation, planning, result shaping, limits, metrics, tracing). Its CPU per request is what the transport costs; a gateway's distance from it is what its GraphQL machinery costs.",
      );
    for (const [k, why] of Object.entries(q.skipped)) out.push(`- ${k} not measured: ${why}`);
  }
  const live = result.scenarios.liveLatency;
  if (live) {
    out.push(
      `### 2. Live event latency (${live.subscribers} subscribers, ${live.chats} chats, ${live.gatewayInstances} gateway instances)`,
    );
    out.push('');
    out.push(
      'Send through instance A of each system (sendMessage over HTTP), receipt on every subscriber of the chat (half on A, half on B). Latency from the moment the send was due. chatgraph runs its rounds first (rates in alternating order), a peer one phase after them, lightest rate first (a peer that falls behind leaves a backlog that would spill into whatever runs next). A run gives sends in flight and late receipts a bounded time; what has not arrived by then counts as not delivered, and the percentiles are of what was delivered.',
    );
    out.push('');
    const systems: Array<[string, RateResult[]]> = [
      ['chatgraph', live.rates],
      ...Object.entries(live.peers ?? {}).map(([k, v]): [string, RateResult[]] => [k, v.rates]),
    ];
    out.push(
      table(
        [
          'gateway',
          'events/s',
          'p50',
          'p99',
          'max',
          'p99 on B (cross-instance)',
          'sendMessage alone p50 / p99',
          'delivered',
          'CPU ms per event',
        ],
        systems.flatMap(([kind, rates]) =>
          rates.map((r) => [
            kind,
            r.rate,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            ms(r.otherInstanceP99),
            `${ms(r.sendP50)} / ${ms(r.sendP99)}`,
            `${r.delivered}/${r.expected}`,
            Object.entries(r.cpuMsPerEvent)
              .map(([k, v]) => `${k} ${round(v, 2)}`)
              .join(', '),
          ]),
        ),
      ),
    );
    out.push('');
    for (const r of live.rates) {
      const line = cpuBudget(r.cpuMsPerEvent, r.rate, result.machine.cpus, 'event');
      if (line) out.push(`- chatgraph at ${r.rate}/s: ${line}`);
    }
    out.push('');
    for (const [peer, p] of Object.entries(live.peers ?? {})) {
      const times = (theirs: number, ours: number) => x(round(theirs / ours, theirs / ours >= 10 ? 0 : 2));
      out.push(
        `${peer} ÷ chatgraph (how many times our latency): ${p.rates
          .map(
            (r, i) => `at ${r.rate}/s p50 ${times(r.p50, live.rates[i]!.p50)}, p99 ${times(r.p99, live.rates[i]!.p99)}`,
          )
          .join('; ')}.`,
      );
      out.push('');
    }
    for (const [k, why] of Object.entries(live.notRun)) out.push(`- ${k} not run: ${why}`);
    for (const [k, note] of Object.entries(live.notes ?? {})) out.push(`- ${k}: ${note}`);
    out.push('');
  }
  const f = result.scenarios.fanout;
  if (f) {
    out.push(
      `### 3. Fan-out and memory (one gateway process, ${f.chats} chats, ${f.rate} events/s sent to the chats subgraph)`,
    );
    out.push('');
    out.push(
      table(
        [
          'subscriptions',
          'connections',
          'deliveries/s',
          'p50',
          'p99',
          'max',
          'delivered',
          'gateway CPU',
          'subgraphs CPU',
          'load CPU',
          'idle heap / sub',
          'idle RSS / sub',
        ],
        f.steps.map((s) => [
          s.subscriptions,
          s.connections,
          num(s.deliveriesPerSecond),
          ms(s.p50),
          ms(s.p99),
          ms(s.max),
          `${s.run.received}/${s.run.expected}`,
          `${s.gatewayCpuPercent}%`,
          `${s.subgraphsCpuPercent}%`,
          `${s.loadGeneratorCpuPercent}%`,
          kb(s.heapBytesPerSubscription),
          kb(s.rssBytesPerSubscription),
        ]),
      ),
    );
    out.push('');
    out.push(
      `Stopped: ${f.stoppedBecause}. ${f.onePerConnection.subscriptions} idle subscriptions with one connection each: ${kb(f.onePerConnection.heapBytesPerSubscription)} heap and ` +
        `${kb(f.onePerConnection.rssBytesPerSubscription)} RSS per subscription (after a full GC${f.onePerConnection.warmup ? `; what the last ${f.onePerConnection.subscriptions - f.onePerConnection.warmup} added after a warm-up of ${f.onePerConnection.warmup}` : ''}).`,
    );
    out.push('');
  }
  const d = result.scenarios.dataLayer;
  if (d) {
    out.push(`### 4. Data layer (${d.chatsShards} chats shards, ${d.usersShards} users shards)`);
    out.push('');
    out.push(
      table(
        ['send path', 'concurrency', 'sends/s', 'p50', 'p99'],
        d.send.map((s) => [s.impl, s.concurrency, num(s.opsPerSecond), ms(s.p50), ms(s.p99)]),
      ),
    );
    out.push('');
    out.push(
      `storage ÷ raw pg: ${Object.entries(d.ratios)
        .map(([k, r]) => `${k}: ${x(r)}`)
        .join(', ')}.`,
    );
    out.push('');
    out.push(
      table(
        ['operation', 'shards touched', 'statements', 'per shard', 'note'],
        d.shards.map((s) => [s.operation, s.shardsTouched, s.statements, s.perShard.join(' '), s.note ?? '']),
      ),
    );
    out.push('');
  }
  if (result.scenarios.growth) out.push(...growthMarkdown(result.scenarios.growth, growthSvgFile(svgFile)));
  const pl = result.scenarios.pipeline;
  if (pl) {
    const o = pl.options;
    out.push('### 6. Notification pipeline (relay → RabbitMQ → notifier → inbox and webhooks)');
    out.push('');
    out.push(
      `${o.pairs} direct chats, each with a webhook of its sender to a receiver on 127.0.0.1. Live: ${o.rate} messages/s for ${o.durationMs / 1000} s, one notifier, every recipient subscribed to \`notificationAdded\` through one gateway. Drain: ${num(o.backlog)} messages committed while no notifier runs, then one worker (inbox and webhook deliveries together in one process).`,
    );
    out.push('');
    out.push(
      table(
        ['phase', 'what', 'count', 'p50', 'p90', 'p99', 'max'],
        [
          [
            'live',
            'commit → notificationAdded at the recipient',
            pl.live.notifications,
            ms(pl.live.notificationLatency.p50),
            ms(pl.live.notificationLatency.p90),
            ms(pl.live.notificationLatency.p99),
            ms(pl.live.notificationLatency.max),
          ],
          [
            'live',
            'commit → webhook at the receiver',
            pl.live.webhooks,
            ms(pl.live.webhookLatency.p50),
            ms(pl.live.webhookLatency.p90),
            ms(pl.live.webhookLatency.p99),
            ms(pl.live.webhookLatency.max),
          ],
        ],
      ),
    );
    out.push('');
    out.push(
      `Drain, one worker: ${num(pl.drain.notificationsPerSecond)} notifications/s (${pl.drain.notificationSeconds} s for ${num(pl.drain.events)}), ${num(pl.drain.webhookDeliveriesPerSecond)} webhook deliveries/s (${pl.drain.webhookSeconds} s${pl.drain.webhookConnections === undefined ? '' : `, over ${num(pl.drain.webhookConnections)} connections`}). Sends refused in the live phase: ${pl.live.failedSends}.`,
    );
    if (pl.webhookWorker)
      out.push(
        '',
        `A webhook worker alone (\`NOTIFIER_ROLES=webhooks\`), ${num(pl.webhookWorker.events)} events relayed before it started: ${num(pl.webhookWorker.deliveriesPerSecond)} deliveries/s (${pl.webhookWorker.seconds} s, over ${num(pl.webhookWorker.connections)} connections), ${pl.webhookWorker.cpuMsPerDelivery} CPU ms of the worker per delivery, machine CPUs busy ${pl.webhookWorker.machineCpuBusyPercent.join('/')} %.`,
      );
    const budget = cpuBudget(pl.live.cpuMsPerMessage, pl.options.rate, result.machine.cpus, 'message');
    if (budget) out.push('', `Live phase at ${pl.options.rate} messages/s: ${budget}`);
    out.push('');
    // Runs before the split and the error count were recorded have neither.
    const splitOf = pl.live.notificationLatencySplit;
    if (splitOf) {
      const errors = Object.entries(pl.live.subscriptionErrors ?? {});
      const fieldErrors = Object.entries(pl.live.notificationErrors ?? {});
      out.push(
        `Median split of a live notification's latency: ${ms(splitOf.toInbox)} from the message's commit to the notification's (relay, RabbitMQ, worker), ${ms(splitOf.toRecipient)} from there to the recipient (Redis, the gateway's live execution, the socket). Subscriptions ended by the gateway: ${errors.length ? errors.map(([code, n]) => `${n} \`${code}\``).join(', ') + ' (retryable ones resumed with `afterId`)' : 'none'}. Errors inside notifications received (a field the gateway could not fetch arrives as null; such a notification is not counted above): ${fieldErrors.length ? fieldErrors.map(([code, n]) => `${n} \`${code}\``).join(', ') : 'none'}.`,
      );
      out.push('');
    }
  }
  const profiles = result.profiles;
  if (profiles) {
    out.push('### Where the CPU goes (V8 sampling profiler, after a warm-up)');
    out.push('');
    for (const [name, p] of Object.entries(profiles) as Array<[string, ProfileSummary]>) {
      out.push(
        `**${{ query: 'Gateway, federated query load', live: 'Gateway, fan-out load', sendPath: 'Send path (MessageStore.send, concurrency 1, bench process)' }[name] ?? name}** (busy ${p.busyPercent}% of ${p.samples} samples; shares of busy time). By package: ` +
          p.byPackage
            .slice(0, 10)
            .map((x) => `${x.name} ${x.percent}%`)
            .join(', ') +
          '.',
      );
      out.push('');
      out.push(
        table(
          ['function (self time)', 'share'],
          p.topFunctions.slice(0, 12).map((f) => [`\`${f.name}\``, `${f.percent}%`]),
        ),
      );
      out.push('');
    }
  }
  if (Object.keys(result.errors).length) {
    out.push('### Failed scenarios');
    out.push('');
    for (const [k, v] of Object.entries(result.errors)) out.push(`- ${k}: ${v.split('\n')[0]}`);
    out.push('');
  }
  out.push(`![Latency distributions](${svgFile})`);
  out.push('');
  return out.join('\n');
}
