// Public library API. Re-exports only; the library never prints or exits.
export * from './errors.js';
export * from './arch.js';
export { sandboxArgv, sandboxSupport, DEFAULT_BINFMT_DIR } from './sandbox.js';
export * from './rule.js';
export * from './match.js';
export * from './lint.js';
export * from './emulators.js';
export * from './manage.js';
export * from './probe.js';
export * from './verify.js';
export * from './elf.js';
export * from './elf-file.js';
export * from './run.js';
export * from './session.js';
export * from './rootfs.js';
export * from './scan.js';
export * from './tar.js';
export * from './image.js';
