'use strict';
// Runs several long-lived processes as one stack with concurrently's Node API: prefixed, coloured output; phases that
// start only when the previous ones answer their health URL; one SIGTERM to every process on Ctrl-C or SIGTERM; and
// the whole stack stopped when any process ends on its own (a crash at start included).

const { createConcurrently, Logger, LogError, LogOutput, Command } = require('concurrently');
const { waitForHealth } = require('./waitForHealth');

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * @typedef {object} StackProcess
 * @property {string} name log prefix, e.g. `users`
 * @property {string[]} argv command and arguments, e.g. `['node', 'subgraphs/users/dist/index.js']`
 * @property {number} phase processes of phase n start once every process of the phases before answers its `healthUrl`
 * @property {string} [healthUrl] answers 200 once the process is up
 * @property {string} [color] prefix colour (a chalk colour name)
 */

/** POSIX shell quoting, so paths with spaces or quotes reach the process unchanged. */
function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A concurrently flow controller shared by every phase: it knows all processes of the stack, stops them all (SIGTERM,
 * then SIGKILL after `stopTimeoutMs`) on a stop signal or when one of them ends unexpectedly, and decides the exit code.
 */
class StackSupervisor {
  /** @param {Logger} logger @param {number} stopTimeoutMs */
  constructor(logger, stopTimeoutMs) {
    this.logger = logger;
    this.stopTimeoutMs = stopTimeoutMs;
    /** @type {Command[]} */
    this.commands = [];
    this.stopping = false;
    this.failed = false;
    this.killTimer = undefined;
    this.onSignal = (signal) => {
      if (this.stopping) {
        // A second Ctrl-C means "now": do not wait for graceful shutdowns.
        this.logger.logGlobalEvent(`${signal} again: killing every process`);
        this.killAll('SIGKILL');
        return;
      }
      this.stop(`${signal} received: stopping every process`);
    };
  }

  listen() {
    for (const s of STOP_SIGNALS) process.on(s, this.onSignal);
  }

  dispose() {
    for (const s of STOP_SIGNALS) process.off(s, this.onSignal);
    clearTimeout(this.killTimer);
  }

  /** FlowController: watches each command for an exit nobody asked for. */
  handle(commands) {
    this.commands.push(...commands);
    for (const command of commands) {
      command.close.subscribe(({ exitCode }) => {
        // concurrently's LogExit would print the whole `exec ...` command line; the name says enough.
        this.logger.logCommandEvent(`exited with code ${exitCode}`, command);
        if (this.stopping) {
          if (this.commands.every((c) => !Command.canKill(c))) clearTimeout(this.killTimer);
          return;
        }
        this.failed = true;
        this.stop(`${command.name} ended on its own (exit code ${exitCode}): stopping the other processes`);
      });
    }
    return { commands };
  }

  /** Sends SIGTERM to every running process, and SIGKILL to those still running `stopTimeoutMs` later. */
  stop(reason) {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.logGlobalEvent(reason);
    this.killAll('SIGTERM');
    this.killTimer = setTimeout(() => {
      const left = this.commands.filter((c) => Command.canKill(c));
      if (!left.length) return;
      this.failed = true;
      this.logger.logGlobalEvent(
        `${left.map((c) => c.name).join(', ')} still running after ${this.stopTimeoutMs} ms: sending SIGKILL`,
      );
      this.killAll('SIGKILL');
    }, this.stopTimeoutMs);
  }

  /** Marks the run as failed and stops everything. */
  fail(reason) {
    this.failed = true;
    this.stop(reason);
  }

  killAll(signal) {
    for (const c of this.commands) if (Command.canKill(c)) c.kill(signal);
  }
}

/**
 * Starts the processes phase by phase and resolves, once every started process has ended, with the exit code for the
 * runner: 0 after a requested stop where every process exited cleanly, 1 when a process failed to start, ended on its
 * own, exited non-zero while stopping, or had to be killed.
 * @param {object} options
 * @param {StackProcess[]} options.processes
 * @param {string} options.cwd working directory of every process
 * @param {NodeJS.ProcessEnv} [options.env] added to the runner's environment for every process
 * @param {import('stream').Writable} [options.output] @default process.stdout
 * @param {number} [options.startTimeoutMs] how long a process may take to answer its health URL @default 60000
 * @param {number} [options.stopTimeoutMs] how long processes may take to exit after SIGTERM @default 15000
 * @param {() => void} [options.onReady] called once every process answers its health URL
 * @returns {Promise<number>}
 */
async function runStack(options) {
  const {
    processes,
    cwd,
    env = {},
    output = process.stdout,
    startTimeoutMs = 60_000,
    stopTimeoutMs = 15_000,
  } = options;
  if (!processes.length) throw new Error('runStack: no process to run');
  const logger = new Logger({ prefixFormat: 'name' });
  logger.setPrefixLength(Math.max(...processes.map((p) => p.name.length)));
  const supervisor = new StackSupervisor(logger, stopTimeoutMs);
  supervisor.listen();

  const phases = [...new Set(processes.map((p) => p.phase))].sort((a, b) => a - b);
  /** @type {Promise<import('concurrently').CloseEvent[]>[]} */
  const results = [];
  try {
    for (const phase of phases) {
      if (supervisor.stopping) break;
      const members = processes.filter((p) => p.phase === phase);
      const run = createConcurrently(
        members.map((p) => ({
          name: p.name,
          // `exec` makes the shell replace itself with the process, so signals reach it directly.
          command: `exec ${p.argv.map(shellQuote).join(' ')}`,
          env,
          ...(p.color ? { prefixColor: p.color } : {}),
        })),
        {
          cwd,
          logger,
          outputStream: output,
          controllers: [new LogError({ logger }), new LogOutput({ logger }), supervisor],
          // Each process is its own node (see `exec` above): signal it directly rather than walking a process tree.
          kill: (pid, signal) => {
            try {
              process.kill(pid, signal);
            } catch {
              // Already gone.
            }
          },
        },
      );
      // The result rejects with the same close events when a process failed; both cases are judged below.
      results.push(run.result.catch((events) => events));
      const outcomes = await Promise.all(
        members.map((p) =>
          p.healthUrl
            ? waitForHealth(p.healthUrl, { timeoutMs: startTimeoutMs, shouldStop: () => supervisor.stopping }).then(
                (outcome) => ({ p, outcome }),
              )
            : { p, outcome: 'healthy' },
        ),
      );
      const late = outcomes.filter((o) => o.outcome === 'timeout').map((o) => o.p);
      if (late.length && !supervisor.stopping) {
        supervisor.fail(
          `${late.map((p) => `${p.name} (${p.healthUrl})`).join(', ')} did not answer within ${startTimeoutMs} ms: stopping`,
        );
      }
    }
    if (!supervisor.stopping && options.onReady) options.onReady();
    const events = (await Promise.all(results)).flat();
    const unclean = events.some((e) => typeof e.exitCode === 'number' && e.exitCode !== 0);
    return supervisor.failed || unclean ? 1 : 0;
  } catch (err) {
    supervisor.fail(`runner error: ${err && err.message ? err.message : String(err)}`);
    await Promise.all(results);
    return 1;
  } finally {
    supervisor.dispose();
  }
}

module.exports = { runStack };
