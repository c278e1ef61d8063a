import type DataLoader from 'dataloader';
import type { BaseSubgraphContext } from '@chatgraph/service';
import type { Presence } from '../storage/Presence';
import type { PresenceStore } from '../storage/PresenceStore';

/** What presence resolvers receive: the verified identity plus this request's loader and the store. */
export interface PresenceContext extends BaseSubgraphContext {
  /** This request's `User.presence` loader (one Redis round trip per batch). */
  presence: DataLoader<string, Presence>;
  store: PresenceStore;
  /** This request's answers to "may the viewer see this user's presence?" (false for everyone when anonymous). */
  visible: DataLoader<string, boolean>;
}
