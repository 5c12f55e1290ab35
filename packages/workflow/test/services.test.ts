/**
 * services: postgres:N and redis:N as local processes (Debian's postgresql and redis-server) on
 * free loopback ports, reachable at job.services.NAME.ports, stopped and removed at job end.
 * https://docs.github.com/en/actions/tutorials/use-containerized-services/create-postgresql-service-containers
 * https://docs.github.com/en/actions/tutorials/use-containerized-services/create-redis-service-containers
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { run } from './helpers.ts';

function listening(port: string): boolean {
  const out = execFileSync('sh', ['-c', 'ss -ltnH 2>/dev/null || netstat -ltn'], { encoding: 'utf8' });
  return new RegExp(`127\\.0\\.0\\.1:${port}\\b`).test(out);
}

describe('services (real PostgreSQL and Redis)', () => {
  it('postgres:15 with the image environment and redis:7, healthy before the steps, gone after the job', async () => {
    const r = await run(`
on: push
jobs:
  integration:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:15
        env:
          POSTGRES_USER: app
          POSTGRES_PASSWORD: pg-pass-123
          POSTGRES_DB: orders
        ports:
          - 5432/tcp
        options: --health-cmd pg_isready
      redis:
        image: redis:7
        ports: ['6379']
    steps:
      - run: |
          psql -h 127.0.0.1 -p "$PG_PORT" -U app -d orders -Atc "create table t (n int); insert into t values (41), (1); select sum(n) from t"
          redis-cli -h 127.0.0.1 -p "$REDIS_PORT" set greeting hi
          echo "redis says $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" get greeting)"
          echo "ports $PG_PORT $REDIS_PORT"
        env:
          PGPASSWORD: pg-pass-123
          PG_PORT: \${{ job.services.postgres.ports['5432'] }}
          REDIS_PORT: \${{ job.services.redis.ports['6379'] }}
`);
    const log = r.log('integration');
    expect(r.record.conclusion).toBe('success');
    expect(log).toMatch(/^42$/m);
    expect(log).toContain('redis says hi');
    const [, pg, redis] = /ports (\d+) (\d+)/.exec(log) ?? [];
    expect(pg).toBeDefined();
    expect(listening(pg as string)).toBe(false);
    expect(listening(redis as string)).toBe(false);
    expect(log).toContain('service postgres: stopped and removed');
  });

  it('services are stopped when the job fails too', async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    services:
      cache:
        image: redis:7
    steps:
      - run: |
          echo "port $P"
          exit 1
        env:
          P: \${{ job.services.cache.ports['6379'] }}
`);
    expect(r.job('j').result).toBe('failure');
    const port = /port (\d+)/.exec(r.log('j'))?.[1] as string;
    expect(listening(port)).toBe(false);
    expect(r.log('j')).toContain('service cache: stopped and removed');
  });

  it('a postgres service without POSTGRES_PASSWORD fails the job as the image does', async () => {
    const r = await run(
      'on: push\njobs:\n  j:\n    runs-on: x\n    services:\n      db:\n        image: postgres:15\n    steps:\n      - run: echo never\n',
    );
    expect(r.job('j').result).toBe('failure');
    expect(r.log('j')).toContain('POSTGRES_PASSWORD is not set');
  });
});
