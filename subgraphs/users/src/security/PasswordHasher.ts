import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { HashingQueue } from './HashingQueue';

/** scrypt cost parameters; stored with every hash so they can be raised later without breaking old hashes. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. @default 32768 (2^15) */
  N: number;
  /** Block size. @default 8 */
  r: number;
  /** Parallelization. @default 1 */
  p: number;
}

const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds for parameters read back from the database: a corrupted or hostile row must not make one logIn burn
// gigabytes of memory or minutes of CPU.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs about 128·N·r bytes; Node's default ceiling (32 MiB) is exactly 2^15·8·128, so leave headroom.
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    // The async form runs on the libuv thread pool, so hashing never blocks the event loop. NFC: the same password
    // typed as composed or decomposed Unicode (different keyboards, operating systems) must give the same key.
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[1-9][0-9]{0,7}$/.test(s!) ? Number(s) : NaN)) as [
    number,
    number,
    number,
  ];
  const validN = Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0;
  if (!validN || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16) return null;
  return { params: { N, r, p }, salt, key };
}

/**
 * Hashes and verifies passwords with scrypt (node:crypto, async). A hash is self-describing:
 * `scrypt$N$r$p$<salt base64url>$<key base64url>`, with a random 16-byte salt per password.
 *
 * {@link verifyOrDummy} does the same work when there is no stored hash (unknown user), so the time logIn takes does
 * not tell whether a username exists.
 */
export class PasswordHasher {
  private readonly params: ScryptParams;
  /** A hash of a random, forgotten password: nothing ever matches it. */
  private readonly dummy: Promise<string>;

  /**
   * @param params scrypt cost of new hashes. @default { N: 32768, r: 8, p: 1 }
   * @param queue bounds the derivations running at once (every hash and verification goes through it).
   */
  constructor(
    params: Partial<ScryptParams> = {},
    private readonly queue: HashingQueue = new HashingQueue(),
  ) {
    this.params = { ...DEFAULT_PARAMS, ...params };
    const { N, r, p } = this.params;
    if (!(Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0))
      throw new RangeError(`scrypt N ${N} must be a power of two up to 2^20`);
    if (!(Number.isInteger(r) && r >= 1 && r <= MAX_R)) throw new RangeError(`scrypt r ${r} out of range 1..${MAX_R}`);
    if (!(Number.isInteger(p) && p >= 1 && p <= MAX_P)) throw new RangeError(`scrypt p ${p} out of range 1..${MAX_P}`);
    // Made now rather than on the first unknown-user logIn, which would otherwise take two derivations; outside the
    // queue, which must not refuse the process its own start.
    this.dummy = this.hashWith(randomBytes(32).toString('base64url'), (run) => run());
    this.dummy.catch(() => undefined);
  }

  /**
   * A new salted hash of `password` with the current parameters. Throws `SERVICE_UNAVAILABLE` when too many hashes
   * are waiting already (see {@link HashingQueue}).
   */
  hash(password: string): Promise<string> {
    return this.hashWith(password, (run) => this.queue.run(run));
  }

  /**
   * True when `password` matches `encoded` (constant-time comparison). An unreadable hash never matches. Throws
   * `SERVICE_UNAVAILABLE` when too many hashes are waiting already.
   */
  async verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parseHash(encoded);
    if (!parsed) return false;
    const key = await this.queue.run(() => derive(password, parsed.salt, parsed.params));
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  }

  /**
   * Verifies against `encoded`, or, when it is null (no such user), against a fixed dummy hash with the current
   * parameters and answers false: both paths cost one scrypt derivation, through the same queue.
   */
  async verifyOrDummy(password: string, encoded: string | null): Promise<boolean> {
    if (encoded !== null) return this.verify(password, encoded);
    await this.verify(password, await this.dummy);
    return false;
  }

  private async hashWith(password: string, schedule: (run: () => Promise<Buffer>) => Promise<Buffer>): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await schedule(() => derive(password, salt, this.params));
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** True when `encoded` was made with other parameters than the current ones (a candidate for rehashing). */
  needsRehash(encoded: string): boolean {
    const parsed = parseHash(encoded);
    if (!parsed) return true;
    const { N, r, p } = parsed.params;
    return N !== this.params.N || r !== this.params.r || p !== this.params.p;
  }
}
