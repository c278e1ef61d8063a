// A command run the way a person runs it from a terminal, for the deploy tests: its own process group (so a test can
// press "Ctrl-C" with SIGINT to the group), stdout and stderr collected together.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');

/** A running command. */
export interface Run {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output: () => string;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** Resolves once `text` was printed; rejects when the command exits without printing it. */
  waitFor: (text: string) => Promise<void>;
}

/** Starts `command` in `cwd` (the repository root by default). */
export function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = ROOT,
): Run {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const listeners: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes(text)) resolve();
      };
      listeners.push(check);
      check();
      void exited.then(() => {
        if (!out.includes(text)) reject(new Error(`exited without printing ${JSON.stringify(text)}:\n${out}`));
      });
    });
  return { child, output: () => out, exited, waitFor };
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
