// xarch uninstall [NAME|TARGET|GLOB...]: see src/cli/change-command.ts.
import type { Io } from '../io.js';
import { changeCommand, runChange } from '../change-command.js';

export const command = changeCommand('uninstall');

export async function run(argv: string[], io: Io): Promise<number> {
  return runChange('uninstall', argv, io);
}
