import fs from 'node:fs';
import inspector from 'node:inspector';
import v8 from 'node:v8';

type Probe =
  | { type: 'memory' }
  | { type: 'profile-start'; intervalUs?: number }
  | { type: 'profile-stop'; file: string }
  | { type: 'heap-snapshot'; file: string };

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/**
 * Answers the bench's requests over IPC:
 * - `memory`: a full GC (node started with --expose-gc), then heap and RSS, so memory per idle subscription is
 *   measured after garbage is gone;
 * - `profile-start` / `profile-stop`: a CPU profile (the inspector's sampling profiler, as `--cpu-prof` uses) of
 *   just the measured window, written as a .cpuprofile file, so start-up and warm-up do not dilute it (one sample
 *   per `intervalUs`, V8's default of 1 ms unless told);
 * - `heap-snapshot`: a V8 heap snapshot (a full GC comes with it), for `bench/src/tools/heapDiff` to compare two.
 */
export function answerBenchProbes(): void {
  let session: inspector.Session | undefined;
  process.on('message', (message: Probe) => {
    const reply = (work: Promise<object>) =>
      work.then(
        (result) => process.send?.({ type: message.type, ...result }),
        (err: Error) => process.send?.({ type: message.type, error: err.message }),
      );
    if (message?.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) {
        gc();
        gc();
      }
      const usage = process.memoryUsage();
      process.send?.({ type: 'memory', heapUsed: usage.heapUsed, rss: usage.rss, gc: Boolean(gc) });
    } else if (message?.type === 'heap-snapshot') {
      reply(Promise.resolve().then(() => ({ file: v8.writeHeapSnapshot(message.file) })));
    } else if (message?.type === 'profile-start') {
      reply(
        (async () => {
          session = new inspector.Session();
          session.connect();
          await post(session, 'Profiler.enable');
          if (message.intervalUs) await post(session, 'Profiler.setSamplingInterval', { interval: message.intervalUs });
          await post(session, 'Profiler.start');
          return {};
        })(),
      );
    } else if (message?.type === 'profile-stop') {
      reply(
        (async () => {
          if (!session) throw new Error('no profile running');
          const { profile } = await post<{ profile: object }>(session, 'Profiler.stop');
          session.disconnect();
          session = undefined;
          fs.writeFileSync(message.file, JSON.stringify(profile));
          return { file: message.file };
        })(),
      );
    }
  });
}
