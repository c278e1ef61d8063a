import type { SubgraphClient } from '@chatgraph/service';
import type { EmailVerificationRequests } from '../context';

/**
 * Verification emails through the notifications service (it owns email delivery and answers the links): an internal
 * mutation called as the user, so the request is recorded on the user's notifications shard.
 */
export class NotificationsEmailVerification implements EmailVerificationRequests {
  constructor(private readonly notifications: SubgraphClient) {}

  async request(userId: string, email: string): Promise<void> {
    await this.notifications.request<{ requestEmailVerification: boolean }>(
      'mutation Verify($email: String!) { requestEmailVerification(email: $email) }',
      { email },
      userId,
    );
  }
}
