// Getting from a configuration to a migrated store and an unlocked secret box, in an order that
// never writes to a database it should not touch: inspect read-only, find and verify the master key,
// and only then open for writing and migrate.
import { join } from 'node:path';
import type { ServerConfig } from '../config.js';
import { createMasterKeyFile, findMasterKey, MasterKeyError, type LoadedMasterKey } from '../security/master-key.js';
import { SecretBox, SecretBoxError, type SealedSecret } from '../security/secret-box.js';
import { describeTarget, inspectStore, openStore, storeTarget, type Store } from '../store/database.js';
import { migrateToLatest } from '../store/migrations/index.js';

export const MASTER_KEY_CHECK_PLAINTEXT = 'idcloud master key check';
export const MASTER_KEY_CHECK_CONTEXT = 'idcloud_meta:master_key_check';

export interface PreparedStorage {
  store: Store;
  secretBox: SecretBox;
  masterKey: LoadedMasterKey;
  appliedMigrations: string[];
}

export function masterKeyFile(config: ServerConfig): string {
  return config.masterKeyFile ?? join(config.dataDir, 'master.key');
}

function verifyKey(box: SecretBox, check: SealedSecret, where: string): void {
  const mismatch = new MasterKeyError(
    `the master key (id ${box.activeKeyId}) does not match the one ${where} was created with (id ${check.keyId}); ` +
      'supply the original key through IDCLOUD_MASTER_KEY or the key file. Nothing was changed.',
  );
  if (check.keyId !== box.activeKeyId) throw mismatch;
  try {
    if (box.open(check, MASTER_KEY_CHECK_CONTEXT) !== MASTER_KEY_CHECK_PLAINTEXT) throw mismatch;
  } catch (err) {
    if (err instanceof SecretBoxError) throw mismatch;
    throw err;
  }
}

export async function prepareStorage(config: ServerConfig, env: NodeJS.ProcessEnv, options: { migrate: boolean } = { migrate: true }): Promise<PreparedStorage> {
  const target = storeTarget(config.databaseUrl, config.dataDir);
  const where = describeTarget(target);
  const inspection = await inspectStore(target);
  const keyFile = masterKeyFile(config);
  const keyCheck = inspection.state === 'idcloud' ? inspection.masterKeyCheck : null;

  let masterKey = findMasterKey({ envValue: env.IDCLOUD_MASTER_KEY, keyFile });
  if (masterKey === null) {
    if (keyCheck !== null) {
      throw new MasterKeyError(
        `${where} holds secrets sealed with master key ${keyCheck.keyId}, but no master key was found ` +
          `(IDCLOUD_MASTER_KEY is unset and ${keyFile} does not exist). Restore the key; nothing was changed.`,
      );
    }
    masterKey = createMasterKeyFile(keyFile);
  }
  const secretBox = new SecretBox(masterKey.key);
  if (keyCheck !== null) verifyKey(secretBox, keyCheck, where);

  const store = openStore(target);
  try {
    const appliedMigrations = options.migrate ? await migrateToLatest(store) : [];
    return { store, secretBox, masterKey, appliedMigrations };
  } catch (err) {
    await store.close();
    throw err;
  }
}
