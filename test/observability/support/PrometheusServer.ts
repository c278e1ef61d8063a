import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitUntil } from '@chatgraph/testing';

/** Whether Debian's `prometheus` package is installed (the test that needs it is skipped otherwise). */
export const prometheusInstalled = spawnSync('prometheus', ['--version']).status === 0;

/** One scrape target: a process's admin server. */
export interface ScrapeTarget {
  /** The `job` label (the process name). */
  job: string;
  port: number;
}

/** A PromQL instant vector sample. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus server of the test's own (a temporary data directory, a free port) scraping the admin servers of
 * a stack every 500 ms, with the scrape configuration of deploy/prometheus (its jobs replaced by the test's targets).
 */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly output: string[],
  ) {}

  static async start(targets: readonly ScrapeTarget[]): Promise<PrometheusServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-prometheus-'));
    const port = await freePort();
    const jobs = targets
      .map(
        (t) =>
          `  - job_name: ${JSON.stringify(t.job)}\n    static_configs:\n      - targets: ["127.0.0.1:${t.port}"]\n`,
      )
      .join('');
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\nscrape_configs:\n${jobs}`,
    );
    const output: string[] = [];
    const child = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir, output);
    try {
      await waitUntil('prometheus is ready', async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${output.join('').slice(-2000)}`);
        return fetch(`${server.url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      });
    } catch (err) {
      await server.close();
      throw err;
    }
    return server;
  }

  /** Runs an instant PromQL query; resolves with its samples. */
  async query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The single value of a query that sums to one sample (undefined when it has none). */
  async value(promql: string): Promise<number | undefined> {
    const samples = await this.query(promql);
    return samples[0]?.value;
  }

  /** What the process wrote, for failure messages. */
  get log(): string {
    return this.output.join('').slice(-3000);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
