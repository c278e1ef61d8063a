import { useId, useState, type FormEvent } from 'react';
import type { ChatClient, User } from '@chatgraph/sdk';
import { errorText } from '../format.ts';

interface Props {
  client: ChatClient;
  notice: string | null;
  onSignedIn(me: User): void;
}

/** Log in or sign up; the client keeps the session (and refreshes it) from then on. */
export function AuthForm({ client, notice, onSignedIn }: Props) {
  const [mode, setMode] = useState<'log-in' | 'sign-up'>('log-in');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const auth =
        mode === 'sign-up'
          ? await client.signUp({ username, password, displayName: displayName || username })
          : await client.logIn({ username, password });
      onSignedIn(auth.user);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  const title = mode === 'sign-up' ? 'Create an account' : 'Log in';
  return (
    <main className="auth">
      <h1 className="brand">chatgraph</h1>
      <div className="auth-tabs" role="group" aria-label="Account">
        <button type="button" aria-pressed={mode === 'log-in'} onClick={() => setMode('log-in')}>
          Log in
        </button>
        <button type="button" aria-pressed={mode === 'sign-up'} onClick={() => setMode('sign-up')}>
          Sign up
        </button>
      </div>
      <form className="auth-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{title}</h2>
        {notice && <p className="notice">{notice}</p>}
        <label htmlFor={`${id}-username`}>Username</label>
        <input
          id={`${id}-username`}
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        {mode === 'sign-up' && (
          <>
            <label htmlFor={`${id}-display`}>Display name</label>
            <input
              id={`${id}-display`}
              name="displayName"
              autoComplete="name"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </>
        )}
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : title}
        </button>
      </form>
    </main>
  );
}
