// A new, empty PostgreSQL database for one benchmark run, made on the server of an admin URL and
// dropped afterwards (the idcloud child and the data suite both use one).
import pg from 'pg';
import { randomString } from '../src/security/random.js';

export async function freshPostgresDatabase(adminUrl: string, prefix = 'idcloud_bench'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomString(10)}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
