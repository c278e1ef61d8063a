import { NOTIFICATION_KINDS, type NotificationKind } from '../storage/records';

/** How a notification reaches a person besides the inbox. */
export type AlertChannel = 'push' | 'email';

/** Whether one kind of notification is pushed and emailed. */
export interface NotificationPreference {
  kind: NotificationKind;
  push: boolean;
  email: boolean;
}

/** Everything a user chose about alerts. */
export interface AlertSettings {
  /** One per kind (the defaults filled in). */
  preferences: readonly NotificationPreference[];
  /** No push and no email before this instant; null when not set. */
  doNotDisturbUntil: Date | null;
}

/** The kinds that have missed-message emails. */
export const EMAIL_KINDS: readonly NotificationKind[] = ['DIRECT_MESSAGE', 'MENTION'];

/** A kind's preference when the user never changed it: pushed; emailed when it has missed-message emails. */
export function defaultPreference(kind: NotificationKind): NotificationPreference {
  return { kind, push: true, email: EMAIL_KINDS.includes(kind) };
}

/** A preference per kind, in schema order: the stored ones, the defaults for the rest. */
export function withDefaults(stored: readonly NotificationPreference[]): NotificationPreference[] {
  return NOTIFICATION_KINDS.map((kind) => stored.find((p) => p.kind === kind) ?? defaultPreference(kind));
}

/**
 * Whether a notification of `kind` may be sent on `channel` at `now`: not while do-not-disturb lasts, and only when
 * the user's preference for the kind allows the channel. Email also needs a kind that has emails.
 */
export function alertAllowed(
  settings: AlertSettings,
  kind: NotificationKind,
  channel: AlertChannel,
  now: Date,
): boolean {
  if (settings.doNotDisturbUntil !== null && settings.doNotDisturbUntil > now) return false;
  const preference = settings.preferences.find((p) => p.kind === kind) ?? defaultPreference(kind);
  return channel === 'push' ? preference.push : preference.email && EMAIL_KINDS.includes(kind);
}
