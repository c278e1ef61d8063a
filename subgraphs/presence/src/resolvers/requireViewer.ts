import { parseId } from '@chatgraph/ids';
import { userError } from '@chatgraph/errors';
import type { BaseSubgraphContext } from '@chatgraph/service';

/** The signed-in viewer's id; `UNAUTHENTICATED` for an anonymous request. */
export function requireViewer(context: BaseSubgraphContext): string {
  const viewerId = context.viewerId;
  if (viewerId === null) throw userError('UNAUTHENTICATED', 'Sign in first: presence needs a signed-in user.');
  // The id comes from the gateway's signed header, so this only guards against a misbehaving gateway; it also keeps
  // anything but a decimal id out of Redis key names.
  if (parseId(viewerId) === null) throw userError('UNAUTHENTICATED', 'The signed-in user id is not a valid id.');
  return viewerId;
}
