// Placeholder until this command is implemented; it says so and fails.
import { parseCommand, type Io } from '../io.js';
import { XarchError } from '../../errors.js';

export const help = 'Usage: xarch shell [--json]\n\nNot implemented in this build yet.\n';

export async function run(argv: string[], _io: Io): Promise<number> {
  parseCommand(argv, {});
  throw new XarchError('INTERNAL', "'xarch shell' is not implemented in this build yet", { hint: 'upgrade xarch' });
}
