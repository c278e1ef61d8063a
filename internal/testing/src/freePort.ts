import net from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` distinct TCP ports that were free a moment ago on 127.0.0.1: all are held open until the last is picked,
 * so the system cannot hand out one twice (as separate {@link freePort} calls may, each port being closed again).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      server.unref();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** True when nothing listens on `port` of 127.0.0.1 (a moment ago). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose companion `port + offset` is free too: for a process that derives a second port from its own (the
 * admin port of a service is its port + 5000 unless `ADMIN_PORT` says otherwise).
 */
export async function freePortPair(offset: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + offset <= 65535 && (await isFree(port + offset))) return port;
  }
}

/**
 * Runs `start`, which picks free ports of its own, again when it fails, at most `attempts` times in all: a port that
 * was free when picked can be taken by another server starting at the same moment before this one binds it.
 * `retryIf` says which failures are worth another try (default: any).
 */
export async function startOnFreePorts<T>(
  start: () => Promise<T>,
  options: { attempts: number; retryIf?: (err: unknown) => boolean },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= options.attempts || !(options.retryIf?.(err) ?? true)) throw err;
    }
  }
}
