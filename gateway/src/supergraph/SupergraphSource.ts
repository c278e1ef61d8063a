import fs from 'node:fs';
import path from 'node:path';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@chatgraph/logging';

/** The committed supergraph: `gateway/supergraph.graphql`, from src/ or dist/. */
export const DEFAULT_SUPERGRAPH_PATH = path.join(__dirname, '..', '..', 'supergraph.graphql');

/** Options of {@link SupergraphSource}. */
export interface SupergraphSourceOptions {
  /** @default DEFAULT_SUPERGRAPH_PATH */
  path?: string;
  /** Re-read the file every this many ms and apply it when it changed; 0 = only on `reload()`. @default 0 */
  pollMs?: number;
  logger: Logger;
}

/**
 * Feeds ApolloGateway the committed supergraph file (no runtime introspection) and reloads it without a restart: on
 * `reload()` (wired to SIGHUP) or, when `pollMs` > 0, when the file changes. A file that fails to load is logged and
 * the running schema stays.
 */
export class SupergraphSource {
  readonly path: string;
  private update: ((sdl: string) => void) | undefined;
  private current: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupergraphSourceOptions) {
    this.path = options.path ?? DEFAULT_SUPERGRAPH_PATH;
  }

  /** Reads the file (throws with a clear message when it is missing). */
  read(): string {
    try {
      return fs.readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new Error(
        `cannot read the supergraph at ${this.path} (run "npm run supergraph"): ${(err as Error).message}`,
      );
    }
  }

  /** The hook ApolloGateway calls once at start (`supergraphSdl` option). */
  readonly hook: SupergraphSdlHook = async ({ update }) => {
    this.update = update;
    this.current = this.read();
    if (this.options.pollMs && this.options.pollMs > 0) {
      this.timer = setInterval(() => this.reload(), this.options.pollMs);
      this.timer.unref();
    }
    return {
      supergraphSdl: this.current,
      cleanup: async () => {
        clearInterval(this.timer);
        this.update = undefined;
      },
    };
  };

  /** Re-reads the file and applies it if it changed. Returns true when a new supergraph was applied. */
  reload(): boolean {
    if (!this.update) return false;
    let sdl: string;
    try {
      sdl = this.read();
    } catch (err) {
      this.options.logger.error(
        { err: (err as Error).message },
        'supergraph reload failed; keeping the running schema',
      );
      return false;
    }
    if (sdl === this.current) return false;
    try {
      this.update(sdl);
      this.current = sdl;
      this.options.logger.info({ path: this.path }, 'supergraph reloaded');
      return true;
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'new supergraph refused; keeping the running schema');
      return false;
    }
  }
}
