// API-client features (spec capture-api §1.5). The permission matrix that maps operations to them
// lives beside this list once the clients API exists.
export const FEATURES = ['owner', 'access_issuer', 'direct_access', 'direct_read_access', 'login_client', 'metadata'] as const;
export type Feature = (typeof FEATURES)[number];

/** The allow list a client starts with: every address. */
export const OPEN_WHITELIST: readonly string[] = ['0.0.0.0/0'];
