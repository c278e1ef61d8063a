import { gatewayRequest } from './gatewayRequest';

/** A user signed up through a gateway, as tests use it. */
export interface TestUser {
  id: string;
  token: string;
  username: string;
}

let counter = 0;

/** Signs a new user up through a gateway, with a username no other test (or test process) uses. */
export async function signUp(url: string, displayName = 'Test User'): Promise<TestUser> {
  const username = `u${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const res = await gatewayRequest<{ signUp: { token: string; user: { id: string } } }>(
    url,
    null,
    'mutation($u: String!, $p: String!, $d: String!) { signUp(username: $u, password: $p, displayName: $d) { token user { id } } }',
    { u: username, p: 'correct horse battery', d: displayName },
  );
  if (!res.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  return { id: res.data.signUp.user.id, token: res.data.signUp.token, username };
}
