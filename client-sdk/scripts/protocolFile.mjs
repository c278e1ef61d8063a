// The SDK's generated copy of the server's wire protocol (error codes and close codes with what a client does about
// each): rendered by `protocolModule()` of the private @chatgraph/errors package, which must be built first.
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where the copy lives, relative to the repository root. */
export const PROTOCOL_OUT = 'client-sdk/src/generated/protocol.ts';

/** The file's text, from the registry built in `<root>/internal/errors/dist`. */
export function renderProtocol(root) {
  const require = createRequire(path.join(root, 'package.json'));
  const { protocolModule } = require(path.join(root, 'internal/errors/dist/index.js'));
  return protocolModule();
}
