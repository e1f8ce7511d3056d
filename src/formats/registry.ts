// The registry of export formats. Adding a format is one entry in FORMATS
// (and its file beside this one): export's --format values, its --help list
// and its validation are all read from this table.
import type { Format } from './format.js';
import { binfmtD } from './binfmt-d.js';
import { debian } from './debian.js';
import { json } from './json.js';
import { kubernetes } from './kubernetes.js';
import { systemdUnit } from './systemd-unit.js';

export const FORMATS: readonly Format[] = [binfmtD, debian, json, systemdUnit, kubernetes];

export function getFormat(name: string): Format | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The format names as a person reads a choice: "binfmt.d, debian or json". */
export function formatChoices(): string {
  const names = FORMATS.map((f) => f.name);
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}
