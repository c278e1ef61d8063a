#!/usr/bin/env node
// `npm run services:check`: does every backing service of the stack (internal/manifest's BACKING_SERVICES:
// PostgreSQL, Redis, ...) answer where the stack would look for it? Exits non-zero when one does not, saying what
// `npm start` would do about it: run a server of its own (its URL variable unset), or nothing (then how to start or
// install one). Compiles internal/config first (a second), so it works before `npm run build`.
'use strict';

const { buildConfig } = require('./prepareStack');
const { describeProblems, localPlan, probeBackingServices } = require('./backing/backingServices');
const { describeError, redact } = require('./backing/probes');

async function main() {
  if (!(await buildConfig())) return 1;
  const statuses = await probeBackingServices();
  for (const s of statuses) {
    const where = redact(s.url);
    const plan = localPlan(s);
    if (s.ok) process.stdout.write(`${s.service.label} answers at ${where}\n`);
    else if (plan) {
      process.stderr.write(
        `${s.service.label} does not answer at ${where} (${s.error}); ${s.service.urlKey} is unset, so npm start ` +
          `would run ${plan}.\n`,
      );
    }
  }
  const problems = describeProblems(statuses);
  if (problems) process.stderr.write(`${problems}\n`);
  return statuses.every((s) => s.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`services:check failed: ${describeError(err)}\n`);
    process.exit(1);
  },
);
