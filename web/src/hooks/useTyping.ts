import { useEffect, useState } from 'react';
import type { ChatClient, User } from '@chatgraph/sdk';

/** How long a "typing" lasts without another one (the SDK repeats it every 3 s while the person types). */
const TYPING_TTL_MS = 6000;

/** Who else is typing in the chat, live (ephemeral: after a reconnect it starts empty). */
export function useTyping(client: ChatClient, chatId: string, meId: string): User[] {
  const [typing, setTyping] = useState<ReadonlyMap<string, { user: User; until: number }>>(new Map());

  useEffect(() => {
    setTyping(new Map());
    const stream = client.chat(chatId).typing({
      next: (event) => {
        if (event.user.id === meId) return;
        setTyping((before) => {
          const next = new Map(before);
          if (event.typing) next.set(event.user.id, { user: event.user, until: Date.now() + TYPING_TTL_MS });
          else next.delete(event.user.id);
          return next;
        });
      },
    });
    const sweep = setInterval(() => {
      setTyping((before) => {
        const now = Date.now();
        const stale = [...before.values()].filter((t) => t.until <= now);
        if (!stale.length) return before;
        const next = new Map(before);
        for (const t of stale) next.delete(t.user.id);
        return next;
      });
    }, 1000);
    return () => {
      clearInterval(sweep);
      stream.close();
    };
  }, [client, chatId, meId]);

  return [...typing.values()].map((t) => t.user);
}
