// Everything a route needs, handed over in one object rather than imported as globals.
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import type { SecretBox } from './security/secret-box.js';
import type { ApiClientDirectory } from './services/api-client-directory.js';
import type { AuthThrottle } from './services/auth-throttle.js';
import type { ChangeWatcher } from './services/change-watcher.js';
import type { ConfigAccess } from './services/config-access.js';
import type { EntityTypeDirectory } from './services/entity-type-directory.js';
import type { SettingsService } from './services/settings.js';
import type { UserTokenService } from './services/user-tokens.js';
import type { Store } from './store/database.js';

export interface AppContext {
  config: ServerConfig;
  store: Store;
  secretBox: SecretBox;
  logger: Logger;
  metrics: ServerMetrics;
  clients: ApiClientDirectory;
  throttle: AuthThrottle;
  changes: ChangeWatcher;
  settings: SettingsService;
  entityTypes: EntityTypeDirectory;
  userTokens: UserTokenService;
  /** configuration clients and tokens, cached (Hosted Login) */
  configAccess: ConfigAccess;
}
