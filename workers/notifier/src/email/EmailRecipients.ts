import type { SubgraphClient } from '@chatgraph/service';

/** A user as emails name them. */
export interface EmailRecipient {
  displayName: string;
  /** Null when the user has no address, or has not verified it. */
  verifiedEmail: string | null;
}

/** Names and verified addresses of users. */
export interface EmailRecipientSource {
  /** The users among `ids` that exist, by id (at most 100 ids). */
  lookUp(ids: readonly bigint[]): Promise<Map<bigint, EmailRecipient>>;
}

/**
 * Names and verified addresses from the users service (it owns them): its internal `emailRecipients`, asked for
 * just before each email, so an address changed or unverified meanwhile is never written to. A failed lookup
 * throws (the email is tried again later).
 */
export class UsersEmailRecipients implements EmailRecipientSource {
  constructor(private readonly users: SubgraphClient) {}

  async lookUp(ids: readonly bigint[]): Promise<Map<bigint, EmailRecipient>> {
    if (ids.length === 0) return new Map();
    const data = await this.users.request<{
      emailRecipients: Array<{ id: string; displayName: string; verifiedEmail: string | null }>;
    }>(
      'query Recipients($ids: [ID!]!) { emailRecipients(ids: $ids) { id displayName verifiedEmail } }',
      { ids: ids.map(String) },
      // Asked as the first user: the field is internal (any caller with a signed identity may use it).
      ids[0]!.toString(),
    );
    return new Map(
      data.emailRecipients.map((r) => [BigInt(r.id), { displayName: r.displayName, verifiedEmail: r.verifiedEmail }]),
    );
  }
}
