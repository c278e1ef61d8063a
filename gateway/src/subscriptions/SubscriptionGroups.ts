import type { LiveSubscriber } from './LiveSubscriber';
import type { ResolvedSubscription } from './resolveSubscription';
import { SubscriptionGroup, type GroupDependencies } from './SubscriptionGroup';

/** A place in a group, held while its topics attach; `join` turns it into membership, `cancel` gives it up. */
export interface GroupSeat {
  group: SubscriptionGroup;
  join(subscriber: LiveSubscriber): void;
  cancel(): void;
}

/**
 * The groups of identical subscriptions on this instance, by key. A subscribe finds or creates its group and waits
 * until the group is attached to its topics; a group that closes (last member gone, or its attach failed) removes
 * itself.
 */
export class SubscriptionGroups {
  private readonly groups = new Map<string, SubscriptionGroup>();

  constructor(private readonly deps: GroupDependencies) {}

  /** Groups open. */
  get size(): number {
    return this.groups.size;
  }

  /** Every open group (a copy). */
  all(): SubscriptionGroup[] {
    return [...this.groups.values()];
  }

  /**
   * A seat in the group of `spec`, once that group listens to its topics. Throws `SERVICE_UNAVAILABLE` when Redis
   * does not confirm them.
   */
  async seat(spec: ResolvedSubscription): Promise<GroupSeat> {
    let group = this.groups.get(spec.groupKey);
    if (!group) {
      group = new SubscriptionGroup(spec, this.deps, (closed) => {
        // Only forget the group if it is still the registered one (a failed attach may have been replaced).
        if (this.groups.get(closed.key) === closed) this.groups.delete(closed.key);
      });
      this.groups.set(spec.groupKey, group);
    }
    const reservation = group.reserve();
    try {
      await group.ready;
    } catch (err) {
      reservation.cancel();
      throw err;
    }
    return { group, ...reservation };
  }
}
