import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main, COMMANDS } from '../src/cli/main.js';
import { bufferIo } from '../src/cli/io.js';
import { xarch } from './helpers/env.js';

test('--version prints the package version and exits 0', () => {
  const r = xarch(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^xarch \d+\.\d+\.\d+\n$/);
});

test('no command prints usage and exits 2', async () => {
  const io = bufferIo();
  assert.equal(await main([], io), 2);
  assert.match(io.stdout, /Usage: xarch COMMAND/);
});

test('unknown command is a usage error with a suggestion', async () => {
  const io = bufferIo();
  assert.equal(await main(['instal'], io), 2);
  assert.match(io.stderr, /unknown command 'instal'.*install/);
});

for (const name of Object.keys(COMMANDS)) {
  test(`xarch ${name} --help exits 0 with a usage line`, async () => {
    const io = bufferIo();
    assert.equal(await main([name, '--help'], io), 0);
    assert.match(io.stdout, new RegExp(`Usage: xarch ${name}`));
  });
  test(`xarch ${name} rejects an unknown flag with exit 2`, async () => {
    const io = bufferIo();
    assert.equal(await main([name, '--no-such-flag'], io), 2);
    assert.match(io.stderr, /no-such-flag/);
    assert.doesNotMatch(io.stderr, /\n\s+at /, 'no stack trace');
  });
}
