import http from 'node:http';

/**
 * POSTs a GraphQL request on a keep-alive agent; resolves with null when it succeeded (HTTP 200, no `errors`) or a
 * short description of what failed. Never rejects: a load generator counts failures, it does not stop on them.
 */
export function postGraphQL(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) return resolve(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
          resolve(text.includes('"errors"') ? `GraphQL errors: ${text.slice(0, 300)}` : null);
        });
        res.on('error', (err) => resolve(err.message));
      },
    );
    req.on('error', (err) => resolve(err.message));
    req.end(body);
  });
}
