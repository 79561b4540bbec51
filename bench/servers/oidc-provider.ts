// oidc-provider server child: node-oidc-provider configured minimally for one client_credentials
// client, its tokens kept by its default in-memory adapter. The reference for idcloud's configuration
// token endpoint (which stores every token in the database).
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { OIDC_PROVIDER_CLIENT } from '../protocol.js';
import { portOf, serveChild } from './child.js';

serveChild(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server.address());
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{ client_id: OIDC_PROVIDER_CLIENT.clientId, client_secret: OIDC_PROVIDER_CLIENT.clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ['api'],
  });
  server.on('request', provider.callback());
  return {
    ready: { type: 'ready', kind: 'oidc-provider', port },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
