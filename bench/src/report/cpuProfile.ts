import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths';
import { round } from '../stats';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Where the samples of a CPU profile fell: by package and by function (self time). */
export interface ProfileSummary {
  /** The .cpuprofile (relative to the repository; open it in Chrome DevTools). */
  file: string;
  samples: number;
  /** Share of samples in which the process was not idle. Shares below are of the busy samples. */
  busyPercent: number;
  /** Share of self time per package (node_modules package, chatgraph package, node internals, GC, idle). */
  byPackage: Array<{ name: string; percent: number }>;
  /** The functions with the most self time. */
  topFunctions: Array<{ name: string; percent: number }>;
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(gateway|internal\/[a-z]+|subgraphs\/[a-z]+|bench)\//.exec(url);
  return m ? `chatgraph ${m[1]}` : path.basename(url);
}

/** Summarizes a `.cpuprofile` written by `node --cpu-prof`. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  let total = 0;
  let idle = 0;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const name =
      `${functionName || '(anonymous)'} ${url ? `${pkg}:${path.basename(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  }
  const sorted = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, hits]) => ({ name, percent: round((hits * 100) / Math.max(1, total), 1) }));
  return {
    file: path.relative(REPO_ROOT, file),
    samples: total + idle,
    busyPercent: round((total * 100) / Math.max(1, total + idle), 1),
    byPackage: sorted(byPackage).slice(0, 20),
    topFunctions: sorted(byFunction).slice(0, top),
  };
}
