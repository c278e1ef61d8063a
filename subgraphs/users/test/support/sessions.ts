import Redis from 'ioredis';
import { RevocationFeed, tokenServiceFromConfig, type Revocation } from '@chatgraph/auth';
import type { StartedUsers } from '../startUsers';

export const REFRESH = /* GraphQL */ `
  mutation Refresh($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      token
      expiresAt
      refreshToken
      refreshExpiresAt
      user {
        id
        username
        displayName
        createdAt
      }
    }
  }
`;

/** The user and session an access token of this users service carries. */
export async function sessionOf(users: StartedUsers, token: string): Promise<{ userId: string; sessionId: string }> {
  const { userId, sessionId } = await tokenServiceFromConfig(users.config).verify(token);
  return { userId, sessionId };
}

/** What the users service wrote to Redis for the gateways: both sorted sets, and every message on the channel. */
export interface RevocationWatch {
  messages: Revocation[];
  /** The revocations of the sorted sets right now. */
  stored(): Promise<Revocation[]>;
  close(): Promise<void>;
}

/** Watches the revocation feed of a users service (its namespace is the test's DB_NAME_PREFIX). */
export async function watchRevocations(users: StartedUsers): Promise<RevocationWatch> {
  const keys = RevocationFeed.keys(users.config.DB_NAME_PREFIX);
  const subscriber = new Redis(users.config.REDIS_URL);
  const reader = new Redis(users.config.REDIS_URL);
  const messages: Revocation[] = [];
  subscriber.on('message', (_channel: string, message: string) => {
    const revocation = RevocationFeed.decode(JSON.parse(message));
    if (revocation) messages.push(revocation);
  });
  await subscriber.subscribe(keys.channel);
  return {
    messages,
    async stored() {
      const out: Revocation[] = [];
      for (const [kind, key] of [
        ['session', keys.sessions],
        ['user', keys.users],
      ] as const) {
        const flat = await reader.zrange(key, 0, -1, 'WITHSCORES');
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const revocation = RevocationFeed.fromMember(kind, flat[i]!, Number(flat[i + 1]));
          if (revocation) out.push(revocation);
        }
      }
      return out;
    },
    async close() {
      await Promise.all([subscriber.quit(), reader.quit()]);
    },
  };
}
