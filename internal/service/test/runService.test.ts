import pino from 'pino';
import { runService } from '../src';

/** Runs `runService` in this process with `process.exit` captured and the signal handlers removed afterwards. */
async function withRunService(
  start: () => Promise<{ close(): Promise<void> }>,
  act: (exited: Promise<number>) => Promise<void>,
  graceMs?: number,
): Promise<void> {
  const events = ['SIGTERM', 'SIGINT', 'unhandledRejection'];
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
});
