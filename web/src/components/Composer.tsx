import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';

interface Props {
  onSend(text: string): void;
  /** Called on every keystroke (true) and when the text is cleared (false); the SDK throttles what it sends. */
  onTyping(active: boolean): void;
  disabled?: boolean;
}

/** The message box: Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, onTyping, disabled }: Props) {
  const [text, setText] = useState('');
  const id = useId();

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    const value = text.trim();
    if (!value) return;
    onSend(value);
    setText('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) send(e);
  };

  return (
    <form className="composer" onSubmit={send}>
      <label htmlFor={`${id}-text`} className="visually-hidden">
        Message
      </label>
      <textarea
        id={`${id}-text`}
        rows={1}
        placeholder="Write a message"
        value={text}
        maxLength={4000}
        disabled={disabled}
        onChange={(e) => {
          setText(e.target.value);
          onTyping(e.target.value.length > 0);
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" disabled={disabled || !text.trim()}>
        Send
      </button>
    </form>
  );
}
