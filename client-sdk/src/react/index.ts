/**
 * `@chatgraph/sdk/react`: React hooks on the SDK's framework-free state (a separate entry point, so the core never
 * imports React). Needs React 18 or 19 (a peer dependency).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ChatClient } from '../ChatClient.ts';
import { ChatStore, type ChatStoreOptions, type ChatStoreSnapshot } from '../ChatStore.ts';
import type { StreamStatus } from '../LiveStream.ts';

export { ChatStore } from '../ChatStore.ts';
export type { ChatStoreOptions, ChatStoreSnapshot, PendingSend } from '../ChatStore.ts';

const EMPTY_SNAPSHOT: ChatStoreSnapshot = Object.freeze({
  messages: [],
  pending: [],
  newestSeq: 0,
  loading: true,
  hasOlder: false,
  loadingOlder: false,
  status: 'connecting' as StreamStatus,
  error: null,
});
const noSubscription = () => () => {};

/** {@link useChat}'s result: the chat's state, and its store (for `send`, `retry`, `loadOlder`...; null at first). */
export interface UseChatResult extends ChatStoreSnapshot {
  store: ChatStore | null;
}

/**
 * One chat's messages, live: a {@link ChatStore} for `chatId` on `client`, started when the component mounts and
 * closed when it unmounts or the chat changes. Re-renders on every change.
 *
 * @example
 * const { messages, pending, store } = useChat(client, chatId);
 * <form onSubmit={() => store?.send(text)}>…
 */
export function useChat(client: ChatClient, chatId: string, options: ChatStoreOptions = {}): UseChatResult {
  const [store, setStore] = useState<ChatStore | null>(null);
  const pageSize = options.pageSize;
  useEffect(() => {
    const next = new ChatStore(client, chatId, { pageSize });
    setStore(next);
    next.start();
    return () => next.close();
  }, [client, chatId, pageSize]);
  const current = store?.chatId === chatId ? store : null;
  const snapshot = useSyncExternalStore(
    current?.subscribe ?? noSubscription,
    current?.getSnapshot ?? (() => EMPTY_SNAPSHOT),
    current?.getSnapshot ?? (() => EMPTY_SNAPSHOT),
  );
  return { ...snapshot, store: current };
}
