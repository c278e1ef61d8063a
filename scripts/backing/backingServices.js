'use strict';
// The backing services of the stack (internal/manifest's BACKING_SERVICES) as `npm start` finds or provides them:
// each one's URL variable when it is set (it must answer: the choice was made), else the default address, and when
// nothing answers there a server of its own started here (scripts/backing/<name>.js: an embedded PostgreSQL from
// npm, Debian's redis-server, ...), with its data under .data/, stopped with the stack.

const fs = require('node:fs');
const path = require('node:path');
const { portOf, portToListenOn, redact } = require('./probes');

/** Repository root. */
const ROOT = path.resolve(__dirname, '..', '..');
/** Where servers started by `npm start` keep their data and logs (git-ignored). */
const DATA_DIR = path.join(ROOT, '.data');
/** How long a probe may take. */
const PROBE_TIMEOUT_MS = 2000;
/** Default port per URL scheme, for URLs that name none. */
const SCHEME_PORTS = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 };

/**
 * How each backing service is probed and run here, by its manifest name. A service of the manifest without an entry
 * is still probed by nothing and reported as missing: add scripts/backing/<name>.js for it.
 */
const KINDS = {
  postgres: require('./postgres'),
  redis: require('./redis'),
  rabbitmq: require('./rabbitmq'),
};

/**
 * @typedef {object} BackingStatus
 * @property {{ name: string, label: string, urlKey: string }} service the manifest entry
 * @property {string} url where it was looked for
 * @property {boolean} explicit whether its URL variable is set (then `npm start` never runs one of its own)
 * @property {string} [variable] the variable that says where it is (its URL variable, or REDIS_CLUSTER_NODES)
 * @property {boolean} ok whether it answers there
 * @property {string} [error] why not
 * @property {{ reason: string, debianPackage?: string }} [unavailable] why no server of its own can run here
 */

/** The environment variable naming where `npm start` looks for a backing service whose URL variable is unset. */
const probeVariable = (urlKey) => `CHATGRAPH_PROBE_${urlKey}`;

/**
 * Probes every backing service, in parallel. Needs the built @chatgraph/manifest and @chatgraph/config (see
 * prepareStack's buildConfig).
 * @param {{ env?: NodeJS.ProcessEnv, timeoutMs?: number, services?: readonly BackingStatus['service'][] }} [options]
 *   `services` @default the manifest's BACKING_SERVICES
 * @returns {Promise<BackingStatus[]>}
 */
async function probeBackingServices(options = {}) {
  const { env = process.env, timeoutMs = PROBE_TIMEOUT_MS } = options;
  const services = options.services ?? require('@chatgraph/manifest').BACKING_SERVICES;
  const { loadConfig } = require('@chatgraph/config');
  // The defaults of every URL variable, as every process would use them (empty means unset, as in loadConfig).
  const defaults = loadConfig({}, { stdoutIsTTY: false });
  return Promise.all(
    services.map(async (service) => {
      const kind = KINDS[service.name];
      // On a Redis Cluster (REDIS_CLUSTER_NODES) every process uses the cluster, not REDIS_URL: look at its first
      // node, and never start a Redis of our own.
      const clusterSeed = service.urlKey === 'REDIS_URL' && env.REDIS_CLUSTER_NODES?.split(',')[0]?.trim();
      const explicit = Boolean(env[service.urlKey]) || Boolean(clusterSeed);
      const url = clusterSeed
        ? `redis://${clusterSeed}`
        : explicit
          ? env[service.urlKey]
          : env[probeVariable(service.urlKey)] || defaults[service.urlKey];
      if (!url) {
        const reason = `${service.urlKey} has no default in internal/config`;
        return { service, url: '(nowhere)', explicit, ok: false, error: reason, unavailable: { reason } };
      }
      const error = kind
        ? await kind.probe(url, timeoutMs)
        : `scripts/backing has no probe for ${service.name}, so it is taken as down`;
      const unavailable = kind
        ? kind.localUnavailable()
        : { reason: `scripts/backing has no launcher for ${service.name}` };
      const variable = clusterSeed ? 'REDIS_CLUSTER_NODES' : service.urlKey;
      return { service, url, explicit, variable, ok: error === undefined, error, unavailable };
    }),
  );
}

/** Whether `npm start` runs a server of its own for this status. */
const startsLocally = (s) => !s.ok && !s.explicit && !s.unavailable;

/** `sudo ` unless this is root (whose machines often have no sudo). */
const sudo = () => (process.getuid?.() === 0 ? '' : 'sudo ');

/**
 * What is wrong with the services `npm start` can neither use nor start, and what to do: one paragraph per service,
 * then the one command that installs every missing server.
 * @param {BackingStatus[]} statuses
 * @returns {string} empty when nothing is wrong
 */
