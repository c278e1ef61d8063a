import { spawn } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import { runService } from '../src';

/** Runs `runService` in this process with `process.exit` captured and the signal handlers removed afterwards. */
async function withRunService(
  start: () => Promise<{ close(): Promise<void> }>,
  act: (exited: Promise<number>) => Promise<void>,
  graceMs?: number,
): Promise<void> {
  // `disconnect` is listened to when this test runs in a worker process with an IPC channel.
  const events = ['SIGTERM', 'SIGINT', 'unhandledRejection', 'disconnect'];
  const listeners = (event: string) =>
    process.listeners(event as NodeJS.Signals) as Array<(...args: unknown[]) => void>;
  const before = new Map(events.map((e) => [e, listeners(e)]));
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  const exit = jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    resolveExit(code ?? 0);
    return undefined as never;
  }) as typeof process.exit);
  try {
    runService('probe', pino({ level: 'silent' }), start, graceMs);
    await act(exited);
  } finally {
    exit.mockRestore();
    for (const e of events) {
      for (const listener of listeners(e)) {
        if (!before.get(e)!.includes(listener)) process.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
  }
}

describe('runService', () => {
  it('on SIGTERM closes the service and exits 0', async () => {
    const close = jest.fn(async () => undefined);
    await withRunService(
      async () => ({ close }),
      async (exited) => {
        await new Promise((r) => setImmediate(r)); // started
        process.emit('SIGTERM');
        expect(await exited).toBe(0);
        expect(close).toHaveBeenCalledTimes(1);
      },
    );
  });

  it('a second signal while closing does not close twice', async () => {
    let finish!: () => void;
    const close = jest.fn(() => new Promise<void>((r) => (finish = r)));
    await withRunService(
      async () => ({ close }),
      async (exited) => {
        await new Promise((r) => setImmediate(r));
        process.emit('SIGTERM');
        process.emit('SIGINT');
        await new Promise((r) => setImmediate(r)); // close() is under way
        process.emit('SIGTERM');
        finish();
        expect(await exited).toBe(0);
        expect(close).toHaveBeenCalledTimes(1);
      },
    );
  });

  it('exits 1 when closing fails', async () => {
    await withRunService(
      async () => ({ close: async () => Promise.reject(new Error('stuck')) }),
      async (exited) => {
        await new Promise((r) => setImmediate(r));
        process.emit('SIGTERM');
        expect(await exited).toBe(1);
      },
    );
  });

  it('exits 1 when closing takes longer than the grace period', async () => {
    await withRunService(
      async () => ({ close: () => new Promise<void>(() => undefined) }),
      async (exited) => {
        await new Promise((r) => setImmediate(r));
        process.emit('SIGTERM');
        expect(await exited).toBe(1);
      },
      50,
    );
  });

  it('exits 1 when the service fails to start', async () => {
    await withRunService(
      async () => Promise.reject(new Error('port in use')),
      async (exited) => {
        expect(await exited).toBe(1);
      },
    );
  });

  it('a signal during start waits for the start, closes what it opened, then exits 0', async () => {
    let started!: () => void;
    const order: string[] = [];
    const close = jest.fn(async () => {
      order.push('close');
    });
    await withRunService(
      () => new Promise((r) => (started = () => r({ close }))),
      async (exited) => {
        process.emit('SIGTERM');
        await new Promise((r) => setTimeout(r, 20));
        expect(close).not.toHaveBeenCalled();
        void exited.then(() => order.push('exit'));
        started();
        expect(await exited).toBe(0);
        await new Promise((r) => setImmediate(r));
        expect(order).toEqual(['close', 'exit']);
      },
    );
  });

  it('stops like on SIGTERM when the parent that started it over IPC goes away', async () => {
    // A real child process: the built runService, a service whose close() says so.
    const dist = path.resolve(__dirname, '..', 'dist', 'index.js');
    const script = `
      const { runService } = require(${JSON.stringify(dist)});
      const logger = require('pino')({ level: 'silent' });
      runService('probe', logger, async () => {
        process.send('started');
        return { close: async () => { process.stdout.write('closed\\n'); } };
      });`;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: path.resolve(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise((r) => child.once('message', r));
    child.disconnect();
    expect(await exited).toBe(0);
    expect(out).toBe('closed\n');
  });
});
