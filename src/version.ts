/** The idcloud version, in a module of its own so that commands can print it without loading the server. */
export const VERSION = '0.1.0';
