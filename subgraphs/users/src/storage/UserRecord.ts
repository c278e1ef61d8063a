/** A user as the API shows it: never carries the password hash. */
export interface UserRecord {
  id: bigint;
  /** Canonical (lower-case) username. */
  username: string;
  displayName: string;
  createdAt: Date;
  /** A bot account (acts through API tokens only). */
  isBot: boolean;
}

/** The Prisma `select` of a {@link UserRecord}: the password hash is only read where a password is checked. */
export const USER_RECORD_SELECT = {
  id: true,
  username: true,
  displayName: true,
  createdAt: true,
  isBot: true,
} as const;
