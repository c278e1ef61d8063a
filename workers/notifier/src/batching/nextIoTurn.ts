/**
 * The batch schedule of the notifier's loaders: a batch is dispatched on the next turn of the event loop (after the
 * I/O callbacks of this one), so that the lookups and writes of every message the broker delivered in one read (a
 * prefetch window) go out as one statement, not only those started in the same tick.
 */
export function nextIoTurn(dispatch: () => void): void {
  setImmediate(dispatch);
}
