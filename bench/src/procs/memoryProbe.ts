/**
 * Answers `memory` requests from the bench over IPC: runs a full GC (when node was started with --expose-gc) and
 * reports heap and RSS, so memory per idle subscription is measured after garbage is gone.
 */
export function answerMemoryProbes(): void {
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'memory') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      gc();
    }
    const usage = process.memoryUsage();
    process.send?.({ type: 'memory', heapUsed: usage.heapUsed, rss: usage.rss, gc: Boolean(gc) });
  });
}
