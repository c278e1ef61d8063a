'use strict';
// Runs several long-lived processes as one stack with concurrently's Node API: prefixed, coloured output; phases that
// start only when the previous ones answer their health URL; on Ctrl-C or SIGTERM one SIGTERM to every process, later
// phases first (the gateway drains its in-flight requests while the subgraphs still answer); and the whole stack
// stopped when any process ends on its own (a crash at start included).

const childProcess = require('node:child_process');
const { createConcurrently, Logger, LogError, LogOutput, Command } = require('concurrently');
const { waitForHealth } = require('./waitForHealth');

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** A repeated stop signal within this window is the same keypress seen twice (terminal and npm), not "hurry up". */
const REPEAT_SIGNAL_MS = 1000;

/**
 * @typedef {object} StackProcess
 * @property {string} name log prefix, e.g. `users`
 * @property {string[]} argv command and arguments, e.g. `['node', 'server.js']`
 * @property {number} phase processes of phase n start once every process of the phases before answers its `healthUrl`
 * @property {string} [healthUrl] answers 200 once the process is up
 * @property {string} [color] prefix colour (a chalk colour name)
 * @property {NodeJS.ProcessEnv} [env] added to the environment of this process only (a replica's port...)
 */

/** POSIX shell quoting, so paths with spaces or quotes reach the process unchanged. */
function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Spawns a process in its own process group: Ctrl-C in the terminal then reaches only the runner, which stops the
 * processes itself, in order, each with exactly one SIGTERM.
 */
function spawnDetached(command, spawnOptions) {
  return childProcess.spawn('/bin/sh', ['-c', command], { ...spawnOptions, detached: true });
}

/** Signals one process; it is its own node process (see `exec` below), so there is no tree to walk. */
function signalProcess(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * A concurrently flow controller shared by every phase: it knows all processes of the stack, stops them (SIGTERM, then
 * SIGKILL after `stopTimeoutMs`, phase by phase from the last) on a stop signal or when one of them ends unexpectedly,
 * and decides the exit code.
 */
class StackSupervisor {
  /** @param {Logger} logger @param {number} stopTimeoutMs */
  constructor(logger, stopTimeoutMs) {
    this.logger = logger;
    this.stopTimeoutMs = stopTimeoutMs;
    /** @type {{ command: Command, closed: Promise<void> }[][]} one entry per phase, in start order */
    this.phases = [];
    this.stopping = false;
    this.failed = false;
    this.lastSignalAt = 0;
    /** @type {Promise<void>} resolves when the stop sequence has finished */
    this.stopped = Promise.resolve();
    this.onSignal = (signal) => {
      const now = Date.now();
      if (this.stopping) {
        if (now - this.lastSignalAt < REPEAT_SIGNAL_MS) return;
        // A second Ctrl-C means "now": do not wait for graceful shutdowns.
        this.logger.logGlobalEvent(`${signal} again: killing every process`);
        this.failed = true;
        this.killAll('SIGKILL');
        return;
      }
      this.lastSignalAt = now;
      this.stop(`${signal} received: stopping every process`);
    };
    // Safety net: if the runner exits any other way, its detached processes must not outlive it.
    this.onExit = () => this.killAll('SIGKILL');
  }

  listen() {
    for (const s of STOP_SIGNALS) process.on(s, this.onSignal);
    process.on('exit', this.onExit);
  }

  dispose() {
    for (const s of STOP_SIGNALS) process.off(s, this.onSignal);
    process.off('exit', this.onExit);
  }

  /** FlowController: called once per phase, before its commands start. */
  handle(commands) {
    this.phases.push(
      commands.map((command) => ({
        command,
        closed: new Promise((resolve) => {
          command.close.subscribe(({ exitCode }) => {
            // concurrently's LogExit would print the whole `exec ...` command line; the name says enough.
            this.logger.logCommandEvent(`exited with code ${exitCode}`, command);
            if (!this.stopping) {
              this.failed = true;
              this.stop(`${command.name} ended on its own (exit code ${exitCode}): stopping the other processes`);
            }
            resolve();
          });
        }),
      })),
    );
    return { commands };
  }

  /** Starts the stop sequence once: each phase, from the last, gets SIGTERM and `stopTimeoutMs` before SIGKILL. */
  stop(reason) {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.logGlobalEvent(reason);
    this.stopped = (async () => {
      for (const phase of [...this.phases].reverse()) {
        const running = phase.filter(({ command }) => Command.canKill(command));
        if (!running.length) continue;
        for (const { command } of running) command.kill('SIGTERM');
        let timer;
        const timedOut = new Promise((resolve) => {
          timer = setTimeout(() => resolve(true), this.stopTimeoutMs);
        });
        const late = await Promise.race([Promise.all(running.map((r) => r.closed)).then(() => false), timedOut]);
        clearTimeout(timer);
        if (late) {
          const left = running.filter(({ command }) => Command.canKill(command));
          this.failed = true;
          this.logger.logGlobalEvent(
            `${left.map((r) => r.command.name).join(', ')} still running after ${this.stopTimeoutMs} ms: sending SIGKILL`,
          );
          for (const { command } of left) command.kill('SIGKILL');
          await Promise.all(left.map((r) => r.closed));
        }
      }
    })();
  }

  /** Marks the run as failed and stops everything. */
  fail(reason) {
    this.failed = true;
    this.stop(reason);
  }

  killAll(signal) {
    for (const phase of this.phases) {
      for (const { command } of phase) if (Command.canKill(command)) command.kill(signal);
    }
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
 * @param {import('stream').Writable} [options.output] where prefixed output goes; default process.stdout
 * @param {number} [options.startTimeoutMs] how long a process may take to answer its health URL; default 60000
 * @param {number} [options.stopTimeoutMs] how long a phase may take to exit after SIGTERM; default 15000
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
          env: { ...env, ...p.env },
          ...(p.color ? { prefixColor: p.color } : {}),
        })),
        {
          cwd,
          logger,
          // Every phase logs through the same logger; one writer (the first phase's) prints all of it.
          outputStream: results.length === 0 ? output : undefined,
          controllers: [new LogError({ logger }), new LogOutput({ logger }), supervisor],
          spawn: spawnDetached,
          kill: signalProcess,
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
    await supervisor.stopped;
    const unclean = events.some((e) => typeof e.exitCode === 'number' && e.exitCode !== 0);
    return supervisor.failed || unclean ? 1 : 0;
  } catch (err) {
    supervisor.fail(`runner error: ${err && err.message ? err.message : String(err)}`);
    await Promise.all(results);
    await supervisor.stopped;
    return 1;
  } finally {
    supervisor.dispose();
  }
}

module.exports = { runStack };