function describeProblems(statuses) {
  const paragraphs = [];
  const packages = [];
  for (const s of statuses.filter((x) => !x.ok && !startsLocally(x))) {
    const { label, name } = s.service;
    const urlKey = s.variable ?? s.service.urlKey;
    const kind = KINDS[name];
    const lines = [`${label} does not answer at ${redact(s.url)} (${s.error}).`];
    if (s.explicit) {
      const [onMachine, withContainers] = kind ? kind.howToStart() : [];
      if (onMachine) lines.push(`  Start it on this machine:  ${onMachine}`);
      if (withContainers) lines.push(`  or with containers:        ${withContainers}`);
      lines.push(
        `  or point ${urlKey} at a running one${s.unavailable ? '' : ', or unset it: npm start then runs one'}.`,
      );
    } else {
      lines.push(`  npm start cannot run one here: ${s.unavailable.reason}.`);
      if (s.unavailable.debianPackage) packages.push(s.unavailable.debianPackage);
      lines.push(`  Or start one with containers: docker compose up -d ${name}`);
      lines.push(`  or point ${urlKey} at a running one.`);
    }
    paragraphs.push(lines.join('\n'));
  }
  if (packages.length) {
    paragraphs.push(
      `Install what is missing (npm start then runs it by itself):\n  ${sudo()}apt-get install -y ${packages.join(' ')}`,
    );
  }
  return paragraphs.join('\n');
}

/** A path relative to the repository root when it is inside it, for messages. */
const shown = (p) => (p.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, p) : p);

/**
 * @typedef {object} ProvidedServices
 * @property {boolean} ok false when a service neither answers nor can be started here (nothing is left running)
 * @property {Record<string, string>} env the URL variables of the servers started here, for every process
 * @property {{ label: string, url: string, what: string }[]} servers the servers started here
 * @property {() => Promise<boolean>} stop stops the servers started here, last started first; resolves whether
 *   every one exited cleanly
 */

/**
 * Finds every backing service, starting a local server for each one that does not answer at the default address
 * while its URL variable is unset; prints one line per server started. When a service can neither be used nor
 * started, prints what to do (stderr) and starts nothing.
 * @param {{
 *   env?: NodeJS.ProcessEnv,
 *   dataDir?: string,
 *   log?: (line: string) => void,
 *   shouldStop?: () => boolean,
 *   services?: readonly BackingStatus['service'][],
 * }} [options] `env`: default process.env; `dataDir`: default `.data` in the repository root; `log`: default a line
 *   on stdout; `shouldStop`: checked before each start (a stop was requested); `services`: default the manifest's
 *   BACKING_SERVICES
 * @returns {Promise<ProvidedServices>}
 */
async function provideBackingServices(options = {}) {
  const {
    env = process.env,
    dataDir = DATA_DIR,
    log = (line) => process.stdout.write(`${line}\n`),
    shouldStop = () => false,
    services,
  } = options;
  const statuses = await probeBackingServices({ env, services });
  /** @type {{ label: string, server: import('./localProcess').LocalProcess }[]} */
  const started = [];
  // Safety net: servers started here must not outlive a runner that exits any other way (SIGTERM lets them stop
  // cleanly; the embedded PostgreSQL also stops when its parent is gone).
  const onExit = () => {
    for (const { server } of started) if (server.running()) process.kill(server.pid, 'SIGTERM');
  };
  process.on('exit', onExit);
  const stop = async () => {
    let clean = true;
    for (const { label, server } of [...started].reverse()) {
      const wasRunning = server.running();
      const { code, killed } = await server.stop();
      // A server that ended before it was asked to is a failure of the run, even with exit code 0.
      clean &&= wasRunning && code === 0 && !killed;
      if (!wasRunning) log(`${label} had already exited (exit code ${code}); see its log.`);
      else log(`Stopped ${label} (${killed ? 'killed after the stop timeout' : `exit code ${code}`}).`);
    }
    process.off('exit', onExit);
    return clean;
  };

  const problems = describeProblems(statuses);
  if (problems) {
    process.stderr.write(`${problems}\n`);
    process.off('exit', onExit);
    return { ok: false, env: {}, servers: [], stop };
  }
  const provided = {};
  const servers = [];
  for (const s of statuses.filter(startsLocally)) {
    if (shouldStop()) break;
    const { label, urlKey, name } = s.service;
    try {
      fs.mkdirSync(dataDir, { recursive: true });
      const scheme = new URL(s.url).protocol;
      const port = await portToListenOn(portOf(s.url, SCHEME_PORTS[scheme] ?? 0));
      const server = await KINDS[name].startLocal({ dataDir, port });
      started.push({ label: server.what, server });
      provided[urlKey] = server.url;
      servers.push({ label, url: server.url, what: server.what });
      log(
        `No ${label} answers at ${redact(s.url)} and ${urlKey} is unset: started ${server.what} at ${server.url} ` +
          `(pid ${server.pid}, data in ${shown(server.data)}, log ${shown(server.logFile)}); it stops with the stack.`,
      );
    } catch (err) {
      process.stderr.write(`Could not start a ${label} here: ${err instanceof Error ? err.message : String(err)}\n`);
      await stop();
      return { ok: false, env: {}, servers: [], stop };
    }
  }
  return { ok: true, env: provided, servers, stop };
}

/**
 * What `npm start` would run for this status (undefined when it would use the one that answers or cannot start one).
 * @param {BackingStatus} status
 */
const localPlan = (status) => (startsLocally(status) ? KINDS[status.service.name].describeLocal() : undefined);

module.exports = {
  DATA_DIR,
  describeProblems,
  localPlan,
  probeBackingServices,
  provideBackingServices,
};
