import { useId, useState, type KeyboardEvent } from 'react';
import type { User } from '@chatgraph/sdk';
import { errorText, shortTime } from '../format.ts';
import type { TimelineItem } from '../hooks/useChatTimeline.ts';

interface Props {
  item: TimelineItem;
  me: User;
  /** Names of the members whose read marker is at this message. */
  seenBy: string[] | undefined;
  onEdit(messageId: string, text: string): Promise<void>;
  onDelete(messageId: string): Promise<void>;
  onRetry(clientMessageId: string): void;
  onDiscard(clientMessageId: string): void;
}

/** One message (with edit and delete for the viewer's own), a pending send, or a notice such as "Bob joined". */
export function MessageItem({ item, me, seenBy, onEdit, onDelete, onRetry, onDiscard }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  if (item.kind === 'notice')
    return (
      <li className="notice-line" data-seq={item.seq}>
        {item.text}
      </li>
    );
  if (item.kind === 'pending')
    return (
      <li className="message own" data-pending={item.failed ? 'failed' : 'sending'}>
        <div className="bubble">
          <p className="text">{item.text}</p>
          <p className="meta">
            {item.failed ? (
              <>
                <span className="error-text">Not sent.</span>{' '}
                <button type="button" className="link" onClick={() => onRetry(item.key)}>
                  Retry
                </button>{' '}
                <button type="button" className="link" onClick={() => onDiscard(item.key)}>
                  Discard
                </button>
              </>
            ) : (
              'Sending…'
            )}
          </p>
        </div>
      </li>
    );

  const m = item.message;
  const own = m.author.id === me.id;
  const save = async () => {
    const text = draft.trim();
    if (!text || text === m.text) return setEditing(false);
    try {
      await onEdit(m.id, text);
      setEditing(false);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void save();
    } else if (e.key === 'Escape') setEditing(false);
  };
  const remove = async () => {
    if (!window.confirm('Delete this message for everyone?')) return;
    try {
      await onDelete(m.id);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <li className={own ? 'message own' : 'message'} data-seq={m.seq}>
      <div className="bubble">
        <p className="meta">
          <span className="author">{own ? 'You' : m.author.displayName}</span>{' '}
          <time dateTime={m.createdAt}>{shortTime(m.createdAt)}</time>
          {m.editedAt && !m.deleted && <span className="muted"> (edited)</span>}
        </p>
        {editing ? (
          <>
            <label htmlFor={`${id}-edit`} className="visually-hidden">
              Edit message
            </label>
            <textarea
              id={`${id}-edit`}
              autoFocus
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={onKeyDown}
            />
            <p className="actions">
              <button type="button" className="link" onClick={() => void save()}>
                Save
              </button>{' '}
              <button type="button" className="link" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </p>
          </>
        ) : m.deleted ? (
          <p className="text deleted">This message was deleted.</p>
        ) : (
          <p className="text">{m.text}</p>
        )}
        {own && !m.deleted && !editing && (
          <p className="actions">
            <button
              type="button"
              className="link"
              aria-label="Edit message"
              onClick={() => {
                setDraft(m.text ?? '');
                setEditing(true);
              }}
            >
              Edit
            </button>{' '}
            <button type="button" className="link" aria-label="Delete message" onClick={() => void remove()}>
              Delete
            </button>
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      {seenBy?.length ? <p className="seen">Seen by {seenBy.join(', ')}</p> : null}
    </li>
  );
}
