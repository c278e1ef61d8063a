import { useId, useState, type FormEvent } from 'react';
import type { ChatClient } from '@chatgraph/sdk';
import { errorText } from '../format.ts';

interface Props {
  client: ChatClient;
  onCreated(chatId: string): void | Promise<void>;
}

/** Starts a direct chat with one username, or a group with several (and a title). */
export function NewChatForm({ client, onCreated }: Props) {
  const [usernames, setUsernames] = useState('');
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const names = usernames
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    if (!names.length) return;
    setBusy(true);
    setError(null);
    try {
      const users = await Promise.all(names.map((username) => client.userByUsername({ username })));
      const missing = names.filter((_, i) => !users[i]);
      if (missing.length) throw new Error(`No user named ${missing.join(', ')}.`);
      const ids = users.map((u) => u!.id);
      const chat =
        ids.length === 1 && !title.trim()
          ? await client.createDirectChat({ userId: ids[0]! })
          : await client.createGroupChat({ title: title.trim() || names.join(', '), memberIds: ids });
      setUsernames('');
      setTitle('');
      await onCreated(chat.id);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="new-chat" onSubmit={submit} aria-label="Start a chat">
      <label htmlFor={`${id}-users`}>Start a chat with</label>
      <input
        id={`${id}-users`}
        name="usernames"
        placeholder="username, or several separated by commas"
        value={usernames}
        onChange={(e) => setUsernames(e.target.value)}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      {usernames.includes(',') && (
        <>
          <label htmlFor={`${id}-title`}>Group title</label>
          <input id={`${id}-title`} name="title" value={title} onChange={(e) => setTitle(e.target.value)} />
        </>
      )}
      <button type="submit" disabled={busy || !usernames.trim()}>
        Start chat
      </button>
      {error && (
        <p className="error" role="alert" id={`${id}-error`}>
          {error}
        </p>
      )}
    </form>
  );
}
