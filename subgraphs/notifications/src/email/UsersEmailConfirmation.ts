import type { SubgraphClient } from '@chatgraph/service';
import type { EmailConfirmation } from './emailRoutes';

/** Verifies addresses in the users service (it owns them): its internal `confirmEmail`, called as the user. */
export class UsersEmailConfirmation implements EmailConfirmation {
  constructor(private readonly users: SubgraphClient) {}

  async confirm(userId: string, email: string): Promise<boolean> {
    const data = await this.users.request<{ confirmEmail: boolean }>(
      'mutation Confirm($email: String!) { confirmEmail(email: $email) }',
      { email },
      userId,
    );
    return data.confirmEmail;
  }
}
