/** A user as the API shows it: never carries the password hash. */
export interface UserRecord {
  id: bigint;
  /** Canonical (lower-case) username. */
  username: string;
  displayName: string;
  createdAt: Date;
  /** A bot account (acts through API tokens only). */
  isBot: boolean;
  /** The address the user gave; shown to the user only. */
  email: string | null;
  /** When `email` was verified (the signed link opened); null while unverified. */
  emailVerifiedAt: Date | null;
}

/** The Prisma `select` of a {@link UserRecord}: the password hash is only read where a password is checked. */
export const USER_RECORD_SELECT = {
  id: true,
  username: true,
  displayName: true,
  createdAt: true,
  isBot: true,
  email: true,
  emailVerifiedAt: true,
} as const;
