import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { CallOptions } from './CallOptions.ts';
import {
  CreateApiTokenDocument,
  CreateBotDocument,
  CreateWebhookDocument,
  DeleteWebhookDocument,
  MyApiTokensDocument,
  MyBotsDocument,
  MyWebhooksDocument,
  RedeliverWebhookDeliveryDocument,
  RevokeApiTokenDocument,
  WebhookDeliveriesDocument,
  type CreateApiTokenMutationVariables,
  type CreateWebhookMutationVariables,
  type WebhookDeliveriesQueryVariables,
} from './generated/graphql.ts';
import type {
  ApiToken,
  CreatedApiToken,
  CreatedWebhook,
  User,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryPage,
} from './types.ts';

/** What {@link IntegrationsClient} uses of its {@link ChatClient}: its HTTP calls. */
export interface IntegrationsTransport {
  /** Runs an operation and returns its root field (throws `ChatGraphError`). */
  field<TData, TVariables, K extends keyof TData>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    key: K,
    options?: CallOptions,
  ): Promise<TData[K]>;
}

/**
 * Bots, API tokens and webhooks: `client.integrations`. Managing bots and tokens needs a person signed in with a
 * password (an API token is refused); webhooks may also be managed by a token with the `WEBHOOKS_MANAGE` scope.
 * A bot itself is a `ChatClient` created with its API token (`getToken: () => 'cgt_…'`).
 */
export class IntegrationsClient {
  /** @internal created by `ChatClient.integrations`. */
  constructor(private readonly transport: IntegrationsTransport) {}

  /** Creates a bot owned by the viewer (it has no password: give it a token with {@link createApiToken}). */
  createBot(username: string, displayName: string, options: CallOptions = {}): Promise<User> {
    return this.transport.field(CreateBotDocument, { username, displayName }, 'createBot', options);
  }

  /** The viewer's bots, oldest first. */
  bots(options: CallOptions = {}): Promise<User[]> {
    return this.transport.field(MyBotsDocument, {}, 'myBots', options);
  }

  /**
   * Creates an API token acting as one of the viewer's bots (`botId`) or as the viewer, with `scopes`. The token
   * (`cgt_…`) is in the result only: store it where your platform keeps secrets.
   */
  createApiToken(variables: CreateApiTokenMutationVariables, options: CallOptions = {}): Promise<CreatedApiToken> {
    return this.transport.field(CreateApiTokenDocument, variables, 'createApiToken', options);
  }

  /** The viewer's API tokens that still work (not the tokens themselves). */
  apiTokens(options: CallOptions = {}): Promise<ApiToken[]> {
    return this.transport.field(MyApiTokensDocument, {}, 'myApiTokens', options);
  }

  /** Revokes one of the viewer's API tokens: refused at once everywhere, its live connections closed (4410). */
  revokeApiToken(id: string, options: CallOptions = {}): Promise<boolean> {
    return this.transport.field(RevokeApiTokenDocument, { id }, 'revokeApiToken', options);
  }

  /**
   * Creates a webhook for chats the viewer is a member of; the result holds its signing secret (`whsec_…`), shown
   * once: verify every delivery with it (e.g. the `standardwebhooks` package).
   */
  createWebhook(variables: CreateWebhookMutationVariables, options: CallOptions = {}): Promise<CreatedWebhook> {
    return this.transport.field(CreateWebhookDocument, variables, 'createWebhook', options);
  }

  /** The viewer's webhooks, oldest first. */
  webhooks(options: CallOptions = {}): Promise<Webhook[]> {
    return this.transport.field(MyWebhooksDocument, {}, 'myWebhooks', options);
  }

  /** Deletes one of the viewer's webhooks; false when there was none with this id. */
  deleteWebhook(id: string, options: CallOptions = {}): Promise<boolean> {
    return this.transport.field(DeleteWebhookDocument, { id }, 'deleteWebhook', options);
  }

  /** A page of a webhook's deliveries, newest first (`status` to filter); null when it is not the viewer's. */
  async deliveries(
    variables: WebhookDeliveriesQueryVariables,
    options: CallOptions = {},
  ): Promise<WebhookDeliveryPage | null> {
    const webhook = await this.transport.field(WebhookDeliveriesDocument, variables, 'webhook', options);
    return webhook?.deliveries ?? null;
  }

  /** Sends a delivery again (e.g. a DEAD one once the endpoint is back); resolves with it, PENDING. */
  redeliver(deliveryId: string, options: CallOptions = {}): Promise<WebhookDelivery> {
    return this.transport.field(
      RedeliverWebhookDeliveryDocument,
      { id: deliveryId },
      'redeliverWebhookDelivery',
      options,
    );
  }
}
