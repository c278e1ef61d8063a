/** One request the client sent. */
export interface Call {
  url: string;
  headers: Record<string, string>;
  body: { query: string; variables: Record<string, unknown>; operationName?: string };
}

/** A fetch that answers from a script and records what was sent (the HTTP side only; no server logic is faked). */
export function scriptedFetch(answers: Array<(call: Call) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    const call: Call = { url, headers: init.headers as Record<string, string>, body: JSON.parse(String(init.body)) };
    calls.push(call);
    const answer = answers.shift();
    if (!answer) throw new Error('no more scripted answers');
    return answer(call);
  };
  return { fetch, calls };
}

/** A JSON response. */
export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
