// The GitHub Actions runner protocol, the few parts the action needs, so the
// built file carries no @actions/core: inputs arrive as INPUT_<NAME>
// environment variables, outputs are appended to the file named by
// GITHUB_OUTPUT as heredoc blocks, and annotations and log groups are
// `::command::` lines on stdout. Pure except setOutput, which appends to
// the file the runner gave.
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { XarchError } from '../core/errors.js';

/** What the runner puts in the environment for input `name` (@actions/core's rule: spaces to `_`, upper-cased; `-` kept). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** An input's value, trimmed; '' when not given. */
export function getInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[inputVariable(name)] ?? '').trim();
}

/** A boolean input by the YAML 1.2 core schema (what @actions/core accepts); `fallback` when empty. */
export function getBooleanInput(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const v = getInput(env, name);
  if (v === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw new XarchError('USAGE', `input '${name}' is '${v}', not a boolean`, { hint: `set ${name}: true or ${name}: false` });
}

/** Escaping of a command's message: the runner reads one line, and `%` is its escape. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line: `::error title=…::message`. */
export function workflowCommand(name: string, message: string, properties: Record<string, string> = {}): string {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/**
 * An output as a heredoc block. The delimiter is random so no value can end
 * the block early (the runner's own advice for multi-line values).
 */
export function outputBlock(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (value.includes(delimiter)) throw new XarchError('INTERNAL', `output ${name} contains its delimiter`);
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** Append an output to $GITHUB_OUTPUT; false when the runner gave no output file (run by hand). */
export function setOutput(env: NodeJS.ProcessEnv, name: string, value: string): boolean {
  const file = env.GITHUB_OUTPUT;
  if (!file) return false;
  appendFileSync(file, outputBlock(name, value));
  return true;
}
