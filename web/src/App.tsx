import { useCallback, useEffect, useRef, useState } from 'react';
import type { User } from '@chatgraph/sdk';
import { AuthForm } from './components/AuthForm.tsx';
import { Workspace } from './components/Workspace.tsx';
import type { WebConfig } from './config.ts';
import { errorText } from './format.ts';
import { createBrowserClient, forgetSession } from './session.ts';

type Phase = { name: 'signed-out' } | { name: 'restoring' } | { name: 'signed-in'; me: User };

/** Signs in (or restores the stored session), then shows the workspace until the session ends. */
export function App({ config }: { config: WebConfig }) {
  const onSignedOut = useRef(() => {});
  const [client, setClient] = useState(() => createBrowserClient(config.gatewayUrl, () => onSignedOut.current()));
  const [phase, setPhase] = useState<Phase>(() => (client.signedIn ? { name: 'restoring' } : { name: 'signed-out' }));
  const [notice, setNotice] = useState<string | null>(null);
  onSignedOut.current = () => setPhase({ name: 'signed-out' });

  useEffect(() => {
    if (phase.name !== 'restoring') return;
    client.me().then(
      (me) => setPhase(me ? { name: 'signed-in', me } : { name: 'signed-out' }),
      (err: unknown) => {
        // The session ended (onSession(null) says so too) or the server is unreachable: sign in again either way.
        setNotice(errorText(err));
        setPhase({ name: 'signed-out' });
      },
    );
  }, [client, phase.name]);

  const signOut = useCallback(async () => {
    try {
      await client.logOut();
    } catch (err) {
      setNotice(`Signed out here; the server could not be told: ${errorText(err)}`);
    }
    // A fresh client before anything else can fail: the form must never sign in on the closed one (its live streams
    // would refuse to start). The old one closes in the background.
    forgetSession();
    setClient(createBrowserClient(config.gatewayUrl, () => onSignedOut.current()));
    setPhase({ name: 'signed-out' });
    client.close().catch(() => {});
  }, [client, config.gatewayUrl]);

  if (phase.name === 'restoring')
    return (
      <p className="splash" role="status">
        Signing in…
      </p>
    );
  if (phase.name === 'signed-out')
    return (
      <AuthForm
        client={client}
        notice={notice}
        onSignedIn={(me) => {
          setNotice(null);
          setPhase({ name: 'signed-in', me });
        }}
      />
    );
  return <Workspace key={phase.me.id} client={client} me={phase.me} onSignOut={signOut} />;
}
