import { tail, type StackProcess } from '@chatgraph/testing';

/**
 * Sends a request to a bench-owned process over its IPC channel and resolves with the first reply of the same type
 * (a reply with `error` rejects). Rejects when the process exits first or does not answer within `timeoutMs`.
 */
export function ipcRequest<T>(
  proc: StackProcess,
  message: { type: string } & Record<string, unknown>,
  timeoutMs = 600_000,
): Promise<T> {
  const { child, name } = proc;
  return new Promise((resolve, reject) => {
    if (!child.connected) return reject(new Error(`${name} has no IPC channel`));
    const onMessage = (reply: { type: string; error?: string } & T) => {
      if (reply?.type !== message.type) return;
      cleanup();
      if (reply.error) reject(new Error(`${name}: ${reply.error}`));
      else resolve(reply);
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`${name} exited during ${message.type}:\n${tail(proc)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${name}: no answer to ${message.type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}
