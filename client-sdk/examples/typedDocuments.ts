import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SendMessageDocument, type ChatClient } from '@chatgraph/sdk';

// Every operation is exported as a TypedDocumentNode: Apollo Client's useMutation(SendMessageDocument), urql's
// useMutation(SendMessageDocument) and any function like this one infer variables and result from it.
async function run<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  client: ChatClient,
) {
  const { data, errors } = await client.request(document, variables); // the raw response, partial data included
  if (errors?.length) console.warn(errors.map((e) => e.extensions?.code));
  return data;
}

export async function sendRaw(client: ChatClient) {
  const data = await run(SendMessageDocument, { chatId: '1', text: 'hi', clientMessageId: 'raw-1' }, client);
  return data?.sendMessage.seq; // number | undefined, typed from the operation
}
