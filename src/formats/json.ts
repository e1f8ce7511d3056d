// JSON lines: one object per entry, for programs. Carries everything,
// including whether the entry is enabled; `apply` does not read it.
import { displayBytes, escapeHex } from '../core/bytes.js';
import { renderRegister } from '../core/rule.js';
import { defineFormat } from './format.js';

export const json = defineFormat({
  name: 'json',
  description: 'one line per entry: {"name","enabled","type","offset","magic","mask","extension","interpreter","flags","register"}',
  carries: { flags: 'POCF', disabled: true },
  fileName: (name) => `${name}.json`,
  renderEntry: ({ rule: r, enabled }) => JSON.stringify({
    name: displayBytes(r.name), enabled, type: r.type, offset: r.offset,
    magic: escapeHex(r.magic), mask: r.mask ? escapeHex(r.mask) : null,
    extension: displayBytes(r.extension), interpreter: displayBytes(r.interpreter), flags: r.flags,
    register: displayBytes(renderRegister(r)),
  }) + '\n',
});
