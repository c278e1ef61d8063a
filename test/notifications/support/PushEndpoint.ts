import { spawnSync } from 'node:child_process';
import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import fs from 'node:fs';
import https, { type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A request a push service received. */
export interface ReceivedPush {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** What a browser keeps of its push subscription: the keys it generated (RFC 8291). */
export class BrowserKeys {
  private readonly ecdh: ECDH = createECDH('prime256v1');
  /** The 16-byte auth secret. */
  readonly auth = randomBytes(16);

  constructor() {
    this.ecdh.generateKeys();
  }

  /** The public key as `PushSubscription.getKey('p256dh')` gives it, base64url. */
  get p256dh(): string {
    return this.ecdh.getPublicKey().toString('base64url');
  }

  /**
   * Decrypts an `aes128gcm` push message body (RFC 8188 framing, RFC 8291 keys) with this browser's private key and
   * auth secret; throws when it was not encrypted for them.
   */
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const idLength = body[20]!;
    const serverPublic = body.subarray(21, 21 + idLength);
    const ciphertext = body.subarray(21 + idLength);
    const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();
    const ecdhSecret = this.ecdh.computeSecret(serverPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.ecdh.getPublicKey(), serverPublic]);
    const ikm = hmac(hmac(this.auth, ecdhSecret), Buffer.concat([keyInfo, Buffer.from([1])]));
    const prk = hmac(salt, ikm);
    const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
    const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
    // The last record ends with the delimiter 0x02 followed by zero padding.
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('no last-record delimiter');
    return padded.subarray(0, end).toString('utf8');
  }
}

/** Verifies a `vapid t=<jwt>, k=<public key>` Authorization header (RFC 8292); returns the JWT's claims. */
export function verifyVapid(header: string, expectedPublicKey: string): { aud: string; sub: string; exp: number } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
  if (!m) throw new Error(`not a VAPID authorization: ${header}`);
  const [, jwt, key] = m;
  if (key !== expectedPublicKey) throw new Error('VAPID key is not the configured one');
  const [head, claims, signature] = jwt!.split('.');
  const point = Buffer.from(key!, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature!, 'base64url'),
  );
  if (!ok) throw new Error('VAPID signature does not verify');
  return JSON.parse(Buffer.from(claims!, 'base64url').toString('utf8')) as { aud: string; sub: string; exp: number };
}

/**
 * A push service of a test's own: HTTPS on 127.0.0.1 with a self-signed certificate (processes that call it trust it
 * through NODE_EXTRA_CA_CERTS = {@link certificatePath}). It records every request and answers each path with the
 * status set for it (201 by default).
 */
export class PushEndpoint {
  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly port: number,
    /** Every request received, in order. */
    readonly received: ReceivedPush[],
    /** The status to answer per path (201 when unset). */
    readonly statuses: Map<string, number>,
  ) {}

  /** Starts the endpoint (the certificate is made with the openssl command). */
  static async start(): Promise<PushEndpoint> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-push-'));
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ]),
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    const received: ReceivedPush[] = [];
    const statuses = new Map<string, number>();
    const server = https.createServer(
      { key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const p = req.url ?? '/';
          received.push({ path: p, headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(statuses.get(p) ?? 201);
          res.end();
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new PushEndpoint(server, dir, (server.address() as AddressInfo).port, received, statuses);
  }

  /** The certificate to trust. */
  get certificatePath(): string {
    return path.join(this.dir, 'cert.pem');
  }

  /** The URL of a subscription on this endpoint. */
  url(pathname: string): string {
    return `https://127.0.0.1:${this.port}${pathname}`;
  }

  /** Stops the server and removes the certificate. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
